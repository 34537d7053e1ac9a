/**
 * A node, GPU or Spot failure: record it in the node's episode, drain the node once per episode (cordon,
 * move its Ray jobs from their last complete checkpoint, remove its workers), ask for a replacement when it
 * will not come back, and — when many nodes of one region fail within a window — make the region suspect
 * (one source of evidence: a storm of node failures more likely means the region is sick than that each
 * node is). Pure: (snapshot, signal, now) → Plan.
 */
import { applyEvidence, healthyRegion } from '../fleet/regionHealth.js';
import { planReplacements } from '../capacity/planReplacement.js';
import { nodeFaultOf, poolOfNode, type NodeFault } from '../nodes/nodeFault.js';
import { applyNodeFault, drainInterruptsRunningWork, isOpen, needsDrain, needsReplacement, nodeKey, type NodeIncident } from '../nodes/nodeIncident.js';
import type { JobRecord } from '../fleet/types.js';
import type { ResourceHealthSignal, Signal } from '../signals/types.js';
import { afterHealthChange } from './afterHealthChange.js';
import type { Action, Plan } from './plan.js';
import type { FleetSnapshot } from './snapshot.js';

/** undefined: the signal is not about a node (the caller plans it otherwise). */
export function planNodeFailure(snapshot: FleetSnapshot, signal: Signal, now: Date): Plan | undefined {
  const found = nodeFaultOf(signal, snapshot.clusters);
  if (found === undefined) return undefined;
  const trigger = [signal.id];
  if ('ignore' in found) return { trigger, actions: [], reasons: [found.ignore] };
  const fault: NodeFault = found.pool || !poolOfNode(found.node) ? found : { ...found, pool: poolOfNode(found.node)! };
  const current = snapshot.nodes?.find((n) => nodeKey(n.clusterId, n.node) === nodeKey(fault.clusterId, fault.node));
  const outcome = applyNodeFault(current, fault);
  if (!outcome.changed) return { trigger, actions: [], reasons: [outcome.why] };
  const next = outcome.next;
  // A fine report is remembered with no episode open only when it ends a bad condition (a Resolved, Resource Health
  // back from unavailable/degraded): only those race with their own failure report, and a record for every VM
  // that merely started (Unknown → Available) would grow the node partition every snapshot reads.
  if (next.fineOnly && !current && signal.kind === 'resourceHealth' && (signal.previousStatus === 'available' || signal.previousStatus === 'unknown')) {
    return { trigger, actions: [], reasons: [`${fault.node} is ${signal.status} (was ${signal.previousStatus}) and has no open episode: nothing to do`] };
  }
  const actions: Action[] = [{ kind: 'recordNodeFault', key: `nodefault:${signal.id}`, fault, reason: outcome.why }];
  const reasons = [outcome.why];
  if (needsDrain(next)) actions.push(drainAction(next));
  const nodes = [...(snapshot.nodes ?? []).filter((n) => n !== current), next];
  if (needsReplacement(next, snapshot.policy.nodes, now)) {
    const { actions: replace, reasons: why } = replacementActions({ ...snapshot, nodes }, [next], now);
    actions.push(...replace);
    reasons.push(...why);
  }
  if (outcome.opened) actions.push(...failedWithNode(snapshot, next));
  const storm = stormEvidence({ ...snapshot, nodes }, fault.region, now, signal.id);
  actions.push(...storm.actions);
  reasons.push(...storm.reasons);
  return { trigger, actions, reasons };
}

export function drainAction(incident: NodeIncident): Extract<Action, { kind: 'drainNode' }> {
  const charge = drainInterruptsRunningWork(incident.cause);
  return {
    kind: 'drainNode', key: `drain:${nodeKey(incident.clusterId, incident.node)}:${incident.openedAt}`, clusterId: incident.clusterId,
    region: incident.region, node: incident.node, ...(incident.pool ? { pool: incident.pool } : {}), openedAt: incident.openedAt,
    cause: incident.cause, ...(incident.deadline ? { deadline: incident.deadline } : {}), replace: incident.replace, chargeBudget: charge,
    reason: `${incident.node}: ${incident.detail}: cordon it, move its Ray jobs from their last complete checkpoint, remove its workers${incident.deadline ? ` before ${incident.deadline}` : ''}${charge ? ' (the node still runs: counts against the disruption budget)' : ''}`,
  };
}

/** Replacement actions for failed nodes, one per pool; 'later' ones are left for reconcile. */
export function replacementActions(snapshot: FleetSnapshot, incidents: readonly NodeIncident[], now: Date): { actions: Action[]; reasons: string[] } {
  const actions: Action[] = [];
  const reasons: string[] = [];
  for (const p of planReplacements(snapshot, incidents.map((i) => ({ clusterId: i.clusterId, node: i.node, ...(i.pool ? { pool: i.pool } : {}), openedAt: i.openedAt })), now)) {
    const names = p.nodes.map((n) => n.node).join(', ');
    if (p.kind === 'later') { reasons.push(`replacement for ${names}: later: ${p.why}`); continue; }
    const first = p.nodes[0]!;
    actions.push({
      // A resize is keyed like the resize itself (pool, from → to, after the last PUT): replacements planned at the same
      // moment from the same pool state (a Spot wave's signals, handled side by side) are one action and one PUT;
      // the nodes the skipped ones were for are replaced on the next pass, from the pool as it is then.
      kind: 'replaceNode', key: p.kind === 'resize' ? `replace:${p.decision.key}` : `replace:${nodeKey(first.clusterId, first.node)}:${first.openedAt}:${p.nodes.length}`, clusterId: first.clusterId,
      node: names, openedAt: first.openedAt, ...(p.kind === 'resize' ? { decision: p.decision } : {}),
      reason: p.kind === 'resize' ? p.decision.reason : `no replacement for ${names}: ${p.why}`,
    });
    reasons.push(p.kind === 'resize' ? p.decision.reason : `no replacement for ${names}: ${p.why}`);
  }
  return { actions, reasons };
}

