import { afterHoldDown, applyEvidence, applyIncident, healthyRegion } from '../fleet/regionHealth.js';
import type { JobRecord } from '../fleet/types.js';
import { messageIdOf, type JobMessage } from '../jobs/jobSpec.js';
import type { Action } from '../planner/plan.js';
import { errorMessage } from '../observability/logger.js';
import { clusterGpus } from '../planner/snapshot.js';
import type { Ports } from './ports.js';
import { REPLACEMENT_FOLLOW_MS, refreshQuota, resizePool, resizePoolOutcome, ResizeNotAttemptedError } from './resizePool.js';
import { NotApplicableError } from './errors.js';
import { drainNode } from './drainNode.js';
import { confirmReady, confirmStorm } from './confirmNodes.js';
import { applyNodeFault, closeReason } from '../nodes/nodeIncident.js';

/** Does one action. Returns what happened, in words; throws when it should be retried. */
/** `requestedBy`: 'autopilot' for automatic plans; an operator's moves are not limited by the disruption budget. */
export async function performAction(action: Action, ports: Ports, requestedBy = 'autopilot'): Promise<string> {
  const now = ports.clock.now();
  switch (action.kind) {
    case 'applyIncident': {
      const { value, changed } = await ports.state.mutateRegion(action.region, (cur) => {
        const outcome = applyIncident(cur ?? healthyRegion(action.region, now.toISOString()), action.signal, now);
        return outcome.changed ? outcome.next : undefined;
      });
      return changed ? `${action.region} is ${value!.state}: ${value!.reason}` : `${action.region} unchanged`;
    }
    case 'applyEvidence': {
      if (action.source.startsWith('nodes/') && action.signal.status === 'unavailable') {
        // The same nodes the planner counts (stormEvidence): Spot preemptions are no sign of a sick region, and
        // counted here they confirmed a storm that Monitor disputed for every node the plan counted.
        const failing = (await ports.state.nodes()).filter((n) => !n.closedAt && n.bad && n.cause !== 'preempted' && n.region === action.region
          && now.getTime() - Date.parse(n.openedAt) <= ports.fleet.policy.nodes.stormWindowMs);
        const check = await confirmStorm(ports, action.region, failing, ports.fleet.policy.nodes.stormNodes);
        if (!check.confirmed) throw new NotApplicableError(check.why);
      }
      const { value, changed } = await ports.state.mutateRegion(action.region, (cur) => {
        const outcome = applyEvidence(cur ?? healthyRegion(action.region, now.toISOString()), action.signal, action.source, now);
        return outcome.changed ? outcome.next : undefined;
      });
      return changed ? `${action.region} is ${value!.state}: ${value!.reason}` : `${action.region} unchanged`;
    }
    case 'endHoldDown': {
      const { value, changed } = await ports.state.mutateRegion(action.region, (cur) =>
        cur && cur.since === action.since ? afterHoldDown(cur, ports.fleet.policy, now) : undefined);
      return changed ? `${action.region} is ${value!.state}` : `${action.region} changed meanwhile; left as it is`;
    }
    case 'stopRayJob': {
      const cluster = ports.fleet.clusters.find((c) => c.id === action.clusterId);
      if (!cluster) return `cluster ${action.clusterId} is no longer in the fleet`;
      if (action.onlyIfImpaired && !(await isImpaired(ports, action.onlyIfImpaired))) throw new NotApplicableError(`${action.onlyIfImpaired} is not impaired; ${action.submissionId} left running`);
      if (requestedBy === 'autopilot' && action.onlyIfImpaired) {
        // Interrupting work that still runs spends the disruption budget; work that does not answer is
        // already interrupted by the outage and costs nothing.
        const info = await ports.ray.get(cluster.rayEndpoint, action.submissionId);
        if (typeof info === 'object' && (info.status === 'RUNNING' || info.status === 'PENDING')) {
          const refusal = await spendBudget(ports, action, cluster.region, now);
          if (refusal) throw new NotApplicableError(`${refusal}; ${action.submissionId} keeps running and moves when the budget allows`);
        }
      }
      const result = await ports.ray.stop(cluster.rayEndpoint, action.submissionId);
      // Outside an impaired region nothing else stops it: a stop that did not reach Ray is not done, so the same
      // key stops it on a later pass (done, a stale copy was never stopped, and a drain waited on it for ever).
      if (result === 'unreachable' && !action.onlyIfImpaired) throw new NotApplicableError(`${cluster.name} did not answer; ${action.submissionId} is stopped on a later pass`);
      return result === 'unreachable'
        ? `${cluster.name} unreachable; ${action.submissionId} is stopped by reconcile if its cluster comes back`
        : `${action.submissionId} on ${cluster.name}: ${result}`;
    }
    case 'requeueJob':
      return requeue(action, ports, now, requestedBy);
    case 'recordJobEnd': {
      const { changed } = await ports.state.mutateJob(action.jobId, (cur) =>
        cur && cur.attempt === action.attempt && cur.submissionId === action.submissionId && cur.clusterId === action.clusterId && cur.state === 'running'
          ? withEvent({ ...cur, state: action.outcome }, now, action.outcome, action.reason)
          : undefined);
      await release(ports, action.clusterId, action.submissionId);
      return changed ? `${action.jobId} ${action.outcome}` : `${action.jobId} already moved on`;
    }
    case 'releaseGpus':
      await release(ports, action.clusterId, action.submissionId);
      return `released GPUs of ${action.submissionId}`;
    case 'resendJob':
      return resend(action, ports, now);
    case 'resizePool':
      return resizePool(action.decision, ports);
    case 'requestApproval': {
      const created = await ports.state.ops.requestApproval({
        id: action.approvalId, status: 'pending', actions: action.actions, gpus: action.gpus, reason: action.reason,
        trigger: [action.key], requestedAt: now.toISOString(),
      });
      return created === 'created' ? `awaiting approval ${action.approvalId} (${action.gpus} GPUs)` : `approval ${action.approvalId} already requested`;
    }
    case 'freeze': {
      const changed = await ports.state.ops.setFrozen(true, action.reason, 'autopilot', now);
      return changed ? `frozen: ${action.reason}` : 'already frozen';
    }
    case 'recordNodeFault': {
      const { value, changed } = await ports.state.mutateNode(action.fault.clusterId, action.fault.node, (cur) => {
        const outcome = applyNodeFault(cur, action.fault);
        return outcome.changed ? outcome.next : undefined;
      });
      return changed ? `${action.fault.node}: ${value!.bad ? 'failing' : 'fine'} (${value!.cause}, episode ${value!.openedAt})` : `${action.fault.node} unchanged`;
    }
    case 'drainNode':
      return drainNode(action, ports);
    case 'replaceNode':
      return replaceNode(action, ports, now);
    case 'closeNodeEpisode': {
      const incident = await ports.state.node(action.clusterId, action.node);
      if (!incident || incident.openedAt !== action.openedAt || incident.closedAt) return `${action.node}'s episode already closed`;
      // Planned from a snapshot: a signal recorded since (the node failing again) must win. Decide again on what
      // is stored now; not applicable (not done), so the same key closes the episode once it is really over.
      if (!closeReason(incident, ports.fleet.policy.nodes, now)) {
        throw new NotApplicableError(`${action.node}: not closed: ${incident.bad ? `failing again (${incident.detail})` : `fine only since ${incident.goodSince}`}`);
      }
      const uncordon = action.uncordon && !incident.bad && incident.cause !== 'gpuFault';
      if (uncordon) {
        const check = await confirmReady(ports, incident);
        if (!check.confirmed) throw new NotApplicableError(check.why);
      }
      const uncordoned = uncordon ? await ports.kube.uncordon(action.clusterId, action.node) : undefined;
      const { changed } = await ports.state.mutateNode(action.clusterId, action.node, (cur) => cur && cur.openedAt === action.openedAt && !cur.closedAt && cur.lastAt === incident.lastAt
        ? { ...cur, closedAt: now.toISOString(), closedWhy: action.reason, ...(!uncordon && cur.drainedAt ? { leftCordoned: true as const } : {}) } : undefined);
      if (!changed) {
        // A signal arrived while we uncordoned: bad news cordons the node again (its episode was drained, so
        // nothing else would), and the episode stays open.
        const after = await ports.state.node(action.clusterId, action.node);
        if (after && after.openedAt === action.openedAt && !after.closedAt) {
          if (uncordoned === 'uncordoned' && after.bad) await ports.kube.cordon(action.clusterId, action.node);
          throw new NotApplicableError(`${action.node}: a newer signal arrived while closing (${after.detail}); the episode stays open`);
        }
      }
      return `${action.node}: episode closed${uncordoned ? `; ${uncordoned === 'uncordoned' ? 'uncordoned' : 'node gone'}` : ''}`;
    }
    case 'blockPool':
      await ports.state.capacity.recordBlock(action.block, now);
      return `${action.block.pool} not grown until ${action.block.until}`;
    case 'refreshQuota':
      // Best effort: a failed read must not leave the quota alert unfinished (reconcile reads stale quota anyway).
      return refreshQuota(ports, action.subscriptionId, action.region).catch((e) => `quota read failed (${errorMessage(e)}); reconcile reads it later`);
  }
}

