/**
 * A job message that can never run is kept, with its reason, where a person can find it
 * (`GET /api/jobs/{id}`), instead of being retried forever. Nothing is lost.
 */
import type { Ports } from '../executor/ports.js';
import { withEvent } from '../executor/performAction.js';
import type { JobSpec } from '../jobs/jobSpec.js';
import type { AdmitOutcome } from './admitJob.js';

export async function recordRejection(body: unknown, messageId: string, outcome: Extract<AdmitOutcome, { settle: 'deadLetter' }>, ports: Ports): Promise<void> {
  const now = ports.clock.now();
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const jobId = typeof raw.jobId === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(raw.jobId) ? raw.jobId : `rejected-${messageId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  await ports.state.mutateJob(jobId, (cur) => {
    const reason = `${outcome.reason}: ${outcome.description}`;
    // A bad message must not change a job that exists: it only leaves a note in its history.
    if (cur) return withEvent(cur, now, 'message rejected', reason);
    return withEvent({
      jobId, spec: summaryOf(jobId, raw), state: 'rejected', attempt: 1, excludeRegions: [], waits: 0,
      reason, updatedAt: now.toISOString(), history: [],
    }, now, 'rejected', reason);
  });
  ports.log.error('job message rejected', { correlationId: jobId, messageId, reason: outcome.reason, description: outcome.description });
}

/** Enough of a rejected body to recognise it, never so much that the record itself cannot be stored. */
function summaryOf(jobId: string, raw: Record<string, unknown>): JobSpec {
  return { jobId, entrypoint: typeof raw.entrypoint === 'string' ? raw.entrypoint.slice(0, 500) : '', gpus: typeof raw.gpus === 'number' ? raw.gpus : 0 };
}
