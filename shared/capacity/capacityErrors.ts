/**
 * Capacity errors remembered for a while (DESIGN §5): a region × family Azure just refused is not asked
 * again until a TTL that depends on the error class has passed; a throttled or busy pool is left alone
 * until its retry time. Pure: failures and `now` in, entries out.
 */
import type { ArmFailure, ArmFailureClass } from '../ports/nodePools.js';
import { LOW_PRIORITY_CORES, REGIONAL_CORES, sameQuotaName } from './vmSizes.js';

export interface CapacityTtls {
  readonly quotaExceededMs: number;
  /** AllocationFailed, ZonalAllocationFailed, Overconstrained…: Azure has no machines right now. */
  readonly allocationFailedMs: number;
  /** The size is not offered to the subscription in the region: that changes slowly. */
  readonly skuNotAvailableMs: number;
  readonly operationNotAllowedMs: number;
  /** A 429 without Retry-After: AKS refills a pool's PUT bucket one per minute. */
  readonly throttledDefaultMs: number;
}

export const DEFAULT_CAPACITY_TTLS: CapacityTtls = {
  quotaExceededMs: 15 * 60_000,
  allocationFailedMs: 10 * 60_000,
  skuNotAvailableMs: 60 * 60_000,
  operationNotAllowedMs: 30_000,
  throttledDefaultMs: 60_000,
};

/**
 * Region × quota name. `family` is a VM family for capacity errors and family quota, or `cores` /
 * `lowPriorityCores` when the regional total ran out.
 */
export interface RegionFamilyBlock {
  readonly scope: 'regionFamily';
  readonly region: string;
  readonly family: string;
  /** Set when it holds for one subscription only (quota, SkuNotAvailable); absent: every subscription. */
  readonly subscriptionId?: string;
  readonly errorClass: 'quotaExceeded' | 'capacityUnavailable';
  readonly code: string;
  readonly reason: string;
  /** ISO. */
  readonly until: string;
}

export interface PoolBlock {
  readonly scope: 'pool';
  readonly clusterId: string;
  readonly pool: string;
  readonly errorClass: 'throttled' | 'operationNotAllowed';
  readonly code: string;
  readonly reason: string;
  readonly until: string;
}

export type CapacityBlock = RegionFamilyBlock | PoolBlock;

export type BlockCheck =
  | { readonly blocked: false }
  | { readonly blocked: true; readonly until: string; readonly reason: string; readonly errorClass: ArmFailureClass; readonly code: string };

/** Where a failed resize was aimed. */
export interface FailureSite {
  readonly subscriptionId: string;
  readonly region: string;
  readonly family: string;
  readonly spot: boolean;
  readonly clusterId: string;
  readonly pool: string;
}

const hhmmss = (iso: string): string => iso.slice(11, 19) + 'Z';
const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const SKU_NOT_AVAILABLE = /^SkuNotAvailable$/i;

/** What a classified ARM failure marks unavailable, and until when; undefined for classes that mark nothing (retry, re-read, bug). */
export function blockFromFailure(failure: ArmFailure, site: FailureSite, now: Date, ttls: CapacityTtls = DEFAULT_CAPACITY_TTLS): CapacityBlock | undefined {
  const until = (ms: number) => new Date(now.getTime() + ms).toISOString();
  switch (failure.class) {
    case 'quotaExceeded': {
      const family = failure.quota?.scope === 'regional'
        ? (site.spot ? LOW_PRIORITY_CORES : REGIONAL_CORES)
        : (failure.quota?.family ?? (site.spot ? LOW_PRIORITY_CORES : site.family));
      const u = until(ttls.quotaExceededMs);
      return { scope: 'regionFamily', region: site.region, family, subscriptionId: site.subscriptionId, errorClass: 'quotaExceeded', code: failure.code, until: u,
        reason: `quota ${family} exceeded in ${site.region} (${failure.code}); not asked again until ${hhmmss(u)}` };
    }
    case 'capacityUnavailable': {
      const sku = SKU_NOT_AVAILABLE.test(failure.code);
      const u = until(sku ? ttls.skuNotAvailableMs : ttls.allocationFailedMs);
      return { scope: 'regionFamily', region: site.region, family: site.family, ...(sku ? { subscriptionId: site.subscriptionId } : {}), errorClass: 'capacityUnavailable', code: failure.code, until: u,
        reason: `${site.family} unavailable in ${site.region} (${failure.code}) until ${hhmmss(u)}` };
    }
    case 'throttled': {
      const u = until(failure.retryAfterMs ?? ttls.throttledDefaultMs);
      return { scope: 'pool', clusterId: site.clusterId, pool: site.pool, errorClass: 'throttled', code: failure.code, until: u, reason: `throttled by AKS until ${hhmmss(u)}` };
    }
    case 'operationNotAllowed': {
      const u = until(ttls.operationNotAllowedMs);
      return { scope: 'pool', clusterId: site.clusterId, pool: site.pool, errorClass: 'operationNotAllowed', code: failure.code, until: u, reason: `another operation in progress (${failure.code}); retry after ${hhmmss(u)}` };
    }
    default:
      return undefined;
  }
}