async function isImpaired(ports: Ports, region: string): Promise<boolean> {
  return (await ports.state.region(region))?.state === 'impaired';
}

async function resend(action: Extract<Action, { kind: 'resendJob' }>, ports: Ports, now: Date): Promise<string> {
  const job = await ports.state.job(action.jobId);
  if (!job || job.attempt !== action.attempt || job.updatedAt !== action.updatedAt) return `${action.jobId} moved on meanwhile`;
  const message: JobMessage = {
    ...job.spec, attempt: job.attempt, excludeRegions: [...job.excludeRegions], ...(job.resumeFrom ? { resumeFrom: job.resumeFrom } : {}),
    ...(job.attempt > 1 ? { requeueReason: 'resent by reconcile' } : {}),
  };
  // A fresh id: the original message id may still be in the broker's duplicate-detection window.
  const messageId = `${messageIdOf(job.jobId, job.attempt)}:resend:${Date.parse(action.updatedAt).toString(36)}`;
  await ports.queue.send(message, { messageId, correlationId: job.jobId });
  await ports.state.mutateJob(job.jobId, (cur) => cur && cur.updatedAt === action.updatedAt ? withEvent(cur, now, 'resent', action.reason) : undefined);
  return `sent ${messageId}`;
}

async function requeue(action: Extract<Action, { kind: 'requeueJob' }>, ports: Ports, now: Date, requestedBy = 'autopilot'): Promise<string> {
  const job = await ports.state.job(action.jobId);
  if (!job) return `${action.jobId} is unknown`;
  const retrying = job.attempt === action.toAttempt && job.state === 'requeued'; // sent before a crash: send again, the broker drops it
  const moving = job.attempt === action.fromAttempt && (job.state === 'running' || (action.afterFailure === true && job.state === 'failed'));
  if (!retrying && !moving) {
    return `${action.jobId} is at attempt ${job.attempt} (${job.state}); nothing to move`;
  }
  if (!retrying) {
    if (!action.drain && !(await isImpaired(ports, action.fromRegion))) throw new NotApplicableError(`${action.fromRegion} is not impaired; ${action.jobId} stays`);
    // A job that finished before we got to it must not run again; one still running (its stop was held
    // back or failed) must not get a second copy.
    const cluster = ports.fleet.clusters.find((c) => c.id === job.clusterId);
    const info = cluster && job.submissionId ? await ports.ray.get(cluster.rayEndpoint, job.submissionId) : undefined;
    if (info && typeof info === 'object' && (info.status === 'RUNNING' || info.status === 'PENDING')) {
      throw new NotApplicableError(`${job.submissionId} still runs on ${cluster!.name}; it is requeued once it is stopped`);
    }
    // An automatic move off a failed node: the cluster itself is healthy, so a Ray that does not answer now (a blip)
    // may leave the old copy running and writing checkpoints. Wait until Ray says it stopped (an impaired region's
    // evacuation, whose work is cut off anyway, still moves it under the same key).
    if (info === 'unreachable' && action.drain && !action.afterFailure && requestedBy === 'autopilot') {
      throw new NotApplicableError(`${cluster!.name} did not answer: cannot tell whether ${job.submissionId} stopped; requeued once it does`);
    }
    if (info && typeof info === 'object' && info.status === 'SUCCEEDED') {
      await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === job.attempt && cur.state === 'running'
        ? withEvent({ ...cur, state: 'succeeded' }, now, 'succeeded', 'finished before it could be moved') : undefined);
      if (job.clusterId && job.submissionId) await release(ports, job.clusterId, job.submissionId);
      return `${action.jobId} had already succeeded; not requeued`;
    }
  }
  const resumeFrom = job.spec.checkpointPrefix ? await ports.checkpoints.latestComplete(job.spec.checkpointPrefix) : undefined;
  const message: JobMessage = {
    ...job.spec,
    attempt: action.toAttempt,
    excludeRegions: [...action.excludeRegions],
    ...(resumeFrom ? { resumeFrom } : {}),
    requeueReason: action.reason,
  };
  // Send before recording: a crash in between re-sends the same message id, which the broker drops.
  await ports.queue.send(message, { messageId: messageIdOf(job.jobId, action.toAttempt), correlationId: job.jobId });
  const old = job.state === 'running' && job.attempt === action.fromAttempt ? { clusterId: job.clusterId, submissionId: job.submissionId } : undefined;
  await ports.state.mutateJob(action.jobId, (cur) => {
    // The consumer got there first, or the job ended meanwhile: never go backwards.
    if (!cur || cur.attempt !== action.fromAttempt || !(cur.state === 'running' || (action.afterFailure && cur.state === 'failed'))) return undefined;
    return withEvent({
      ...cur, state: 'requeued', attempt: action.toAttempt, excludeRegions: action.excludeRegions,
      ...(resumeFrom ? { resumeFrom } : {}), region: undefined, clusterId: undefined, submissionId: undefined, runningSince: undefined, drainingFrom: undefined,
    }, now, 'requeued', `${action.reason}${resumeFrom ? `; resume from ${resumeFrom}` : '; no complete checkpoint: starts over'}`);
  });
  if (old?.clusterId && old.submissionId) await release(ports, old.clusterId, old.submissionId);
  // This impairment episode of the region has now failed over (one per window, see guards).
  const episode = await ports.state.region(action.fromRegion);
  if (episode?.state === 'impaired') await ports.state.ops.recordFailover(action.fromRegion, episode.since, now);
  return `sent ${messageIdOf(job.jobId, action.toAttempt)} to the intake queue, resumeFrom ${resumeFrom ?? '(none)'}`;
}

