/**
 * The level-triggered safety net: compares observed Ray state with the job records and plans what
 * closes the gap. Pure: the Ray listings are read by the caller and passed in.
 */
import { afterHoldDown } from '../fleet/regionHealth.js';
import type { RayJobInfo } from '../ports/rayJobs.js';
import { TERMINAL_RAY_STATUSES } from '../ports/rayJobs.js';
import type { Action, Plan } from './plan.js';
import { planEvacuation } from './planEvacuation.js';
import type { FleetSnapshot } from './snapshot.js';

/** Ray jobs per cluster id; clusters that did not answer are absent. */
export type RayListings = ReadonlyMap<string, readonly RayJobInfo[]>;

export function planReconcile(snapshot: FleetSnapshot, listings: RayListings, now: Date): Plan {
  const actions: Action[] = [];
  const reasons: string[] = [];
  for (const health of snapshot.health.values()) {
    const next = afterHoldDown(health, snapshot.policy, now);
    if (next) {
      actions.push({ kind: 'endHoldDown', key: `holddown:${health.region}:${health.since}`, region: health.region, since: health.since, reason: `${health.region} recovering → healthy: ${next.reason}` });
    }
  }
  const evacuation = planEvacuation(snapshot, 'reconcile found it still running there');
  actions.push(...evacuation.actions);
  reasons.push(...evacuation.reasons);

  const jobs = new Map(snapshot.jobs.map((j) => [j.jobId, j]));
  for (const cluster of snapshot.clusters) {
    const listing = listings.get(cluster.id);
    if (!listing) continue;
    for (const info of listing) {
      const jobId = info.metadata?.autopilotJobId;
      const job = jobId ? jobs.get(jobId) : undefined;
      if (!job) continue;
      const terminal = TERMINAL_RAY_STATUSES.has(info.status);
      // Only an older attempt is stale. The current attempt may be on Ray a moment before its record
      // says so (the consumer submits, then records): that copy is the one that must keep running.
      const attempt = Number(info.metadata?.autopilotAttempt ?? 0);
      if (attempt < job.attempt && !terminal) {
        actions.push({
          kind: 'stopRayJob', key: `reconcile-stop:${info.submissionId}`, jobId: job.jobId, attempt,
          clusterId: cluster.id, region: cluster.region, submissionId: info.submissionId,
          reason: `${info.submissionId} is ${info.status} on ${cluster.name} but ${job.jobId} is at attempt ${job.attempt} (${job.state}); stop the stale copy so the job never runs twice`,
        });
      } else if (info.submissionId === job.submissionId && terminal && job.state === 'running') {
        const outcome = info.status === 'SUCCEEDED' ? 'succeeded' : info.status === 'STOPPED' ? 'stopped' : 'failed';
        actions.push({
          kind: 'recordJobEnd', key: `end:${info.submissionId}`, jobId: job.jobId, attempt: job.attempt, clusterId: cluster.id,
          submissionId: info.submissionId, outcome, reason: `Ray reports ${info.submissionId} ${info.status}${info.message ? `: ${info.message}` : ''}`,
        });
      }
    }
  }
  // GPUs held for attempts that are over (the job moved on, or ended).
  for (const [clusterId, ledger] of snapshot.ledgers) {
    for (const submissionId of Object.keys(ledger.allocations)) {
      const cut = submissionId.lastIndexOf('-');
      const job = jobs.get(submissionId.slice(0, cut));
      const attempt = Number(submissionId.slice(cut + 1));
      const over = !job || job.attempt > attempt || ['succeeded', 'failed', 'stopped', 'rejected'].includes(job.state);
      if (over && !actions.some((a) => a.kind === 'recordJobEnd' && a.submissionId === submissionId)) {
        actions.push({ kind: 'releaseGpus', key: `release:${submissionId}`, clusterId, submissionId, reason: `${submissionId} no longer runs` });
      }
    }
  }
  return { trigger: ['reconcile'], actions, reasons };
}
