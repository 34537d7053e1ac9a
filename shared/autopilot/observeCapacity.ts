/**
 * Observe before planning: every managed pool as ARM reports it now, quota usages that are older than
 * the policy allows, and which pools have been idle since when. Reads only; failures are reported, not
 * thrown (a pool that cannot be read is neither grown nor shrunk).
 */
import type { Reservation } from '../capacity/ledger.js';
import { gpusPerNode } from '../capacity/placementLimits.js';
import { subscriptionOf } from '../capacity/planCapacity.js';
import { blockFromFailure, sameBlockScope } from '../capacity/capacityErrors.js';
import type { ClusterSpec } from '../fleet/types.js';
import { wakeWaiting } from '../executor/wakeWaiting.js';
import type { PoolState } from '../ports/nodePools.js';
import type { Ports } from '../executor/ports.js';
import type { PoolRecord } from '../state/capacityState.js';
import { refreshQuota } from '../executor/resizePool.js';
import { errorMessage } from '../observability/logger.js';
import { allocatedGpus } from '../planner/snapshot.js';
import { isAtRest } from '../capacity/poolStates.js';

export async function observeCapacity(ports: Ports): Promise<{ pools: number; quotas: number; problems: string[] }> {
  const managed = ports.fleet.clusters.filter((c) => c.pools.length > 0);
  if (managed.length === 0) return { pools: 0, quotas: 0, problems: [] };
  const now = ports.clock.now();
  const problems: string[] = [];
  const capacity = ports.state.capacity;
  // Read once per pass, not once per pool: the pool records (for lastPutAt) and open reservations.
  const [ledgers, records, reservations] = await Promise.all([
    ports.state.snapshot(now).then((s) => s.ledgers), capacity.pools(), capacity.reservations(),
  ]);
  let pools = 0;
  await Promise.all(managed.flatMap((cluster) => cluster.pools.map(async (spec) => {
    const read = await ports.nodePools.get({ clusterId: cluster.id, pool: spec.name });
    if (!read.ok) {
      problems.push(`${cluster.name}/${spec.name}: ${read.failure.class} ${read.failure.code}`);
      await capacity.mutatePool(cluster.id, spec.name, (cur) => ({ ...cur, readFailedAt: now.toISOString() }));
      return;
    }
    pools++;
    // Idle: more nodes than the cluster's running jobs need (all of them counted on this pool: never
    // shrinks under a job, at the cost of shrinking late in clusters with several pools).
    const perNode = gpusPerNode(ports.fleet.catalogue, read.pool.vmSize) || 1;
    const needed = Math.ceil(allocatedGpus(ledgers.get(cluster.id)) / perNode);
    const idle = read.pool.count > Math.max(needed, spec.minCount);
    const { value: record } = await capacity.mutatePool(cluster.id, spec.name, (cur) => {
      const idleSince = idle ? cur.idleSince ?? now.toISOString() : undefined;
      return { ...cur, observed: read.pool, observedAt: now.toISOString(), readFailedAt: undefined, ...(idleSince ? { idleSince } : { idleSince: undefined }) };
    });
    const before = records.find((r) => r.clusterId === cluster.id && r.pool === spec.name);
    await blockAsyncFailure(ports, cluster, spec.name, before?.observed, read.pool, before?.lastPutAt);
    // The record as written after the read (not as listed when the pass began): a PUT claimed since is seen.
    await settleInFlight(ports, reservations, record, cluster.id, spec.name, read.pool.count, read.pool.provisioningState);
  })));

  const reads = new Map((await capacity.quotaReads()).map((r) => [`${r.subscriptionId.toLowerCase()}|${r.region}`, r]));
  const wanted = new Map<string, { subscriptionId: string; region: string }>();
  for (const c of managed) {
    const subscriptionId = subscriptionOf(c.id);
    if (subscriptionId) wanted.set(`${subscriptionId.toLowerCase()}|${c.region}`, { subscriptionId, region: c.region });
  }
  let quotas = 0;
  await Promise.all([...wanted].map(async ([key, { subscriptionId, region }]) => {
    const last = reads.get(key);
    if (last && now.getTime() - Date.parse(String(last.readAt)) < ports.fleet.policy.quotaRefreshMs) return;
    try {
      await refreshQuota(ports, subscriptionId, region);
      quotas++;
    } catch (e) {
      problems.push(`quota ${region}: ${errorMessage(e)}`);
    }
  }));
  return { pools, quotas, problems };
}