const identity = (b: CapacityBlock): string =>
  b.scope === 'pool'
    ? `pool|${b.clusterId.toLowerCase()}|${b.pool}`
    : `rf|${b.region.toLowerCase()}|${b.family.replace(/\s+/g, '').toLowerCase()}|${(b.subscriptionId ?? '*').toLowerCase()}|${b.errorClass}`;

/** Same scope (what recordBlock keeps one entry for): pool, or region × family × subscription × error class. */
export const sameBlockScope = (a: CapacityBlock, b: CapacityBlock): boolean => identity(a) === identity(b);

/** Drops what has expired; one entry per scope (the later `until` wins), in a stable order. */
export function recordBlock(entries: readonly CapacityBlock[], block: CapacityBlock, now: Date): CapacityBlock[] {
  const byId = new Map<string, CapacityBlock>();
  for (const e of [...pruneBlocks(entries, now), block]) {
    const id = identity(e);
    const known = byId.get(id);
    if (!known || Date.parse(e.until) >= Date.parse(known.until)) byId.set(id, e);
  }
  return [...byId.values()].filter((e) => Date.parse(e.until) > now.getTime());
}

export const pruneBlocks = (entries: readonly CapacityBlock[], now: Date): CapacityBlock[] =>
  entries.filter((e) => Date.parse(e.until) > now.getTime());

/**
 * Is a scale-up in this region × family refused for now? Capacity errors block the family (Spot or not);
 * quota errors block the buckets the scale-up draws on: the family and `cores` on demand, `lowPriorityCores` for Spot.
 */
export function isBlocked(entries: readonly CapacityBlock[], region: string, family: string, now: Date, opts: { readonly spot?: boolean; readonly subscriptionId?: string } = {}): BlockCheck {
  const t = now.getTime();
  let hit: RegionFamilyBlock | undefined;
  for (const e of entries) {
    if (e.scope !== 'regionFamily' || !sameId(e.region, region) || Date.parse(e.until) <= t) continue;
    if (e.subscriptionId && opts.subscriptionId && !sameId(e.subscriptionId, opts.subscriptionId)) continue;
    const applies = e.errorClass === 'capacityUnavailable'
      ? sameQuotaName(e.family, family)
      : opts.spot
        ? sameQuotaName(e.family, LOW_PRIORITY_CORES)
        : sameQuotaName(e.family, family) || sameQuotaName(e.family, REGIONAL_CORES);
    if (applies && (!hit || Date.parse(e.until) > Date.parse(hit.until))) hit = e;
  }
  return hit ? { blocked: true, until: hit.until, reason: hit.reason, errorClass: hit.errorClass, code: hit.code } : { blocked: false };
}

/** Is this pool throttled or busy for now? */
export function isPoolBlocked(entries: readonly CapacityBlock[], clusterId: string, pool: string, now: Date): BlockCheck {
  const t = now.getTime();
  let hit: PoolBlock | undefined;
  for (const e of entries) {
    if (e.scope !== 'pool' || e.pool !== pool || !sameId(e.clusterId, clusterId) || Date.parse(e.until) <= t) continue;
    if (!hit || Date.parse(e.until) > Date.parse(hit.until)) hit = e;
  }
  return hit ? { blocked: true, until: hit.until, reason: hit.reason, errorClass: hit.errorClass, code: hit.code } : { blocked: false };
}