async function release(ports: Ports, clusterId: string, submissionId: string): Promise<void> {
  await ports.state.mutateLedger(clusterId, (cur) => {
    if (!(submissionId in cur.allocations)) return undefined;
    const { [submissionId]: _, ...rest } = cur.allocations;
    return { ...cur, allocations: rest };
  });
}

const HISTORY_LIMIT = 30;
/** Keeps a job record well inside a Table entity's size. */
const DETAIL_LIMIT = 600;
export function withEvent(job: JobRecord, now: Date, event: string, detail?: string): JobRecord {
  const history = [...job.history, { at: now.toISOString(), event, ...(detail ? { detail: detail.length > DETAIL_LIMIT ? `${detail.slice(0, DETAIL_LIMIT)}…` : detail } : {}) }].slice(-HISTORY_LIMIT);
  return { ...job, updatedAt: now.toISOString(), history };
}

async function spendBudget(ports: Ports, action: Extract<Action, { kind: 'stopRayJob' }>, region: string, now: Date): Promise<string | undefined> {
  const budget = ports.fleet.policy.disruptionBudget;
  const snapshot = await ports.state.snapshot(now);
  const gpusIn = (r?: string) => snapshot.clusters.filter((c) => !r || c.region === r).reduce((n, c) => n + clusterGpus(snapshot, c), 0);
  const job = snapshot.jobs.find((j) => j.jobId === action.jobId);
  return ports.state.ops.spendBudget(
    { region, gpus: job?.spec.gpus ?? 0, at: now.toISOString(), key: action.key },
    { region: Math.floor(gpusIn(region) * budget.regionFraction), fleet: Math.floor(gpusIn() * budget.fleetFraction), windowMs: budget.windowMs }, now);
}

