/**
 * One pool resize, safely: hold the quota first (reservation, keyed by the decision), re-read the pool
 * so the PUT carries its current eTag and the decision still applies, record the PUT attempt (AKS allows
 * about one per pool per minute), then PUT and follow the operation. Before shrinking, the pool
 * advertises its smaller size and the cluster's allocations are checked again, so admission and the
 * shrink cannot both win. A capacity error marks region × family (or the pool) blocked for its TTL.
 * Quota is read again afterwards, best effort.
 */
import { blockFromFailure } from '../capacity/capacityErrors.js';
import { gpusPerNode } from '../capacity/placementLimits.js';
import { DEFAULT_CAPACITY_POLICY, type ResizeDecision } from '../capacity/planCapacity.js';
import { errorMessage } from '../observability/logger.js';
import { allocatedGpus } from '../planner/snapshot.js';
import type { ArmFailure, PoolState } from '../ports/nodePools.js';
import type { Ports } from './ports.js';
import { wakeWaiting } from './wakeWaiting.js';
import { isAtRest } from '../capacity/poolStates.js';

/** Thrown when the resize could not be attempted: the action stays unfinished and the next pass retries it. */
export class ResizeNotAttemptedError extends Error {
  override readonly name = 'ResizeNotAttemptedError';
}

export async function resizePool(decision: ResizeDecision, ports: Ports): Promise<string> {
  return (await resizePoolOutcome(decision, ports)).text;
}

/**
 * What a resize came to: `applied` (ARM took it), `stale` (the pool changed since planning: nothing sent, plan
 * again), `refused` (ARM refused it or it failed; blocks recorded) or `skipped` (a shrink that no longer fits).
 */
export interface ResizeOutcome {
  readonly status: 'applied' | 'stale' | 'refused' | 'skipped';
  readonly text: string;
  readonly failureClass?: string;
  /**
   * Stale because the identical resize (same key: same pool, from → to, after the same PUT) was claimed by another
   * action — planCapacity's resize for the jobs a failed node displaced and that node's replacement plan the same
   * growth. Its reservation (same key) is that resize's and is kept; whether its PUT took is known once it is over.
   */
  readonly sameResize?: boolean;
}