/**
 * A resize that ARM accepted and that failed later, while nobody followed it (node provisioning outlives an
 * invocation): seen once, when the pool comes to rest as Failed after our PUT, and blocked like a failure seen
 * at once (ZonalAllocationFailed, quota…), so the next plans grow elsewhere.
 */
async function blockAsyncFailure(ports: Ports, cluster: ClusterSpec, pool: string, before: PoolState | undefined, now: PoolState, lastPutAt: string | undefined): Promise<void> {
  if (!now.provisioningError || now.provisioningState.toLowerCase() !== 'failed' || !lastPutAt) return;
  // Already seen at rest as Failed: the same pool state (its eTag). Not any Failed seen before: a pool still Failed
  // from an older failure when a resize read it before its PUT, whose follow then broke off (a poll's 500), had its
  // new failure never blocked — and the next plan PUT into it again every minute.
  if (before && before.provisioningState.toLowerCase() === 'failed' && before.eTag === now.eTag) return;
  const at = ports.clock.now();
  const size = ports.fleet.catalogue.get(now.vmSize.toLowerCase());
  const block = blockFromFailure(now.provisioningError, {
    region: cluster.region, family: size?.family ?? now.vmSize, subscriptionId: subscriptionOf(cluster.id) ?? '', clusterId: cluster.id, pool, spot: now.spot,
  }, at);
  // The same failure may already be blocked (the resize saw it itself, within the time it followed the operation).
  // Same scope as recordBlock keeps (family and subscription included): matched on the region alone, a block of
  // another family for the same code (H100s out) left this family's failure unblocked, and its pool was PUT again.
  const known = block && (await ports.state.capacity.blocks(at)).some((b) => b.code === block.code && sameBlockScope(b, block));
  if (block && !known) await ports.state.capacity.recordBlock(block, at);
  ports.log.warn(`${cluster.name}/${pool}: the resize failed after ARM accepted it: ${now.provisioningError.code}`, { message: now.provisioningError.message.slice(0, 300), blocked: !!block });
}

/**
 * A reservation kept after an uncertain PUT (a timeout while following the operation) ends when the
 * pool is seen in a terminal state: settled if it reached the target, released if it did not.
 */
async function settleInFlight(
  ports: Ports, reservations: readonly Reservation[], record: PoolRecord | undefined,
  clusterId: string, pool: string, count: number, provisioningState: string,
): Promise<void> {
  if (!isAtRest(provisioningState)) return;
  const now = ports.clock.now();
  const open = reservations.filter((r) =>
    r.clusterId === clusterId && r.pool === pool && !r.settledAt && Date.parse(r.expiresAt) > now.getTime() && r.targetCount !== undefined);
  // Released only once its own PUT was sent (the pool's last PUT is this reservation's resize, more than 30 s before
  // the read) and the pool has since come back to rest below the target. Any PUT would do before: a reservation
  // whose resize had reserved and read the pool but not yet sent its PUT was released under an older PUT, and its
  // nodes then came with no quota held for them (another plan could spend the same vCPUs).
  const putDone = record?.lastPutAt !== undefined && now.getTime() - Date.parse(record.lastPutAt) > 30_000;
  for (const r of open) {
    if (count >= r.targetCount!) {
      await ports.state.capacity.settleReservation(r.key, now);
      await wakeWaiting(ports, r.jobs ?? []);
    } else if (putDone && record?.lastPutKey === r.key) await ports.state.capacity.releaseReservation(r.key, now);
  }
}
