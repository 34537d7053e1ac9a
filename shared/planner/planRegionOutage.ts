/**
 * A Service Health incident: mark each named region and move its running jobs away. Pure:
 * (snapshot, signal, now) → Plan. The executor does the rest.
 */
import { applyIncident, healthyRegion } from '../fleet/regionHealth.js';
import type { RegionHealth } from '../fleet/types.js';
import type { RegionOutageSignal } from '../signals/types.js';
import type { Action, Plan } from './plan.js';
import { planEvacuation } from './planEvacuation.js';
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
  // Two or more regions impaired within the window: more likely our view is broken than the world.
  const window = snapshot.policy.selfFreezeWindowMs;
  const recentlyImpaired = [...health.values()].filter((h) => h.state === 'impaired' && now.getTime() - Date.parse(h.since) <= window).map((h) => h.region);
  if (recentlyImpaired.length >= 2 && !snapshot.ops?.freeze.frozen) {
    const reason = `${recentlyImpaired.sort().join(' and ')} impaired within ${Math.round(window / 60_000)} min: freezing all automatic action until an operator unfreezes`;
    actions.push({ kind: 'freeze', key: `freeze:${signal.id}`, reason });
    reasons.push(reason);
  }
  const evacuation = planEvacuation({ ...snapshot, health }, `Service Health incident ${signal.trackingId}`);
  return { trigger: [signal.id], actions: [...actions, ...evacuation.actions], reasons: [...reasons, ...evacuation.reasons] };
}
