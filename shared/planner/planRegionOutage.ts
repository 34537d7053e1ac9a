/**
 * A Service Health incident: mark each named region and move its running jobs away. Pure:
 * (snapshot, signal, now) → Plan. The executor does the rest.
 */
import { applyIncident, healthyRegion } from '../fleet/regionHealth.js';
import type { RegionHealth } from '../fleet/types.js';
import type { RegionOutageSignal } from '../signals/types.js';
import { afterHealthChange } from './afterHealthChange.js';
import type { Action, Plan } from './plan.js';
import type { FleetSnapshot } from './snapshot.js';

export function planRegionOutage(snapshot: FleetSnapshot, signal: RegionOutageSignal, now: Date): Plan {
  const actions: Action[] = [];
  const reasons: string[] = [];
  const health = new Map(snapshot.health);
  for (const region of signal.regions) {
    if (!snapshot.regions.includes(region)) {
      reasons.push(`${region}: not in the fleet; nothing to do`);
      continue;
    }
    const current: RegionHealth = health.get(region) ?? healthyRegion(region, now.toISOString());
    const outcome = applyIncident(current, signal, now);
    if (!outcome.changed) {
      reasons.push(`${region}: ${outcome.why}`);
      continue;
    }
    const next = outcome.next;
    health.set(region, next);
    const reason = next.state === current.state ? `${region} stays ${next.state}: ${next.reason}` : `${region} ${current.state} → ${next.state}: ${next.reason}`;
    actions.push({ kind: 'applyIncident', key: `incident:${region}:${signal.id}`, region, signal, reason });
    reasons.push(reason);
  }
  const after = afterHealthChange(snapshot, health, now, signal.id, `Service Health incident ${signal.trackingId}`);
  return { trigger: [signal.id], actions: [...actions, ...after.actions], reasons: [...reasons, ...after.reasons] };
}