/** ARM failures after which the same replacement may work on the next pass (not a lack of quota or capacity). */
const RETRY_CLASSES: ReadonlySet<string> = new Set(['preconditionFailed', 'operationNotAllowed', 'throttled', 'transient']);

/**
 * A replacement: the nodes are marked `pending` (with the decision) before the PUT, and the mark is settled after.
 * Marked after the PUT only, an invocation that died in between (a timeout while following the operation) or a PUT
 * with no clear answer (transient) left the nodes unreplaced on record, and the next pass grew the pool again from
 * its new count: two nodes for one failure. A pending mark is finished by reconcile with its own decision (see
 * planNodeReconcile): the pool still at `from` means the PUT never took, moved means it did.
 */
async function replaceNode(action: Extract<Action, { kind: 'replaceNode' }>, ports: Ports, now: Date): Promise<string> {
  const nodes = action.node.split(', ');
  const settle = async (names: readonly string[], outcome: string) => {
    for (const node of names) {
      await ports.state.mutateNode(action.clusterId, node, (cur) => cur && !cur.closedAt && (!cur.replacement || cur.replacement.pending?.key === action.key)
        ? { ...cur, replacement: { at: cur.replacement?.at ?? now.toISOString(), outcome } } : undefined);
    }
  };
  if (!action.decision) {
    await settle(nodes, action.reason);
    return action.reason;
  }
  // Nodes already pending under this key: a retry or reconcile finishing it. Only those, then (others are planned anew).
  const stored = await Promise.all(nodes.map((n) => ports.state.node(action.clusterId, n)));
  // No record at all (not even a closed one): the fault is not recorded yet. Not done, so it runs once it is.
  if (stored.every((n) => !n)) throw new NotApplicableError(`${action.node}: no failure episode on record yet`);
  const prior = nodes.filter((_, i) => stored[i]?.replacement?.pending?.key === action.key && !stored[i]!.closedAt);
  const ours = [...prior];
  if (!prior.length) {
    const pending = { key: action.key, decision: action.decision };
    for (const node of nodes) {
      const { changed } = await ports.state.mutateNode(action.clusterId, node, (cur) => cur && !cur.closedAt && !cur.replacement
        ? { ...cur, replacement: { at: now.toISOString(), outcome: `asked: ${action.decision!.reason}`, pending } } : undefined);
      if (changed) ours.push(node);
    }
  }
  if (!ours.length) return `${action.node}: replacement already asked for (or the episode is over)`;
  const release = async () => {
    if (prior.length) return; // finishing an earlier attempt: keep the mark until its outcome is known
    for (const node of ours) {
      await ports.state.mutateNode(action.clusterId, node, (cur) => cur && cur.replacement?.pending?.key === action.key ? { ...cur, replacement: undefined } : undefined);
    }
  };
  let result;
  try {
    result = await resizePoolOutcome(action.decision, ports, REPLACEMENT_FOLLOW_MS);
  } catch (e) {
    // Nothing was sent (the pool could not be read): plan again. Any other throw may have come after the PUT.
    if (e instanceof ResizeNotAttemptedError) await release();
    throw e;
  }
  if (result.status === 'stale' && prior.length) {
    // The pool moved on since the earlier attempt asked: that PUT went through (or another resize grew it).
    await settle(ours, `asked at ${stored.find((n) => n?.replacement)?.replacement?.at}; the pool has moved on since (${result.text})`);
    return result.text;
  }
  // The identical resize went out as another action (planCapacity's, for the jobs these nodes displaced: same pool,
  // from → to, same key): that is this replacement. Released, the next pass planned another node from the grown
  // pool (two nodes for one failure), and the shared reservation was given back while its nodes were coming. Kept
  // pending, not done: reconcile finishes it with this decision once that operation is over (the pool moved on:
  // replaced; it did not take: this one sends it).
  if (result.status === 'stale' && result.sameResize) throw new NotApplicableError(`${result.text}; the same resize went out as another action, reconcile confirms it`);
  // Another replacement (or resize) of the pool got there first, or the eTag moved: nothing was added for
  // these nodes. Not marked replaced, so the next pass plans their replacement from the pool as it is now.
  // A transient failure may have come after ARM took the PUT: the mark stays pending and reconcile finishes it.
  if (result.status === 'stale' || RETRY_CLASSES.has(result.failureClass ?? '')) {
    if (result.failureClass !== 'transient') await release();
    throw new NotApplicableError(result.text);
  }
  await settle(ours, result.text);
  return result.text;
}
