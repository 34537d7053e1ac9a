/**
 * Every job still running in an impaired region is stopped (if its cluster answers) and requeued
 * with the next attempt, excluding that region. Used for a fresh incident and by reconcile, which
 * catches jobs that were placed while the incident was being recorded.
 */
import type { Action, Plan } from './plan.js';
import type { FleetSnapshot } from './snapshot.js';

export function planEvacuation(snapshot: FleetSnapshot, cause: string): Plan {
  const actions: Action[] = [];
  const reasons: string[] = [];
  const impaired = new Set([...snapshot.health.values()].filter((h) => h.state === 'impaired').map((h) => h.region));
  if (impaired.size === 0) return { trigger: [], actions, reasons };
  const jobs = [...snapshot.jobs]
    .filter((j) => j.state === 'running' && j.region !== undefined && impaired.has(j.region))
    .sort((a, b) => (b.spec.priority ?? 0) - (a.spec.priority ?? 0) || a.jobId.localeCompare(b.jobId));
  for (const job of jobs) {
    const region = job.region!;
    const excludeRegions = [...new Set([...job.excludeRegions, region])].sort();
    const toAttempt = job.attempt + 1;
    if (job.submissionId && job.clusterId) {
      actions.push({
        kind: 'stopRayJob', key: `stop:${job.submissionId}`, jobId: job.jobId, attempt: job.attempt,
        clusterId: job.clusterId, region, submissionId: job.submissionId, onlyIfImpaired: region,
        reason: `${job.jobId} attempt ${job.attempt} runs in impaired ${region}; stop it so it never runs twice`,
      });
    }
    actions.push({
      kind: 'requeueJob', key: `requeue:${job.jobId}:${toAttempt}`, jobId: job.jobId, fromAttempt: job.attempt,
      toAttempt, fromRegion: region, excludeRegions,
      reason: `${job.jobId}: ${region} is impaired (${cause}); requeue as attempt ${toAttempt} from its last checkpoint, excluding ${excludeRegions.join(', ')}`,
    });
    reasons.push(`requeue ${job.jobId} out of ${region}`);
  }
  if (jobs.length === 0) reasons.push(`no running jobs in ${[...impaired].join(', ')}`);
  return { trigger: [], actions, reasons };
}
