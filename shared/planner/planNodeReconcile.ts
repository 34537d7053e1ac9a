/**
 * The node half of the reconcile pass (level-triggered): finish drains that did not finish (a PDB that kept
 * blocking, Ray not answering, a budget that was spent, a crash), finish moves a drain started, ask for
 * replacements that had to wait (a PUT within the minute, NotReady for too long), close episodes of nodes
 * that are fine again (uncordoning a node cordoned only for being NotReady or degraded), and keep each
 * region's node-storm evidence in line with the open episodes. Pure.
 */
import { closeReason, isOpen, needsDrain, needsReplacement, type NodeIncident } from '../nodes/nodeIncident.js';
import type { Action, Plan } from './plan.js';
import { drainAction, failedWithNode, replacementActions, stormEvidence } from './planNodeFailure.js';
import type { FleetSnapshot } from './snapshot.js';

export function planNodeReconcile(snapshot: FleetSnapshot, now: Date): Plan {
  const actions: Action[] = [];
  const reasons: string[] = [];
  const open = (snapshot.nodes ?? []).filter(isOpen);
  const closing = new Set<NodeIncident>();
  for (const incident of open) {
    const why = closeReason(incident, snapshot.policy.nodes, now);
    if (!why) continue;
    closing.add(incident);
    // A GPU that threw hardware XIDs is not trusted again because an alert stopped firing: a person decides.
    const uncordon = !incident.bad && incident.cause !== 'gpuFault';
    actions.push({
      kind: 'closeNodeEpisode', key: `close:${incident.clusterId.toLowerCase()}|${incident.node}:${incident.openedAt}`, clusterId: incident.clusterId,
      node: incident.node, openedAt: incident.openedAt, uncordon,
      reason: `${why}: episode over${uncordon ? '; uncordon it' : incident.cause === 'gpuFault' ? '; it stays cordoned (GPU fault: an operator uncordons it)' : ''}`,
    });
  }
  const live = open.filter((i) => !closing.has(i));
  for (const incident of live) {
    if (needsDrain(incident)) actions.push(drainAction(incident));
    actions.push(...failedWithNode(snapshot, incident));
  }
  const replace = live.filter((i) => needsReplacement(i, snapshot.policy.nodes, now));
  if (replace.length) {
    const r = replacementActions(snapshot, replace, now);
    actions.push(...r.actions);
    reasons.push(...r.reasons);
  }
  // Replacements asked for whose outcome was never recorded (the invocation died while following the PUT, or
  // the PUT got no clear answer): finished under their own key with their own decision, never planned anew
  // from the grown pool (that would be a second node for one failure).
  const pending = new Map<string, NodeIncident[]>();
  for (const i of live) {
    const p = i.replacement?.pending;
    if (p && now.getTime() - Date.parse(i.replacement!.at) >= PENDING_REPLACEMENT_AFTER_MS) pending.set(p.key, [...(pending.get(p.key) ?? []), i]);
  }
  for (const [key, incidents] of pending) {
    const first = incidents[0]!;
    const decision = first.replacement!.pending!.decision;
    actions.push({
      kind: 'replaceNode', key, clusterId: first.clusterId, node: incidents.map((i) => i.node).join(', '), openedAt: first.openedAt, decision,
      reason: `finish the replacement asked for at ${first.replacement!.at}: ${decision.reason}`,
    });
    reasons.push(`replacement of ${incidents.map((i) => i.node).join(', ')} asked for at ${first.replacement!.at}, outcome unknown: finish it`);
  }
  // Moves a drain began (the job is marked) but did not finish: stop (if still running) and requeue.
  for (const job of snapshot.jobs) {
    if (job.state !== 'running' || !job.drainingFrom || !job.clusterId || !job.submissionId || !job.region) continue;
    const node = job.drainingFrom.slice(job.drainingFrom.lastIndexOf('|') + 1);
    actions.push(
      { kind: 'stopRayJob', key: `stop:${job.submissionId}`, jobId: job.jobId, attempt: job.attempt, clusterId: job.clusterId, region: job.region, submissionId: job.submissionId, reason: `${job.jobId} was being moved off ${node}; make sure it is stopped` },
      { kind: 'requeueJob', key: `requeue:${job.jobId}:${job.attempt + 1}`, jobId: job.jobId, fromAttempt: job.attempt, toAttempt: job.attempt + 1, fromRegion: job.region, excludeRegions: [...job.excludeRegions], drain: true, reason: `${job.jobId}: finish its move off ${node} (requeue as attempt ${job.attempt + 1} from its last complete checkpoint)` },
    );
    reasons.push(`finish moving ${job.jobId} off ${node}`);
  }
  const after = { ...snapshot, nodes: (snapshot.nodes ?? []).filter((n) => !closing.has(n)) };
  for (const region of snapshot.regions) {
    const storm = stormEvidence(after, region, now, 'reconcile');
    actions.push(...storm.actions);
    reasons.push(...storm.reasons);
  }
  return { trigger: ['reconcile'], actions, reasons };
}

/** A pending replacement older than this (the action's lease and the time a resize follows ARM) is finished by reconcile. */
export const PENDING_REPLACEMENT_AFTER_MS = 2 * 60_000;
