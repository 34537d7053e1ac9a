/**
 * A managed cluster's Resource Health is evidence about its region: one cluster unavailable makes the
 * region suspect (no new placements); two clusters of one region unavailable impair it (quorum), and its
 * work moves. Node-level health (VMSS instances) is about nodes, not regions, and is left to node
 * handling. Pure.
 */
import { applyEvidence, healthyRegion } from '../fleet/regionHealth.js';
import type { ResourceHealthSignal } from '../signals/types.js';
import { afterHealthChange } from './afterHealthChange.js';
import type { Plan } from './plan.js';
import type { FleetSnapshot } from './snapshot.js';

const MANAGED_CLUSTER = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+$/i;

export function planClusterHealth(snapshot: FleetSnapshot, signal: ResourceHealthSignal, now: Date): Plan {
  const trigger = [signal.id];
  const cluster = MANAGED_CLUSTER.test(signal.resourceId) ? snapshot.clusters.find((c) => c.id.toLowerCase() === signal.resourceId.toLowerCase()) : undefined;
  if (!cluster) {
    return { trigger, actions: [], reasons: [`${signal.resourceType} ${signal.status}: not a managed cluster of the fleet; region health unchanged (node health is handled per node)`] };
  }
  const current = snapshot.health.get(cluster.region) ?? healthyRegion(cluster.region, now.toISOString());
  const outcome = applyEvidence(current, signal, cluster.id, now);
  if (!outcome.changed) return { trigger, actions: [], reasons: [`${cluster.region}: ${outcome.why}`] };
  const health = new Map(snapshot.health).set(cluster.region, outcome.next);
  const reason = outcome.next.state === current.state ? `${cluster.region} stays ${current.state}: ${outcome.next.reason}` : `${cluster.region} ${current.state} → ${outcome.next.state}: ${outcome.next.reason}`;
  const after = afterHealthChange(snapshot, health, now, signal.id, `Resource Health of ${cluster.name}`);
  return {
    trigger,
    actions: [{ kind: 'applyEvidence', key: `evidence:${cluster.region}:${signal.id}`, region: cluster.region, source: cluster.id, signal, reason }, ...after.actions],
    reasons: [reason, ...after.reasons],
  };
}
