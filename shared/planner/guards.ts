/**
 * What automation may do right now. Applied to every automatic plan before it runs (and to what-if
 * answers): while frozen, nothing that disrupts or spends (stopping, requeueing, resizing) runs; a hold
 * on a region, cluster or pool keeps automation's hands off it. Bookkeeping (recording region health,
 * finished jobs, freed GPUs, quota reads) always runs. Held-back actions are not lost: reconcile plans
 * them again from observed state once the freeze or hold is gone. Operator requests bypass both.
 */
import { createHash } from 'node:crypto';
import { acceptsWork } from '../fleet/regionHealth.js';
import { holdOn, type Hold } from '../state/opsState.js';
import type { Action, Plan } from './plan.js';
import type { FleetSnapshot } from './snapshot.js';

const DISRUPTIVE = new Set<Action['kind']>(['stopRayJob', 'requeueJob', 'resizePool', 'drainNode', 'replaceNode']);

export function applyGuards(plan: Plan, snapshot: FleetSnapshot, now: Date): Plan {
  if (plan.requestedBy && plan.requestedBy !== 'autopilot') return plan;
  const freezing = plan.actions.find((a) => a.kind === 'freeze');
  const frozen = snapshot.ops?.freeze.frozen ? snapshot.ops.freeze.reason : freezing?.reason;
  const holds = snapshot.ops?.holds ?? [];
  const keep: Action[] = [];
  const withheld: Array<{ key: string; kind: Action['kind']; why: string }> = [...(plan.withheld ?? [])];
  const lastHealthy = lastHealthyRegionGuard(plan, snapshot);
  const failovers = failoverGuard(snapshot, now);
  for (const action of plan.actions) {
    const why = frozen && DISRUPTIVE.has(action.kind) ? `frozen: ${frozen}` : heldBy(action, snapshot, holds) ?? lastHealthy(action) ?? failovers(action);
    if (why) withheld.push({ key: action.key, kind: action.kind, why });
    else keep.push(action);
  }
  const approval = needsApproval({ ...plan, actions: keep }, snapshot);
  const actions = approval ? [...keep.filter((a) => !MOVES.has(a.kind)), ...(approval.request ? [approval.request] : [])] : keep;
  if (approval) withheld.push(...approval.moved.map((a) => ({ key: a.key, kind: a.kind, why: approval.why })));
  if (withheld.length === (plan.withheld?.length ?? 0)) return plan;
  return { ...plan, actions, withheld, reasons: [...plan.reasons, ...withheld.slice(plan.withheld?.length ?? 0).map((w) => `withheld ${w.key}: ${w.why}`)] };
}

const MOVES = new Set<Action['kind']>(['stopRayJob', 'requeueJob']);

/**
 * Preview → approve → execute: an automatic plan that would move more GPUs than the policy allows
 * without a person waits for one. The id is derived from the moves, so planning the same moves again
 * (reconcile, every pass) asks once.
 */