export async function resizePoolOutcome(decision: ResizeDecision, ports: Ports, followMs = RESIZE_FOLLOW_MS): Promise<ResizeOutcome> {
  const capacity = ports.state.capacity;
  const now = ports.clock.now();
  if (decision.reservation) await capacity.reserve(decision.reservation);

  const giveBack = async () => { if (decision.reservation) await capacity.releaseReservation(decision.reservation.key, ports.clock.now()); };
  const ref = { clusterId: decision.clusterId, pool: decision.pool };
  const read = await ports.nodePools.get(ref);
  if (!read.ok) {
    // Not attempted: give the quota back (so the next plan does not count these nodes as coming) and
    // leave the action unfinished, so the next pass plans and tries the same resize again.
    await giveBack();
    throw new ResizeNotAttemptedError(`could not read ${decision.pool}: ${read.failure.class} ${read.failure.code}`);
  }
  await capacity.observePool(read.pool, now);
  if (!stillApplies(decision, read.pool)) {
    // The identical resize went out as another action: the shared reservation is its own (see sameResize).
    const same = (await capacity.pool(decision.clusterId, decision.pool))?.lastPutKey === decision.key;
    if (!same) await giveBack();
    return { status: 'stale', text: `${decision.pool} changed since planning (count ${read.pool.count}, ${read.pool.provisioningState}); re-planned next pass`, ...(same ? { sameResize: true } : {}) };
  }
  const target = decision.mode === 'count' ? decision.to : decision.toRange.maxCount;
  if (decision.direction === 'down') {
    // Advertise the smaller size first, then check: a job admitted meanwhile is seen here, and one
    // admitted after sees the smaller size.
    await capacity.mutatePool(decision.clusterId, decision.pool, (cur) => ({ ...cur, shrinkingTo: target }));
    const allocated = allocatedGpus((await ports.state.snapshot(ports.clock.now())).ledgers.get(decision.clusterId));
    if (allocated > target * (gpusPerNode(ports.fleet.catalogue, decision.vmSize) || 1)) {
      await capacity.mutatePool(decision.clusterId, decision.pool, (cur) => ({ ...cur, shrinkingTo: undefined }));
      return { status: 'skipped', text: `${decision.pool} not shrunk: ${allocated} GPUs are allocated on its cluster now` };
    }
  }
  // Claim the pool's PUT, atomically. The planners keep one PUT per pool per minute only on the snapshot they
  // planned from: two of them at once (admissions of waiting jobs, reconcile, a replacement beside a resize of the
  // same pool) planned different resizes (different keys), and both PUT — the second within the minute (AKS's
  // bucket; a 412 or 429 at best) and its quota reserved twice meanwhile. A resize planned before another PUT to
  // its pool, within the minute of that PUT, is stale (past it, the read above judges the pool as it is) — even one
  // with the same key: two actions can carry the identical resize (see sameResize). `lastPutKey` also tells
  // reconcile whose PUT went out (observeCapacity).
  const basis = plannedAfter(decision);
  const claimAt = ports.clock.now();
  const claim = await capacity.mutatePool(decision.clusterId, decision.pool, (cur) =>
    basis !== undefined && cur.lastPutAt !== undefined && cur.lastPutAt !== basis
      && claimAt.getTime() - Date.parse(cur.lastPutAt) < DEFAULT_CAPACITY_POLICY.putIntervalMs
      ? undefined
      : { ...cur, lastPutAt: claimAt.toISOString(), lastPutKey: decision.key });
  if (!claim.changed) {
    const same = claim.value?.lastPutKey === decision.key;
    if (!same) await giveBack();
    if (decision.direction === 'down') await capacity.mutatePool(decision.clusterId, decision.pool, (cur) => ({ ...cur, shrinkingTo: undefined }));
    return { status: 'stale', text: `${decision.pool} was resized by another ${same ? 'action with the same resize' : 'plan'} since planning (last PUT ${claim.value?.lastPutAt}); re-planned next pass`, ...(same ? { sameResize: true } : {}) };
  }
  const result = await ports.nodePools.resize(read.pool, decision.change, { followMs });
  const done = ports.clock.now();
  let outcome: string;
  let status: ResizeOutcome['status'] = 'applied';
  let failureClass: string | undefined;
  const state = result.ok ? result.pool.provisioningState.toLowerCase() : undefined;
  if (result.ok && !isAtRest(state!)) {
    // ARM took it and is still provisioning: the reservation holds the quota until reconcile sees the pool at
    // rest (settled at the target, released below it; a failure there is blocked like one seen here).
    await capacity.observePool(result.pool, done);
    outcome = `${decision.pool} on ${clusterName(decision.clusterId)}: ${describe(decision)} accepted, ${result.pool.provisioningState} (reconcile follows it)`;
  } else if (result.ok && state === 'succeeded') {
    await capacity.observePool(result.pool, done);
    if (decision.reservation) await capacity.settleReservation(decision.reservation.key, done);
    if (decision.direction === 'up') await wakeWaiting(ports, decision.jobs);
    outcome = `${decision.pool} on ${clusterName(decision.clusterId)}: ${describe(decision)} (${result.pool.provisioningState})`;
  } else {
    // A follow that stopped can report the pool at rest Failed or Canceled (the operation ended between the last
    // poll and the read after it): nothing was added, so this is the operation's failure, not a success. Settled,
    // its reservation made the planner count nodes that never came; and blockAsyncFailure skips a pool already
    // observed Failed, so the capacity error was never blocked.
    if (result.ok) await capacity.observePool(result.pool, done);
    const failure: ArmFailure = result.ok
      ? result.pool.provisioningError ?? { class: 'transient', code: 'OperationFailed', message: `the operation ended ${result.pool.provisioningState}` }
      : result.failure;
    // A transient failure after the PUT went out may still be scaling: keep the reservation; reconcile
    // settles or releases it once it sees the pool in a terminal state.
    status = 'refused';
    failureClass = failure.class;
    if (result.ok || failure.class !== 'transient') await giveBack();
    const size = ports.fleet.catalogue.get(decision.vmSize.toLowerCase());
    const block = blockFromFailure(failure, {
      region: decision.region, family: size?.family ?? decision.vmSize, subscriptionId: decision.subscriptionId,
      clusterId: decision.clusterId, pool: decision.pool, spot: read.pool.spot,
    }, done);
    if (block) await capacity.recordBlock(block, done);
    outcome = `${describe(decision)} failed: ${failure.class} (${failure.code}) ${failure.message.slice(0, 200)}${block ? '; blocked for a while, planning elsewhere' : ''}`;
  }
  if (decision.direction === 'down') await capacity.mutatePool(decision.clusterId, decision.pool, (cur) => ({ ...cur, shrinkingTo: undefined }));
  // Best effort: observeCapacity reads stale quota anyway.
  await refreshQuota(ports, decision.subscriptionId, decision.region).catch((e) => ports.log.warn('quota read after resize failed', { error: errorMessage(e) }));
  return { status, text: outcome, ...(failureClass ? { failureClass } : {}) };
}

export async function refreshQuota(ports: Ports, subscriptionId: string, region: string): Promise<string> {
  const at = ports.clock.now();
  const usages = await ports.quota.usages(subscriptionId, region);
  await ports.state.capacity.recordQuota(subscriptionId, region, usages, at);
  return `read ${usages.length} quota usages of ${region}`;
}

/**
 * How long one resize follows its ARM operation. Node provisioning takes minutes in Azure: past this the
 * invocation returns (a reconcile pass or an alert must not wait minutes) and reconcile observes the end.
 */
export const RESIZE_FOLLOW_MS = 20_000;
/**
 * A replacement node is asked for beside a drain that may race a Spot notice, and the signals of one delivery
 * are handled in turn: it follows its operation only long enough to see ARM take it.
 */
export const REPLACEMENT_FOLLOW_MS = 3_000;

/**
 * The pool's last PUT as the planner saw it: every planned resize key ends `:after:<lastPutAt|none>` (planCapacity,
 * planReplacement). Undefined for a resize not planned from the pool record (an operator's).
 */
function plannedAfter(decision: ResizeDecision): string | undefined {
  const at = decision.key.lastIndexOf(':after:');
  return at < 0 ? undefined : decision.key.slice(at + ':after:'.length);
}

function stillApplies(decision: ResizeDecision, pool: PoolState): boolean {
  if (!isAtRest(pool.provisioningState)) return false;
  if (decision.mode === 'count') return !pool.autoscale && pool.count === decision.from;
  return pool.autoscale && pool.minCount === decision.fromRange.minCount && pool.maxCount === decision.fromRange.maxCount;
}

const clusterName = (id: string) => id.split('/').pop();
const describe = (d: ResizeDecision): string => d.mode === 'count'
  ? `${d.from} → ${d.to} nodes`
  : `min/max ${d.fromRange.minCount}/${d.fromRange.maxCount} → ${d.toRange.minCount}/${d.toRange.maxCount}`;
