/**
 * The quota ledger (DESIGN §5): per subscription × region × quota name, in vCPUs, from Compute usages
 * read at a known time. Pure: usages and reservations in, headroom out.
 *
 * Rules (research/control-plane.md §2.1): an on-demand scale-up must fit both its VM family bucket and
 * the regional `cores` total, so its headroom is the smaller of the two; Spot counts only against
 * `lowPriorityCores`. In-flight scale-ups hold reservations on the same buckets until they expire, or
 * until a usage read taken after they settled already includes them. A bucket never read has headroom 0:
 * the ledger does not guess.
 */
import type { QuotaUsage } from '../ports/quota.js';
import { LOW_PRIORITY_CORES, normalizeQuotaName, REGIONAL_CORES } from './vmSizes.js';

export interface QuotaBucket {
  readonly subscriptionId: string;
  readonly region: string;
  /** As Azure sent it. */
  readonly name: string;
  readonly used: number;
  readonly limit: number;
  /** ISO time of the usages read this came from. */
  readonly readAt: string;
}

export interface QuotaLedger {
  /** By `bucketKey`. */
  readonly buckets: ReadonlyMap<string, QuotaBucket>;
}

export const bucketKey = (subscriptionId: string, region: string, name: string): string =>
  `${subscriptionId.toLowerCase()}|${region.toLowerCase()}|${normalizeQuotaName(name)}`;

export const emptyLedger = (): QuotaLedger => ({ buckets: new Map() });

export interface UsageRead {
  readonly subscriptionId: string;
  readonly region: string;
  readonly usages: readonly QuotaUsage[];
  readonly readAt: string | Date;
}

/** Applies one usages read. A bucket keeps whichever read is newer, so reads may arrive in any order. */
export function recordUsages(ledger: QuotaLedger, read: UsageRead): QuotaLedger {
  const readAt = typeof read.readAt === 'string' ? read.readAt : read.readAt.toISOString();
  const buckets = new Map(ledger.buckets);
  for (const u of read.usages) {
    const key = bucketKey(read.subscriptionId, read.region, u.name);
    const known = buckets.get(key);
    if (known && Date.parse(known.readAt) > Date.parse(readAt)) continue;
    buckets.set(key, { subscriptionId: read.subscriptionId, region: read.region, name: u.name, used: u.used, limit: u.limit, readAt });
  }
  return { buckets };
}

export const ledgerOf = (reads: readonly UsageRead[]): QuotaLedger => reads.reduce(recordUsages, emptyLedger());

/** vCPUs held for a scale-up that is decided but not yet visible in usages. */
export interface Reservation {
  /** Deterministic (the resize's action key): a reservation listed twice counts once. */
  readonly key: string;
  readonly subscriptionId: string;
  readonly region: string;
  /** Quota family of the VM size (ignored for the bucket when `spot`). */
  readonly family: string;
  readonly spot: boolean;
  readonly vcpus: number;
  /** ISO; from then on it no longer counts. */
  readonly expiresAt: string;
  /** The pool it grows and the node count it grows it to: the planner counts those nodes as coming. */
  readonly clusterId?: string;
  readonly pool?: string;
  readonly targetCount?: number;
  /** The node count the pool had: nodes past it carry no running job yet. */
  readonly fromCount?: number;
  /** Nodes it adds. */
  readonly nodes?: number;
  /** The waiting jobs it grows the pool for: planning again counts them as served by those nodes. */
  readonly jobs?: readonly string[];
  /** GPUs those jobs take from what was already free on the pool, beyond the new nodes. */
  readonly gpusFromFree?: number;
  /** ISO; set when the resize finished: a usages read at or after this already includes the nodes. */
  readonly settledAt?: string;
}

export interface HeadroomQuery {
  readonly subscriptionId: string;
  readonly region: string;
  readonly family: string;
  readonly spot: boolean;
}