function needsApproval(plan: Plan, snapshot: FleetSnapshot): { request?: Extract<Action, { kind: 'requestApproval' }>; moved: Action[]; why: string } | undefined {
  const threshold = snapshot.policy.approvalAboveGpus;
  if (!threshold) return undefined;
  const moved = plan.actions.filter((a) => MOVES.has(a.kind));
  const gpus = moved.filter((a) => a.kind === 'requeueJob')
    .reduce((n, a) => n + (snapshot.jobs.find((j) => j.jobId === (a as { jobId: string }).jobId)?.spec.gpus ?? 0), 0);
  if (gpus <= threshold) return undefined;
  // The approval belongs to these moves in this impairment episode: a later episode asks again.
  const regions = [...new Set(moved.map(movesOutOf).filter((r): r is string => !!r))].sort();
  const unrecorded = regions.filter((r) => snapshot.health.get(r)?.state !== 'impaired');
  if (unrecorded.length) return { moved, why: `awaiting approval: requested on the next reconcile pass, once ${unrecorded.join(', ')} is recorded impaired` };
  const episodes = regions.map((r) => `${r}@${snapshot.health.get(r)!.since}`);
  const approvalId = `approval-${createHash('sha256').update([...moved.map((a) => a.key).sort(), ...episodes].join('\n')).digest('hex').slice(0, 16)}`;
  const known = snapshot.ops?.approvals?.find((a) => a.id === approvalId);
  if (known?.status === 'approved') return undefined; // a person said yes: these moves may run
  const reason = `moving ${gpus} GPUs of work is above the ${threshold}-GPU limit for automatic moves: ${known?.status === 'rejected' ? `rejected by ${known.decidedBy}` : `waiting for an operator to approve ${approvalId}`}`;
  return {
    moved, why: known?.status === 'rejected' ? `rejected (${approvalId})` : `awaiting approval ${approvalId}`,
    ...(known ? {} : { request: { kind: 'requestApproval', key: `request:${approvalId}`, approvalId, gpus, actions: moved, reason } }),
  };
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
  } else if (action.kind === 'drainNode') {
    hold = holdOn(holds, { region: action.region, clusterId: action.clusterId, ...(action.pool ? { pool: action.pool } : {}) });
  } else if (action.kind === 'replaceNode' && action.decision) {
    hold = holdOn(holds, { region: action.decision.region, clusterId: action.decision.clusterId, pool: action.decision.pool });
  } else if (action.kind === 'closeNodeEpisode' && action.uncordon) {
    // Uncordoning hands the node back to the scheduler: automation keeps its hands off a held node too (the
    // episode closes once the hold ends). A close that only records stays bookkeeping.
    const region = snapshot.clusters.find((c) => c.id.toLowerCase() === action.clusterId.toLowerCase())?.region;
    const pool = snapshot.nodes?.find((n) => n.clusterId.toLowerCase() === action.clusterId.toLowerCase() && n.node === action.node)?.pool;
    hold = holdOn(holds, { ...(region ? { region } : {}), clusterId: action.clusterId, ...(pool ? { pool } : {}) });
  }
  return hold ? `on hold until ${hold.until} by ${hold.by}: ${hold.reason}` : undefined;
}

/** The region a job-moving action moves work out of (a node drain moves work off a node, not out of its region). */
const movesOutOf = (action: Action): string | undefined =>
  action.kind === 'requeueJob' && !action.drain ? action.fromRegion : action.kind === 'stopRayJob' && action.onlyIfImpaired ? action.onlyIfImpaired : undefined;

/**
 * Never drain the last healthy region: if no other region takes work (healthy), the work stays: there is
 * nowhere to put it, and our view may be what is wrong.
 */
function lastHealthyRegionGuard(plan: Plan, snapshot: FleetSnapshot): (action: Action) => string | undefined {
  const health = new Map(snapshot.health);
  for (const a of plan.actions) {
    if (a.kind === 'applyIncident' && a.signal.stage === 'active') health.set(a.region, { ...(health.get(a.region) ?? { region: a.region, since: '', reason: '', incidents: {} }), state: 'impaired' });
    if (a.kind === 'applyEvidence' && a.signal.status === 'unavailable') health.set(a.region, { ...(health.get(a.region) ?? { region: a.region, since: '', reason: '', incidents: {} }), state: 'impaired' });
  }
  return (action) => {
    const from = movesOutOf(action);
    if (!from) return undefined;
    const elsewhere = snapshot.regions.filter((r) => r !== from && acceptsWork(health.get(r)));
    return elsewhere.length === 0 ? `no other region takes work now: ${from}'s work is not moved (there is nowhere to put it)` : undefined;
  };
}

/**
 * One automatic failover per region per window (default 30 min): a region that flaps between impaired
 * and healthy does not make its jobs ping-pong. Moves out of a region that already failed over within
 * the window wait for an operator (or the window to pass: reconcile plans them again).
 */
function failoverGuard(snapshot: FleetSnapshot, now: Date): (action: Action) => string | undefined {
  const window = snapshot.policy.failoverWindowMs;
  const recent = snapshot.ops?.failovers ?? [];
  return (action) => {
    const from = movesOutOf(action);
    if (!from) return undefined;
    // The same episode (the region impaired since the same moment) may finish moving its work.
    const current = snapshot.health.get(from);
    const episode = current?.state === 'impaired' ? current.since : undefined;
    const other = recent.find((f) => f.region === from && f.episode !== episode && now.getTime() - Date.parse(f.at) < window);
    return other ? `${from} already failed over at ${other.at} (one automatic failover per ${Math.round(window / 60_000)} min); an operator may evacuate it` : undefined;
  };
}
