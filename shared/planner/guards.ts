/**
 * What automation may do right now. Applied to every automatic plan before it runs (and to what-if
 * answers): while frozen, nothing that disrupts or spends (stopping, requeueing, resizing) runs; a hold
 * on a region, cluster or pool keeps automation's hands off it. Bookkeeping (recording region health,
 * finished jobs, freed GPUs, quota reads) always runs. Held-back actions are not lost: reconcile plans
 * them again from observed state once the freeze or hold is gone. Operator requests bypass both.
 */
import { holdOn, type Hold } from '../state/opsState.js';
import type { Action, Plan } from './plan.js';
import type { FleetSnapshot } from './snapshot.js';

const DISRUPTIVE = new Set<Action['kind']>(['stopRayJob', 'requeueJob', 'resizePool']);

export function applyGuards(plan: Plan, snapshot: FleetSnapshot): Plan {
  if (plan.requestedBy && plan.requestedBy !== 'autopilot') return plan;
  const freezing = plan.actions.find((a) => a.kind === 'freeze');
  const frozen = snapshot.ops?.freeze.frozen ? snapshot.ops.freeze.reason : freezing?.reason;
  const holds = snapshot.ops?.holds ?? [];
  const keep: Action[] = [];
  const withheld: Array<{ key: string; kind: Action['kind']; why: string }> = [...(plan.withheld ?? [])];
  for (const action of plan.actions) {
    const why = frozen && DISRUPTIVE.has(action.kind) ? `frozen: ${frozen}` : heldBy(action, snapshot, holds);
    if (why) withheld.push({ key: action.key, kind: action.kind, why });
    else keep.push(action);
  }
  if (withheld.length === (plan.withheld?.length ?? 0)) return plan;
  return { ...plan, actions: keep, withheld, reasons: [...plan.reasons, ...withheld.slice(plan.withheld?.length ?? 0).map((w) => `withheld ${w.key}: ${w.why}`)] };
}

function heldBy(action: Action, snapshot: FleetSnapshot, holds: readonly Hold[]): string | undefined {
  if (holds.length === 0) return undefined;
  let hold: Hold | undefined;
  if (action.kind === 'stopRayJob') hold = holdOn(holds, { region: action.region, clusterId: action.clusterId });
  else if (action.kind === 'requeueJob') {
    const job = snapshot.jobs.find((j) => j.jobId === action.jobId);
    hold = holdOn(holds, { region: action.fromRegion, ...(job?.clusterId ? { clusterId: job.clusterId } : {}) });
  } else if (action.kind === 'resizePool') {
    hold = holdOn(holds, { region: action.decision.region, clusterId: action.decision.clusterId, pool: action.decision.pool });
  }
  return hold ? `on hold until ${hold.until} by ${hold.by}: ${hold.reason}` : undefined;
}
