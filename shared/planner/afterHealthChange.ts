/**
 * What follows a change of region health, whatever caused it: a self-freeze when two or more regions
 * became impaired within the window (more likely our view is broken than the world), and the evacuation
 * of every impaired region's running jobs.
 */
import type { RegionHealth } from '../fleet/types.js';
import type { Action } from './plan.js';
import { planEvacuation } from './planEvacuation.js';
import type { FleetSnapshot } from './snapshot.js';

export function afterHealthChange(snapshot: FleetSnapshot, health: ReadonlyMap<string, RegionHealth>, now: Date, signalId: string, cause: string): { actions: Action[]; reasons: string[] } {
  const actions: Action[] = [];
  const reasons: string[] = [];
  const window = snapshot.policy.selfFreezeWindowMs;
  // Only a region this very plan impairs can trip the freeze (a Resolved or a repeat cannot), and
  // regions an operator evacuated do not count: that was a person's decision, not our view breaking.
  const newlyImpaired = [...health.values()].some((h) => h.state === 'impaired' && snapshot.health.get(h.region)?.state !== 'impaired');
  const recentlyImpaired = [...health.values()].filter((h) => h.state === 'impaired' && !byOperatorOnly(h) && now.getTime() - Date.parse(h.since) <= window).map((h) => h.region);
  if (newlyImpaired && recentlyImpaired.length >= 2 && !snapshot.ops?.freeze.frozen) {
    const reason = `${recentlyImpaired.sort().join(' and ')} impaired within ${Math.round(window / 60_000)} min: freezing all automatic action until an operator unfreezes`;
    actions.push({ kind: 'freeze', key: `freeze:${signalId}`, reason });
    reasons.push(reason);
  }
  const evacuation = planEvacuation({ ...snapshot, health }, cause);
  return { actions: [...actions, ...evacuation.actions], reasons: [...reasons, ...evacuation.reasons] };
}

/** Impaired only because an operator said so (operator incidents, no other active incident or bad evidence). */
function byOperatorOnly(h: RegionHealth): boolean {
  const active = Object.entries(h.incidents).filter(([, i]) => i.stage === 'active').map(([id]) => id);
  const bad = Object.values(h.evidence ?? {}).some((e) => e.bad);
  return active.length > 0 && active.every((id) => id.startsWith('OPERATOR-')) && !bad;
}
