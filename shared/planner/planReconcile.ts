/**
 * The level-triggered safety net: compares observed Ray state with the job records and plans what
 * closes the gap. Pure: the Ray listings are read by the caller and passed in.
 */
import { afterHoldDown } from '../fleet/regionHealth.js';
import type { JobRecord } from '../fleet/types.js';
import type { RayJobInfo } from '../ports/rayJobs.js';
import { TERMINAL_RAY_STATUSES } from '../ports/rayJobs.js';
import type { Action, Plan } from './plan.js';
import { planCapacityActions } from './planCapacityActions.js';
import { planEvacuation } from './planEvacuation.js';
import { afterFailureRequeue, nodeFailureExplaining } from './planNodeFailure.js';
import type { FleetSnapshot } from './snapshot.js';

/** Ray jobs per cluster id; clusters that did not answer are absent. */
export type RayListings = ReadonlyMap<string, readonly RayJobInfo[]>;

const OVER = new Set(['succeeded', 'failed', 'stopped', 'rejected']);
const QUEUED = new Set(['queued', 'requeued', 'waiting']);

export function planReconcile(snapshot: FleetSnapshot, listings: RayListings, now: Date): Plan {
  const actions: Action[] = [];
  const reasons: string[] = [];
  for (const health of snapshot.health.values()) {
    const next = afterHoldDown(health, snapshot.policy, now);
    if (next) {
      actions.push({ kind: 'endHoldDown', key: `holddown:${health.region}:${health.since}`, region: health.region, since: health.since, reason: `${health.region} recovering → healthy: ${next.reason}` });
    }
  }

  // What Ray says, job by job. A job whose current submission has ended is recorded as ended, and
  // is not evacuated: moving a finished job would run it again.
  const jobs = new Map(snapshot.jobs.map((j) => [j.jobId, j]));
  const ended = new Set<string>();
  for (const cluster of snapshot.clusters) {
    for (const info of listings.get(cluster.id) ?? []) {
      const jobId = info.metadata?.autopilotJobId;
      const job = jobId ? jobs.get(jobId) : undefined;
      if (!job) continue;
      const terminal = TERMINAL_RAY_STATUSES.has(info.status);
      const attempt = Number(info.metadata?.autopilotAttempt ?? 0);
      const isCurrent = info.submissionId === job.submissionId && cluster.id === job.clusterId;
      // Stopped by us while its region is impaired: the move is not finished (its requeue failed or was
      // cut short); evacuation below requeues it. Recording it as ended would lose the job.
      const stoppedForMove = info.status === 'STOPPED' && (snapshot.health.get(cluster.region)?.state === 'impaired' || !!job.drainingFrom);
      if (isCurrent && terminal && job.state === 'running' && !stoppedForMove) {
        const outcome = info.status === 'SUCCEEDED' ? 'succeeded' : info.status === 'STOPPED' ? 'stopped' : 'failed';
        ended.add(job.jobId);
        actions.push({
          kind: 'recordJobEnd', key: `end:${cluster.id}:${info.submissionId}`, jobId: job.jobId, attempt: job.attempt, clusterId: cluster.id,
          submissionId: info.submissionId, outcome, reason: `Ray reports ${info.submissionId} ${info.status}${info.message ? `: ${info.message}` : ''}`,
        });
        // A node of its cluster failed around then: the failure is the node's, the job moves on (same pass).
        const node = outcome === 'failed' ? nodeFailureExplaining(snapshot, job, now.getTime()) : undefined;
        if (node) actions.push(afterFailureRequeue(job, node));
        continue;
      }
      if (terminal || isCurrent) continue;
      // Only an older attempt, or a second copy of the current one on another cluster, is stale. The
      // current attempt may show up on Ray a moment before its record says so (the consumer submits,
      // then records): that copy must keep running.
      const staleAttempt = attempt < job.attempt;
      const secondCopy = attempt === job.attempt && job.state === 'running' && job.clusterId !== cluster.id;
      if (staleAttempt || secondCopy) {
        actions.push({
          kind: 'stopRayJob', key: `reconcile-stop:${cluster.id}:${info.submissionId}`, jobId: job.jobId, attempt,
          clusterId: cluster.id, region: cluster.region, submissionId: info.submissionId,
          reason: staleAttempt
            ? `${info.submissionId} is ${info.status} on ${cluster.name} but ${job.jobId} is at attempt ${job.attempt} (${job.state}); stop the stale copy so the job never runs twice`
            : `${info.submissionId} also runs on ${cluster.name}, but its record says ${job.clusterId}; stop this second copy`,
        });
      }
    }
  }

  const evacuation = planEvacuation({ ...snapshot, jobs: snapshot.jobs.filter((j) => !ended.has(j.jobId)) }, 'reconcile found it still running there');
  actions.push(...evacuation.actions);
  reasons.push(...evacuation.reasons);

  // GPUs held for attempts that are over (the job moved on or ended, or this copy is not the recorded one).
  for (const [clusterId, ledger] of snapshot.ledgers) {
    for (const submissionId of Object.keys(ledger.allocations)) {
      const cut = submissionId.lastIndexOf('-');
      const job = jobs.get(submissionId.slice(0, cut));
      const attempt = Number(submissionId.slice(cut + 1));
      const over = !job || job.attempt > attempt || OVER.has(job.state) || (job.state === 'running' && job.clusterId !== clusterId);
      if (over && !actions.some((a) => a.kind === 'recordJobEnd' && a.submissionId === submissionId && a.clusterId === clusterId)) {
        actions.push({ kind: 'releaseGpus', key: `release:${clusterId}:${submissionId}`, clusterId, submissionId, reason: `${submissionId} no longer runs on ${clusterId.split('/').pop()}` });
      }
    }
  }

  // Queued jobs nothing has touched for too long: their message was lost (dead-lettered, expired).
  for (const job of snapshot.jobs) {
    if (QUEUED.has(job.state) && now.getTime() - Date.parse(job.updatedAt) >= snapshot.policy.stuckAfterMs && !holdsGpus(snapshot, job)) {
      actions.push({ kind: 'resendJob', key: `resend:${job.jobId}:${job.attempt}:${job.updatedAt}`, jobId: job.jobId, attempt: job.attempt, updatedAt: job.updatedAt,
        reason: `${job.jobId} has been ${job.state} since ${job.updatedAt} with nothing in flight; send attempt ${job.attempt} to the intake queue again` });
    }
  }
  // Grow pools for jobs that wait, shrink idle ones: within quota, one PUT per pool per minute.
  const capacity = planCapacityActions(snapshot, now);
  actions.push(...capacity.actions);
  reasons.push(...capacity.reasons);
  return { trigger: ['reconcile'], actions, reasons };
}

const holdsGpus = (snapshot: FleetSnapshot, job: JobRecord): boolean =>
  [...snapshot.ledgers.values()].some((l) => Object.keys(l.allocations).some((s) => s === `${job.jobId}-${job.attempt}`));
