/**
 * "What would you do if…": plans for a sequence of signals against a snapshot, each one seeing the
 * effects the previous ones would have had on region health, the freeze and the jobs. Pure; nothing is
 * executed. The same planner and guards as the real path, so the answer is what would really happen.
 */
import { applyEvidence, applyIncident, healthyRegion } from '../fleet/regionHealth.js';
import type { JobRecord, RegionHealth } from '../fleet/types.js';
import type { Signal } from '../signals/types.js';
import { applyGuards } from './guards.js';
import type { Plan } from './plan.js';
import { planForSignal } from './planForSignal.js';
import type { FleetSnapshot } from './snapshot.js';

export interface WhatIfStep {
  readonly signal: { readonly id: string; readonly kind: Signal['kind'] };
  readonly plan: Plan;
}

export function whatIf(snapshot: FleetSnapshot, signals: readonly Signal[], now: Date): WhatIfStep[] {
  let sim = snapshot;
  const steps: WhatIfStep[] = [];
  for (const signal of signals) {
    const plan = applyGuards(planForSignal(sim, signal, now), sim, now);
    steps.push({ signal: { id: signal.id, kind: signal.kind }, plan });
    sim = afterPlan(sim, plan, now);
  }
  return steps;
}

/** The snapshot as it would be once the plan ran (the parts later plans depend on). */
function afterPlan(snapshot: FleetSnapshot, plan: Plan, now: Date): FleetSnapshot {
  const health = new Map<string, RegionHealth>(snapshot.health);
  let jobs: readonly JobRecord[] = snapshot.jobs;
  let ops = snapshot.ops;
  for (const action of plan.actions) {
    if (action.kind === 'applyIncident') {
      const outcome = applyIncident(health.get(action.region) ?? healthyRegion(action.region, now.toISOString()), action.signal, now);
      if (outcome.changed) health.set(action.region, outcome.next);
    } else if (action.kind === 'applyEvidence') {
      const outcome = applyEvidence(health.get(action.region) ?? healthyRegion(action.region, now.toISOString()), action.signal, action.source, now);
      if (outcome.changed) health.set(action.region, outcome.next);
    } else if (action.kind === 'freeze') {
      ops = { ...(ops ?? { holds: [] }), freeze: { frozen: true, reason: action.reason, since: now.toISOString(), by: 'autopilot' } };
    } else if (action.kind === 'requeueJob') {
      jobs = jobs.map((j) => j.jobId === action.jobId ? { ...j, state: 'requeued' as const, attempt: action.toAttempt } : j);
      // As the executor does: this episode of the region has failed over (one per window).
      const episode = health.get(action.fromRegion);
      if (episode?.state === 'impaired') {
        const base = ops ?? { freeze: { frozen: false, reason: 'never frozen', since: now.toISOString(), by: 'autopilot' }, holds: [] };
        ops = { ...base, failovers: [...(base.failovers ?? []), { region: action.fromRegion, episode: episode.since, at: now.toISOString() }] };
      }
    }
  }
  return { ...snapshot, health, jobs, ...(ops ? { ops } : {}) };
}
