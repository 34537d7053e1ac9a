/**
 * Observed capacity in the state Table: each managed pool as ARM last reported it (partition `pool`),
 * quota usages per subscription × region (`quota`), in-flight scale-up reservations (`reservation`) and
 * region × family / pool blocks after capacity errors (`capacityBlock`, one row: small, and updated
 * under its ETag). All writes conditional.
 */
import { pruneBlocks, recordBlock, type CapacityBlock } from '../capacity/capacityErrors.js';
import type { Reservation, UsageRead } from '../capacity/ledger.js';
import type { EntityStore } from '../ports/entityStore.js';
import type { PoolState } from '../ports/nodePools.js';
import type { QuotaUsage } from '../ports/quota.js';
import { mutate } from './mutate.js';

export interface PoolRecord {
  readonly clusterId: string;
  readonly pool: string;
  /** As ARM last reported it; absent until first read. */
  readonly observed?: PoolState;
  readonly observedAt?: string;
  /** Every PUT attempt, successful or not (AKS allows about one per pool per minute). */
  readonly lastPutAt?: string;
  /** The resize (its key, also its reservation's) that claimed `lastPutAt`: whose PUT went out last. */
  readonly lastPutKey?: string;
  /** Since when the pool has had more nodes than its running jobs need. */
  readonly idleSince?: string;
  /** A shrink to this many nodes is under way: placement counts no more than this. */
  readonly shrinkingTo?: number;
  /** The last read failed (then): the pool is neither grown nor shrunk until it is read again. */
  readonly readFailedAt?: string;
}

const poolKey = (clusterId: string, pool: string) => `${clusterId}|${pool}`;
const quotaKey = (subscriptionId: string, region: string) => `${subscriptionId.toLowerCase()}|${region}`;

export class CapacityState {
  constructor(private readonly store: EntityStore) {}

  async pools(): Promise<PoolRecord[]> {
    return (await this.store.list<PoolRecord>('pool')).map((e) => e.value);
  }

  async pool(clusterId: string, pool: string): Promise<PoolRecord | undefined> {
    return (await this.store.get<PoolRecord>('pool', poolKey(clusterId, pool)))?.value;
  }

  mutatePool(clusterId: string, pool: string, decide: (cur: PoolRecord) => PoolRecord | undefined) {
    return mutate<PoolRecord>(this.store, 'pool', poolKey(clusterId, pool), (cur) => decide(cur ?? { clusterId, pool }));
  }

  /** Stores what ARM said, unless a newer observation is already there. */
  async observePool(observed: PoolState, at: Date): Promise<void> {
    await this.mutatePool(observed.ref.clusterId, observed.ref.pool, (cur) =>
      cur.observedAt && Date.parse(cur.observedAt) > at.getTime() ? undefined : { ...cur, observed, observedAt: at.toISOString() });
  }

  async quotaReads(): Promise<UsageRead[]> {
    return (await this.store.list<UsageRead>('quota')).map((e) => e.value);
  }

  async recordQuota(subscriptionId: string, region: string, usages: readonly QuotaUsage[], at: Date): Promise<void> {
    await mutate<UsageRead>(this.store, 'quota', quotaKey(subscriptionId, region), (cur) =>
      cur && Date.parse(String(cur.readAt)) > at.getTime() ? undefined : { subscriptionId, region, usages: [...usages], readAt: at.toISOString() });
  }

  async reservations(): Promise<Reservation[]> {
    return (await this.store.list<Reservation>('reservation')).map((e) => e.value);
  }

  /**
   * Written before the PUT, keyed by the resize's key, so a retry holds the same vCPUs once. A retry of a
   * resize whose reservation was released (expired in place) holds them again.
   */
  async reserve(reservation: Reservation): Promise<void> {
    await mutate<Reservation>(this.store, 'reservation', reservation.key, (cur) =>
      // Re-arm only one released early (its expiry moved before the decision's): a live one stays as it is.
      !cur || (!cur.settledAt && Date.parse(cur.expiresAt) < Date.parse(reservation.expiresAt)) ? reservation : undefined);
  }

  async settleReservation(key: string, at: Date): Promise<void> {
    await mutate<Reservation>(this.store, 'reservation', key, (cur) => cur && !cur.settledAt ? { ...cur, settledAt: at.toISOString() } : undefined);
  }

  /** A failed or abandoned resize gives its vCPUs back (the reservation is expired in place). */
  async releaseReservation(key: string, at: Date): Promise<void> {
    await mutate<Reservation>(this.store, 'reservation', key, (cur) => cur && Date.parse(cur.expiresAt) > at.getTime() ? { ...cur, expiresAt: at.toISOString() } : undefined);
  }

  async blocks(now: Date): Promise<CapacityBlock[]> {
    return pruneBlocks((await this.store.get<{ blocks: CapacityBlock[] }>('capacityBlock', 'all'))?.value.blocks ?? [], now);
  }

  async recordBlock(block: CapacityBlock, now: Date): Promise<void> {
    await mutate<{ blocks: CapacityBlock[] }>(this.store, 'capacityBlock', 'all', (cur) => ({ blocks: recordBlock(cur?.blocks ?? [], block, now) }));
  }
}
