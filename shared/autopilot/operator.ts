/**
 * Operator requests over the ops API. They are planned and executed like everything else (action log
 * first, idempotent keys, audit with who asked), but as the operator's own decisions: they bypass the
 * freeze and holds that bind automation (break-glass). Evacuating a region raises an operator incident on
 * it, so the region is impaired exactly as a Service Health incident would make it; restoring resolves it.
 */
import { randomUUID } from 'node:crypto';
import { execute, type ActionResult } from '../executor/execute.js';
import type { Ports } from '../executor/ports.js';
import type { Plan } from '../planner/plan.js';
import { planRegionOutage } from '../planner/planRegionOutage.js';
import type { RegionOutageSignal } from '../signals/types.js';
import type { Hold, HoldScope } from '../state/opsState.js';

export interface OperatorOutcome {
  readonly plan: Plan;
  readonly results: readonly ActionResult[];
}

/** Evacuate (stage active) or restore (stage resolved) a region on an operator's word. */
export async function operatorRegion(region: string, stage: 'active' | 'resolved', reason: string, by: string, ports: Ports): Promise<OperatorOutcome | { error: string }> {
  if (!ports.fleet.regions.includes(region)) return { error: `region ${region} is not in the fleet` };
  const now = ports.clock.now();
  const signal: RegionOutageSignal = {
    kind: 'regionOutage', id: `operator:${randomUUID()}`, source: 'operator', observedAt: now.toISOString(),
    regions: [region], services: ['operator'], trackingId: `OPERATOR-${region}`, stage,
  };
  await ports.state.recordSignal(signal, now);
  const planned = planRegionOutage(await ports.state.snapshot(now), signal, now);
  // The operator decided: no self-freeze on the operator's own evacuation.
  const plan: Plan = { ...planned, actions: planned.actions.filter((a) => a.kind !== 'freeze'), requestedBy: by, reasons: [`${by}: ${reason}`, ...planned.reasons] };
  const results = await execute(plan, ports);
  await ports.state.markSignalProcessed(signal.id, plan.reasons.join('; '), ports.clock.now());
  return { plan, results };
}

export async function operatorFreeze(frozen: boolean, reason: string, by: string, ports: Ports): Promise<{ changed: boolean }> {
  const changed = await ports.state.ops.setFrozen(frozen, reason, by, ports.clock.now());
  ports.log.warn(frozen ? 'autopilot frozen by operator' : 'autopilot unfrozen by operator', { by, reason, changed });
  return { changed };
}

export interface HoldRequest { readonly scope: HoldScope; readonly target: string; readonly minutes: number; readonly reason: string }

/** Checks the target exists in the fleet; returns the hold or what is wrong (with the field). */
export async function operatorHold(request: HoldRequest, by: string, ports: Ports): Promise<{ hold: Hold } | { field: string; error: string }> {
  const { scope, target, minutes, reason } = request;
  if (!['region', 'cluster', 'pool'].includes(scope)) return { field: 'scope', error: 'must be region, cluster or pool' };
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 7 * 24 * 60) return { field: 'minutes', error: 'must be from 1 to 10080 (a week)' };
  if (typeof reason !== 'string' || !reason.trim()) return { field: 'reason', error: 'say why' };
  const known = scope === 'region' ? ports.fleet.regions.includes(target)
    : scope === 'cluster' ? ports.fleet.clusters.some((c) => c.id.toLowerCase() === target.toLowerCase())
      : ports.fleet.clusters.some((c) => c.pools.some((p) => `${c.id}|${p.name}`.toLowerCase() === target.toLowerCase()));
  if (!known) return { field: 'target', error: `no ${scope} ${target} in the fleet${scope === 'pool' ? ' (a pool is "<clusterId>|<pool>")' : ''}` };
  const now = ports.clock.now();
  const hold: Hold = { id: randomUUID(), scope, target, until: new Date(now.getTime() + minutes * 60_000).toISOString(), reason: reason.trim(), by, createdAt: now.toISOString() };
  await ports.state.ops.addHold(hold);
  return { hold };
}

/** An operator approves (the stored moves run now, as that operator's decision) or rejects a pending approval. */
export async function operatorDecide(id: string, decision: 'approved' | 'rejected', by: string, ports: Ports): Promise<{ results: readonly ActionResult[] } | { error: string; status: 404 | 409 }> {
  const current = await ports.state.ops.approval(id);
  if (!current) return { error: `no approval ${id}`, status: 404 };
  const decided = await ports.state.ops.decide(id, decision, by, ports.clock.now());
  if (!decided) return { error: `approval ${id} is already ${current.status}`, status: 409 };
  if (decision === 'rejected') return { results: [] };
  // The moves re-check their conditions as they run (region still impaired, job still where it was).
  const plan: Plan = { trigger: [id], actions: decided.actions as Plan['actions'], reasons: [`${by} approved: ${decided.reason}`], requestedBy: by };
  return { results: await execute(plan, ports) };
}
