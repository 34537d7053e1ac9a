/**
 * Operator requests over the ops API. They are planned and executed like everything else (action log
 * first, idempotent keys, audit with who asked), but as the operator's own decisions: they bypass the
 * freeze and holds that bind automation (break-glass). Evacuating a region raises an operator incident on
 * it, so the region is impaired exactly as a Service Health incident would make it; restoring resolves it.
 */
import { randomUUID } from 'node:crypto';
import { execute, type ActionResult } from '../executor/execute.js';
import type { Ports } from '../executor/ports.js';
import type { ResizeDecision } from '../capacity/planCapacity.js';
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

/**
 * Drain a cluster: every job running there is stopped and requeued from its last checkpoint, and the
 * cluster is avoided for those jobs for a while (placement would otherwise put them straight back).
 * Pair it with a cluster hold to keep automation's hands off the cluster too.
 */
export async function operatorDrainCluster(clusterId: string, reason: string, by: string, ports: Ports): Promise<OperatorOutcome | { error: string }> {
  const cluster = ports.fleet.clusters.find((c) => c.id.toLowerCase() === clusterId.toLowerCase());
  if (!cluster) return { error: `no cluster ${clusterId} in the fleet` };
  const now = ports.clock.now();
  const until = new Date(now.getTime() + 60 * 60_000).toISOString();
  const jobs = (await ports.state.snapshot(now)).jobs.filter((j) => j.state === 'running' && j.clusterId === cluster.id && j.submissionId);
  const actions: Plan['actions'][number][] = [];
  for (const job of jobs) {
    await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === job.attempt ? { ...cur, avoidClusters: { ...(cur.avoidClusters ?? {}), [cluster.id]: until } } : undefined);
    actions.push(
      { kind: 'stopRayJob', key: `drain-stop:${cluster.id}:${job.submissionId}`, jobId: job.jobId, attempt: job.attempt, clusterId: cluster.id, region: cluster.region, submissionId: job.submissionId!, reason: `${by} drains ${cluster.name}: ${reason}` },
      { kind: 'requeueJob', key: `requeue:${job.jobId}:${job.attempt + 1}`, jobId: job.jobId, fromAttempt: job.attempt, toAttempt: job.attempt + 1, fromRegion: cluster.region, excludeRegions: [...job.excludeRegions], drain: true, reason: `${by} drains ${cluster.name}: ${reason}` },
    );
  }
  const plan: Plan = { trigger: [`drain:${cluster.id}:${now.toISOString()}`], actions, reasons: [`${by} drains ${cluster.name} (${jobs.length} jobs): ${reason}`], requestedBy: by };
  return { plan, results: await execute(plan, ports) };
}

/** Resize a pool on an operator's word: a count, or min/max for an autoscaled pool. ARM still enforces quota. */
export async function operatorScalePool(req: { clusterId: string; pool: string; count?: number; minCount?: number; maxCount?: number; reason: string }, by: string, ports: Ports): Promise<OperatorOutcome | { error: string; field: string }> {
  const cluster = ports.fleet.clusters.find((c) => c.id.toLowerCase() === req.clusterId.toLowerCase());
  const spec = cluster?.pools.find((p) => p.name === req.pool);
  if (!cluster) return { error: `no cluster ${req.clusterId} in the fleet`, field: 'clusterId' };
  if (!spec) return { error: `${cluster.name} has no managed pool ${req.pool}`, field: 'pool' };
  const read = await ports.nodePools.get({ clusterId: cluster.id, pool: spec.name });
  if (!read.ok) return { error: `could not read the pool: ${read.failure.class} ${read.failure.code}`, field: 'pool' };
  const pool = read.pool;
  const size = ports.fleet.catalogue.get(pool.vmSize.toLowerCase());
  const subscriptionId = /^\/subscriptions\/([^/]+)\//i.exec(cluster.id)?.[1] ?? '';
  const now = ports.clock.now();
  const common = { clusterId: cluster.id, region: cluster.region, subscriptionId, pool: spec.name, vmSize: pool.vmSize, jobs: [] as string[], reason: `${by}: ${req.reason}` };
  let decision: ResizeDecision;
  if (pool.autoscale) {
    if (req.minCount === undefined || req.maxCount === undefined || req.count !== undefined) return { error: 'an autoscaled pool is resized by minCount and maxCount, never count', field: 'count' };
    if (!(Number.isInteger(req.minCount) && Number.isInteger(req.maxCount) && req.minCount >= 0 && req.minCount <= req.maxCount && req.maxCount <= 1000)) return { error: 'need 0 ≤ minCount ≤ maxCount ≤ 1000', field: 'maxCount' };
    const from = { minCount: pool.minCount ?? 0, maxCount: pool.maxCount ?? 0 };
    const to = { minCount: req.minCount, maxCount: req.maxCount };
    decision = { ...common, key: `operator-resize:${cluster.id}/${spec.name}:${now.toISOString()}`, mode: 'autoscaleRange', count: pool.count, fromRange: from, toRange: to,
      direction: to.maxCount >= from.maxCount ? 'up' : 'down', nodes: Math.abs(to.maxCount - from.maxCount), change: { kind: 'autoscaleRange', ...to } };
  } else {
    if (req.count === undefined || !Number.isInteger(req.count) || req.count < 0 || req.count > 1000) return { error: 'a manual pool is resized by count (0 to 1000)', field: 'count' };
    decision = { ...common, key: `operator-resize:${cluster.id}/${spec.name}:${now.toISOString()}`, mode: 'count', from: pool.count, to: req.count,
      direction: req.count >= pool.count ? 'up' : 'down', nodes: Math.abs(req.count - pool.count), change: { kind: 'count', count: req.count } };
    if (req.count > pool.count && size) {
      decision = { ...decision, reservation: { key: decision.key, subscriptionId, region: cluster.region, family: size.family, spot: pool.spot, vcpus: (req.count - pool.count) * size.vcpus,
        expiresAt: new Date(now.getTime() + 20 * 60_000).toISOString(), clusterId: cluster.id, pool: spec.name, targetCount: req.count, fromCount: pool.count } };
    }
  }
  const plan: Plan = { trigger: [decision.key], actions: [{ kind: 'resizePool', key: decision.key, decision, reason: decision.reason }], reasons: [decision.reason], requestedBy: by };
  return { plan, results: await execute(plan, ports) };
}
