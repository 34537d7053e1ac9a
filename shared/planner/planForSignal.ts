/** The planner's entry for one signal: pure, (snapshot, signal, now) → Plan. */
import type { QuotaPressureSignal, Signal } from '../signals/types.js';
import { subscriptionOf } from '../capacity/planCapacity.js';
import type { Plan } from './plan.js';
import { planClusterHealth } from './planClusterHealth.js';
import { planRegionOutage } from './planRegionOutage.js';
import type { FleetSnapshot } from './snapshot.js';

export function planForSignal(snapshot: FleetSnapshot, signal: Signal, now: Date): Plan {
  switch (signal.kind) {
    case 'regionOutage':
      return planRegionOutage(snapshot, signal, now);
    case 'resourceHealth':
      return planClusterHealth(snapshot, signal, now);
    case 'quotaPressure':
      return planQuotaPressure(snapshot, signal);
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
