/** The planner's entry for one signal: pure, (snapshot, signal, now) → Plan. */
import type { PoolRolloutSignal, QuotaPressureSignal, Signal } from '../signals/types.js';
import { subscriptionOf } from '../capacity/planCapacity.js';
import type { Plan } from './plan.js';
import { planNodeFailure } from './planNodeFailure.js';
import { planClusterHealth } from './planClusterHealth.js';
import { planRegionOutage } from './planRegionOutage.js';
import type { FleetSnapshot } from './snapshot.js';

export function planForSignal(snapshot: FleetSnapshot, signal: Signal, now: Date): Plan {
  const node = planNodeFailure(snapshot, signal, now);
  if (node) return node;
  switch (signal.kind) {
    case 'regionOutage':
      return planRegionOutage(snapshot, signal, now);
    case 'resourceHealth':
      return planClusterHealth(snapshot, signal, now);
    case 'quotaPressure':
      return planQuotaPressure(snapshot, signal);
    case 'poolRollout':
      return planPoolRollout(snapshot, signal, now);
    case 'ignored':
      return { trigger: [signal.id], actions: [], reasons: [`ignored: ${signal.reason}`] };
    default:
      // Recorded and visible, but the planner does not act on this kind yet (later issues).
      return { trigger: [signal.id], actions: [], reasons: [`${signal.kind}: recorded; no automatic action for this kind yet`] };
  }
}

/**
 * Quota moved in a region: read it again, so the next capacity plan grows elsewhere if this region has no
 * room (and is not surprised by a QuotaExceeded). Resolved alerts refresh too: room came back.
 */
function planQuotaPressure(snapshot: FleetSnapshot, signal: QuotaPressureSignal): Plan {
  const subscriptions = new Set(snapshot.clusters.filter((c) => c.region === signal.region && c.pools.length > 0)
    .map((c) => subscriptionOf(c.id)).filter((s): s is string => !!s)
    .filter((s) => !signal.subscriptionId || s.toLowerCase() === signal.subscriptionId.toLowerCase()));
  if (subscriptions.size === 0) return { trigger: [signal.id], actions: [], reasons: [`quota alert for ${signal.region}: no managed pools there`] };
  return {
    trigger: [signal.id],
    actions: [...subscriptions].map((subscriptionId) => ({
      kind: 'refreshQuota' as const, key: `quota:${signal.id}:${subscriptionId}:${signal.region}`, subscriptionId, region: signal.region,
      reason: `${signal.family} in ${signal.region} at ${signal.usagePercent}% (${signal.stage}): read quota again before planning capacity there`,
    })),
    reasons: [`quota ${signal.stage} for ${signal.family} in ${signal.region} (${signal.usagePercent}%)`],
  };
}

/** How long a pool whose rolling upgrade failed is not grown by automation. */
export const ROLLOUT_FAILED_BLOCK_MS = 30 * 60_000;

/**
 * AKS reports a pool's rolling upgrade failed: nodes it adds may not join (a bad image, a stuck drain), so
 * automation stops growing that pool for a while; nodes that go NotReady are handled one by one. Other
 * phases are recorded only.
 */
function planPoolRollout(snapshot: FleetSnapshot, signal: PoolRolloutSignal, now: Date): Plan {
  const cluster = snapshot.clusters.find((c) => c.id.toLowerCase() === signal.clusterId.toLowerCase());
  const managed = cluster?.pools.some((p) => p.name === signal.pool);
  if (signal.phase !== 'failed' || !cluster || !managed) {
    return { trigger: [signal.id], actions: [], reasons: [`rolling upgrade of ${signal.pool} ${signal.phase}${!managed ? ' (not a managed pool)' : ''}: recorded`] };
  }
  const until = new Date(Math.max(now.getTime(), Date.parse(signal.observedAt) || 0) + ROLLOUT_FAILED_BLOCK_MS).toISOString();
  const reason = `rolling upgrade of ${cluster.name}/${signal.pool} failed: not growing it until ${until}; failing nodes are drained one by one`;
  return {
    trigger: [signal.id],
    actions: [{
      kind: 'blockPool', key: `rolloutfailed:${signal.id}`, reason,
      block: { scope: 'pool', clusterId: cluster.id, pool: signal.pool, errorClass: 'operationNotAllowed', code: 'NodePoolRollingFailed', reason, until },
    }],
    reasons: [reason],
  };
}