/**
 * Region evidence from node failures: `stormNodes` distinct nodes of the region in open, bad episodes opened
 * within the window make it suspect; fewer clear it again. The evidence source is the region's nodes as a
 * whole, so a storm counts as one signal (a second, independent one is needed to impair the region).
 */
export function stormEvidence(snapshot: FleetSnapshot, region: string, now: Date, cause: string): { actions: Action[]; reasons: string[] } {
  const { stormNodes, stormWindowMs } = snapshot.policy.nodes;
  // Spot preemptions are Azure taking capacity back as agreed, not a sign of a sick region.
  const failing = (snapshot.nodes ?? []).filter((n) => isOpen(n) && n.bad && n.cause !== 'preempted' && n.region === region && now.getTime() - Date.parse(n.openedAt) <= stormWindowMs);
  const source = `nodes/${region}`;
  const current = snapshot.health.get(region) ?? healthyRegion(region, now.toISOString());
  const known = current.evidence?.[source];
  const storm = failing.length >= stormNodes;
  if (storm === (known?.bad ?? false)) return { actions: [], reasons: [] };
  const first = failing.map((n) => n.openedAt).sort()[0];
  const signal: ResourceHealthSignal = {
    kind: 'resourceHealth', source: 'operator', resourceId: `${region}/nodes`, resourceType: 'nodes',
    // One id per storm (its first failure, and the evidence it follows): re-planning the same storm is a duplicate,
    // a new storm is not — even one whose earliest failure is the same (a node that flapped back cleared it; its
    // action key, done the first time, would otherwise skip it for good).
    id: storm ? `nodestorm:${region}:${first}${known ? `:after:${known.at}` : ''}` : `nodestorm:${region}:clear:${now.toISOString()}`,
    observedAt: now.toISOString(), status: storm ? 'unavailable' : 'available',
    reason: storm ? `${failing.length} nodes failed within ${Math.round(stormWindowMs / 60_000)} min: ${failing.slice(0, 5).map((n) => n.node).join(', ')}${failing.length > 5 ? ', …' : ''}` : `fewer than ${stormNodes} failed nodes in the window`,
  };
  const outcome = applyEvidence(current, signal, source, now);
  if (!outcome.changed) return { actions: [], reasons: [`${region}: ${outcome.why}`] };
  const reason = outcome.next.state === current.state ? `${region} stays ${current.state}: ${outcome.next.reason}` : `${region} ${current.state} → ${outcome.next.state}: ${outcome.next.reason}`;
  const after = afterHealthChange(snapshot, new Map(snapshot.health).set(region, outcome.next), now, signal.id, `node failures in ${region}`);
  return {
    actions: [{ kind: 'applyEvidence', key: `evidence:${region}:${signal.id}`, region, source, signal, reason }, ...after.actions],
    reasons: [reason, ...after.reasons],
  };
}

/**
 * Jobs whose attempt already FAILED on Ray around the time this node failed, on its cluster, having started
 * before it: the node failure is the likely cause (the alert arrived after Ray Train gave up, which real
 * alert latency makes common), so they are requeued from their checkpoint instead of ending as failed. A job
 * that really failed on its own gets one more attempt, within its maxAttempts.
 */
export function failedWithNode(snapshot: FleetSnapshot, incident: NodeIncident): Action[] {
  return snapshot.jobs
    .filter((j) => j.state === 'failed' && j.history.at(-1)?.event === 'failed' && explainedBy(incident, j, Date.parse(j.updatedAt), snapshot.policy.nodes.stormWindowMs))
    .map((j) => afterFailureRequeue(j, incident));
}

/** The open node episode on the job's cluster that explains its attempt failing at `failedAt`, if any. */
export function nodeFailureExplaining(snapshot: FleetSnapshot, job: JobRecord, failedAt: number): NodeIncident | undefined {
  return (snapshot.nodes ?? []).find((n) => isOpen(n) && explainedBy(n, job, failedAt, snapshot.policy.nodes.stormWindowMs));
}

/** Same cluster, the attempt started before the node failed, and it failed around then. */
function explainedBy(incident: NodeIncident, job: JobRecord, failedAt: number, windowMs: number): boolean {
  const opened = Date.parse(incident.openedAt);
  return job.clusterId?.toLowerCase() === incident.clusterId.toLowerCase() && job.runningSince !== undefined
    && Date.parse(job.runningSince) <= opened && Math.abs(failedAt - opened) <= windowMs;
}

export function afterFailureRequeue(j: JobRecord, incident: NodeIncident): Extract<Action, { kind: 'requeueJob' }> {
  return {
      kind: 'requeueJob' as const, key: `requeue:${j.jobId}:${j.attempt + 1}`, jobId: j.jobId, fromAttempt: j.attempt, toAttempt: j.attempt + 1,
      fromRegion: j.region ?? incident.region, excludeRegions: [...j.excludeRegions], drain: true, afterFailure: true,
      reason: `${j.jobId} attempt ${j.attempt} failed on Ray when node ${incident.node} failed (${incident.cause}); requeue as attempt ${j.attempt + 1} from its last complete checkpoint`,
  };
}
