import { describe, expect, it } from 'vitest';
import { blockFromFailure, DEFAULT_CAPACITY_TTLS, isBlocked, isPoolBlocked, pruneBlocks, recordBlock, type CapacityBlock } from '../../../shared/capacity/capacityErrors.js';
import { blockedFamilies } from '../../../shared/capacity/placementLimits.js';
import type { ArmFailure } from '../../../shared/ports/nodePools.js';
import { clusterId, NOW, SUB } from './support.js';

const FAM = 'StandardNCADSA100v4Family';
const site = { subscriptionId: SUB, region: 'westus3', family: FAM, spot: false, clusterId: clusterId('westus3'), pool: 'gpu1' };
const fail = (over: Partial<ArmFailure> & Pick<ArmFailure, 'class' | 'code'>): ArmFailure => ({ message: 'm', ...over });
const at = (ms: number) => new Date(NOW.getTime() + ms);
const min = 60_000;

describe('capacity errors', () => {
  it.each([
    ['ZonalAllocationFailed', fail({ class: 'capacityUnavailable', code: 'ZonalAllocationFailed' }), 'regionFamily', 10 * min],
    ['AllocationFailed', fail({ class: 'capacityUnavailable', code: 'AllocationFailed' }), 'regionFamily', 10 * min],
    ['OverconstrainedAllocationRequest', fail({ class: 'capacityUnavailable', code: 'OverconstrainedAllocationRequest' }), 'regionFamily', 10 * min],
    ['SkuNotAvailable', fail({ class: 'capacityUnavailable', code: 'SkuNotAvailable' }), 'regionFamily', 60 * min],
    ['QuotaExceeded', fail({ class: 'quotaExceeded', code: 'QuotaExceeded', quota: { scope: 'family', family: FAM } }), 'regionFamily', 15 * min],
    ['Throttled with Retry-After', fail({ class: 'throttled', code: 'Throttled', retryAfterMs: 42_000 }), 'pool', 42_000],
    ['Throttled without Retry-After', fail({ class: 'throttled', code: 'Throttled' }), 'pool', 60_000],
    ['OperationNotAllowed', fail({ class: 'operationNotAllowed', code: 'OperationNotAllowed' }), 'pool', 30_000],
  ])('%s marks %s for its TTL', (_, failure, scope, ttl) => {
    const b = blockFromFailure(failure, site, NOW)!;
    expect(b.scope).toBe(scope);
    expect(Date.parse(b.until) - NOW.getTime()).toBe(ttl);
  });

  it.each(['preconditionFailed', 'notFound', 'transient', 'invalid'] as const)('%s marks nothing', (cls) => {
    expect(blockFromFailure(fail({ class: cls, code: 'X' }), site, NOW)).toBeUndefined();
  });

  it('TTLs are configurable', () => {
    const b = blockFromFailure(fail({ class: 'capacityUnavailable', code: 'AllocationFailed' }), site, NOW, { ...DEFAULT_CAPACITY_TTLS, allocationFailedMs: 1000 })!;
    expect(b.until).toBe(at(1000).toISOString());
  });

  it('blocks the region × family for that long, with the reason, any casing of the names', () => {
    const entries = [blockFromFailure(fail({ class: 'capacityUnavailable', code: 'ZonalAllocationFailed' }), site, NOW)!];
    expect(isBlocked(entries, 'westus3', FAM, at(9 * min))).toEqual({
      blocked: true, until: at(10 * min).toISOString(), errorClass: 'capacityUnavailable', code: 'ZonalAllocationFailed',
      reason: `${FAM} unavailable in westus3 (ZonalAllocationFailed) until 12:10:00Z`,
    });
    expect(isBlocked(entries, 'WestUS3', 'standardncadsa100v4family', at(1000)).blocked).toBe(true);
    expect(isBlocked(entries, 'westus3', FAM, at(10 * min)).blocked).toBe(false);
    expect(isBlocked(entries, 'eastus2', FAM, NOW).blocked).toBe(false);
    expect(isBlocked(entries, 'westus3', 'standardNDSH100v5Family', NOW).blocked).toBe(false);
    // No machines: Spot of that family is not tried either.
    expect(isBlocked(entries, 'westus3', FAM, NOW, { spot: true }).blocked).toBe(true);
  });

  it('a family quota error blocks on-demand of that family but not Spot; a regional one blocks every on-demand family', () => {
    const family = [blockFromFailure(fail({ class: 'quotaExceeded', code: 'QuotaExceeded', quota: { scope: 'family', family: FAM } }), site, NOW)!];
    expect(isBlocked(family, 'westus3', FAM, NOW).blocked).toBe(true);
    expect(isBlocked(family, 'westus3', FAM, NOW, { spot: true }).blocked).toBe(false);
    const regional = [blockFromFailure(fail({ class: 'quotaExceeded', code: 'QuotaExceeded', quota: { scope: 'regional' } }), site, NOW)!];
    expect(regional[0]).toMatchObject({ family: 'cores' });
    expect(isBlocked(regional, 'westus3', 'standardNDSH100v5Family', NOW).blocked).toBe(true);
    expect(isBlocked(regional, 'westus3', FAM, NOW, { spot: true }).blocked).toBe(false);
    const spot = [blockFromFailure(fail({ class: 'quotaExceeded', code: 'QuotaExceeded' }), { ...site, spot: true }, NOW)!];
    expect(spot[0]).toMatchObject({ family: 'lowPriorityCores' });
    expect(isBlocked(spot, 'westus3', FAM, NOW, { spot: true }).blocked).toBe(true);
    expect(isBlocked(spot, 'westus3', FAM, NOW).blocked).toBe(false);
  });

  it('a quota block holds for its subscription only', () => {
    const entries = [blockFromFailure(fail({ class: 'quotaExceeded', code: 'QuotaExceeded', quota: { scope: 'family', family: FAM } }), site, NOW)!];
    expect(isBlocked(entries, 'westus3', FAM, NOW, { subscriptionId: 'other' }).blocked).toBe(false);
    expect(isBlocked(entries, 'westus3', FAM, NOW, { subscriptionId: SUB.toUpperCase() }).blocked).toBe(true);
  });

  it('throttled and busy pools are blocked for the pool only', () => {
    const entries = [blockFromFailure(fail({ class: 'throttled', code: 'Throttled', retryAfterMs: 20_000 }), site, NOW)!];
    expect(isPoolBlocked(entries, site.clusterId.toUpperCase(), 'gpu1', at(19_999))).toMatchObject({ blocked: true, reason: 'throttled by AKS until 12:00:20Z' });
    expect(isPoolBlocked(entries, site.clusterId, 'gpu1', at(20_000)).blocked).toBe(false);
    expect(isPoolBlocked(entries, site.clusterId, 'gpu2', NOW).blocked).toBe(false);
    expect(isBlocked(entries, 'westus3', FAM, NOW).blocked).toBe(false);
  });

  it('recordBlock keeps one entry per scope (the later until) and drops expired ones', () => {
    const short = blockFromFailure(fail({ class: 'capacityUnavailable', code: 'AllocationFailed' }), site, NOW)!;
    const long = blockFromFailure(fail({ class: 'capacityUnavailable', code: 'SkuNotAvailable' }), { ...site, subscriptionId: SUB }, NOW)!;
    const again = blockFromFailure(fail({ class: 'capacityUnavailable', code: 'AllocationFailed' }), site, at(min))!;
    let entries: CapacityBlock[] = recordBlock([], short, NOW);
    entries = recordBlock(entries, again, at(min));
    expect(entries).toEqual([again]);
    entries = recordBlock(entries, short, at(min)); // an older one arriving late does not shorten it
    expect(entries).toEqual([again]);
    entries = recordBlock(entries, long, at(min));
    expect(entries).toHaveLength(2);
    expect(pruneBlocks(entries, at(30 * min))).toEqual([long]);
    expect(recordBlock(entries, long, at(61 * min))).toEqual([]);
  });

  it('blockedFamilies lists what is blocked in a region, soonest first', () => {
    const entries = [
      blockFromFailure(fail({ class: 'capacityUnavailable', code: 'SkuNotAvailable' }), site, NOW)!,
      blockFromFailure(fail({ class: 'capacityUnavailable', code: 'AllocationFailed' }), { ...site, family: 'standardNDSH100v5Family' }, NOW)!,
      blockFromFailure(fail({ class: 'throttled', code: 'Throttled' }), site, NOW)!,
      blockFromFailure(fail({ class: 'capacityUnavailable', code: 'AllocationFailed' }), { ...site, region: 'eastus2' }, NOW)!,
    ];
    expect(blockedFamilies(entries, 'westus3', NOW).map((b) => [b.family, b.code])).toEqual([['standardNDSH100v5Family', 'AllocationFailed'], [FAM, 'SkuNotAvailable']]);
    expect(blockedFamilies(entries, 'westus3', at(11 * min)).map((b) => b.family)).toEqual([FAM]);
  });
});
