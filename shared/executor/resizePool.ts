/**
 * One pool resize, safely: hold the quota first (reservation, create-once by the decision's key),
 * re-read the pool so the PUT carries its current eTag and the decision still applies, record the PUT
 * attempt (AKS allows about one per pool per minute), then PUT and follow the operation. A capacity
 * error marks region × family (or the pool) blocked for its TTL; quota is read again either way.
 */
import { blockFromFailure } from '../capacity/capacityErrors.js';
import type { ResizeDecision } from '../capacity/planCapacity.js';
import type { PoolState } from '../ports/nodePools.js';
import type { Ports } from './ports.js';

export async function resizePool(decision: ResizeDecision, ports: Ports): Promise<string> {
  const capacity = ports.state.capacity;
  const now = ports.clock.now();
  if (decision.reservation) await capacity.reserve(decision.reservation);
  const giveBack = async () => { if (decision.reservation) await capacity.releaseReservation(decision.reservation.key, ports.clock.now()); };

  const ref = { clusterId: decision.clusterId, pool: decision.pool };
  const read = await ports.nodePools.get(ref);
  if (!read.ok) {
    await giveBack();
    return `could not read ${decision.pool}: ${read.failure.class} ${read.failure.code}`;
  }
  await capacity.observePool(read.pool, now);
  if (!stillApplies(decision, read.pool)) {
    await giveBack();
    return `${decision.pool} changed since planning (count ${read.pool.count}, ${read.pool.provisioningState}); re-planned next pass`;
  }
  await capacity.mutatePool(decision.clusterId, decision.pool, (cur) => ({ ...cur, lastPutAt: ports.clock.now().toISOString() }));
  const result = await ports.nodePools.resize(read.pool, decision.change);
  const done = ports.clock.now();
  const region = decision.region;
  await refreshQuota(ports, decision.subscriptionId, region);
  if (result.ok) {
    await capacity.observePool(result.pool, done);
    if (decision.reservation) await capacity.settleReservation(decision.reservation.key, done);
    return `${decision.pool} on ${decision.clusterId.split('/').pop()}: ${describe(decision)} (${result.pool.provisioningState})`;
  }
  await giveBack();
  const size = ports.fleet.catalogue.get(decision.vmSize.toLowerCase());
  const block = blockFromFailure(result.failure, {
    region, family: size?.family ?? decision.vmSize, subscriptionId: decision.subscriptionId,
    clusterId: decision.clusterId, pool: decision.pool, spot: read.pool.spot,
  }, done);
  if (block) await capacity.recordBlock(block, done);
  return `${describe(decision)} failed: ${result.failure.class} (${result.failure.code}) ${result.failure.message.slice(0, 200)}${block ? '; blocked for a while, planning elsewhere' : ''}`;
}

export async function refreshQuota(ports: Ports, subscriptionId: string, region: string): Promise<string> {
  const at = ports.clock.now();
  const usages = await ports.quota.usages(subscriptionId, region);
  await ports.state.capacity.recordQuota(subscriptionId, region, usages, at);
  return `read ${usages.length} quota usages of ${region}`;
}

function stillApplies(decision: ResizeDecision, pool: PoolState): boolean {
  if (!['succeeded', 'failed', 'canceled'].includes(pool.provisioningState.toLowerCase())) return false;
  if (decision.mode === 'count') return !pool.autoscale && pool.count === decision.from;
  return pool.autoscale && pool.minCount === decision.fromRange.minCount && pool.maxCount === decision.fromRange.maxCount;
}

const describe = (d: ResizeDecision): string => d.mode === 'count'
  ? `${d.from} → ${d.to} nodes`
  : `min/max ${d.fromRange.minCount}/${d.fromRange.maxCount} → ${d.toRange.minCount}/${d.toRange.maxCount}`;