/** The buckets a scale-up in this family draws on. */
export const bucketsFor = (q: { readonly family: string; readonly spot: boolean }): readonly string[] =>
  q.spot ? [LOW_PRIORITY_CORES] : [q.family, REGIONAL_CORES];

/** Reservations still in force at `now`, one per key (the last listed wins). */
export function liveReservations(reservations: readonly Reservation[], now: Date): Reservation[] {
  const t = now.getTime();
  const byKey = new Map<string, Reservation>();
  for (const r of reservations) if (Date.parse(r.expiresAt) > t) byKey.set(r.key, r);
  return [...byKey.values()];
}

/**
 * vCPUs reserved per bucket key, counting each live reservation on every bucket it draws on, except on a
 * bucket whose usages were read after the reservation settled.
 */
export function reservedByBucket(ledger: QuotaLedger, reservations: readonly Reservation[], now: Date): Map<string, number> {
  const reserved = new Map<string, number>();
  for (const r of liveReservations(reservations, now)) {
    if (!(r.vcpus > 0)) continue;
    for (const name of bucketsFor(r)) {
      const key = bucketKey(r.subscriptionId, r.region, name);
      const bucket = ledger.buckets.get(key);
      if (r.settledAt && bucket && Date.parse(bucket.readAt) >= Date.parse(r.settledAt)) continue;
      reserved.set(key, (reserved.get(key) ?? 0) + r.vcpus);
    }
  }
  return reserved;
}

export interface BucketRoom {
  /** Azure's spelling when read, else the name asked for. */
  readonly bucket: string;
  readonly known: boolean;
  /** limit − used − reserved, never negative; 0 when not known. */
  readonly remaining: number;
  readonly limit?: number;
  readonly used?: number;
  readonly reserved: number;
  readonly readAt?: string;
}

export function bucketRoom(ledger: QuotaLedger, subscriptionId: string, region: string, name: string, reserved: ReadonlyMap<string, number>): BucketRoom {
  const key = bucketKey(subscriptionId, region, name);
  const b = ledger.buckets.get(key);
  const r = reserved.get(key) ?? 0;
  if (!b) return { bucket: name, known: false, remaining: 0, reserved: r };
  return { bucket: b.name, known: true, remaining: Math.max(0, b.limit - b.used - r), limit: b.limit, used: b.used, reserved: r, readAt: b.readAt };
}

export interface Headroom {
  readonly vcpus: number;
  /** The bucket that sets the headroom (the first unknown one, or the one with least room). */
  readonly limitedBy: string;
  readonly known: boolean;
  readonly reason: string;
  readonly buckets: readonly BucketRoom[];
}

export const describeRoom = (b: BucketRoom, region: string): string =>
  b.known
    ? `headroom ${b.remaining} vCPU in ${b.bucket} (limit ${b.limit}, used ${b.used}${b.reserved ? `, reserved ${b.reserved}` : ''})`
    : `quota usage of ${b.bucket} in ${region} never read: headroom 0 vCPU`;

/** The smallest of the rooms: an unknown bucket wins (0, not a guess), then the least remaining, first listed on ties. */
export function combineRooms(rooms: readonly BucketRoom[], region: string): Headroom {
  const unknown = rooms.find((b) => !b.known);
  const limiting = unknown ?? rooms.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  return { vcpus: limiting.remaining, limitedBy: limiting.bucket, known: !unknown, reason: describeRoom(limiting, region), buckets: rooms };
}

/**
 * vCPUs a scale-up may still take: min(family, `cores`) for on-demand, `lowPriorityCores` for Spot, each
 * minus the live reservations on it; never negative; 0 for a bucket never read.
 */
export function headroomVcpus(ledger: QuotaLedger, query: HeadroomQuery, reservations: readonly Reservation[], now: Date): Headroom {
  const reserved = reservedByBucket(ledger, reservations, now);
  return combineRooms(bucketsFor(query).map((name) => bucketRoom(ledger, query.subscriptionId, query.region, name, reserved)), query.region);
}
