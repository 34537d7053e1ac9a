/** `POST /api/jobs`: a person submits a job; it goes through the intake queue like every other job. */
import type { Ports } from '../executor/ports.js';
import { withEvent } from '../executor/performAction.js';
import { messageIdOf, parseJobSpec, sameSpec, type JobSpec } from '../jobs/jobSpec.js';

export type SubmitOutcome =
  | { readonly status: 'accepted'; readonly jobId: string; readonly repeat: boolean }
  | { readonly status: 'conflict'; readonly jobId: string; readonly detail: string };

/** Throws JobSpecError (→ 400 naming the field) for a spec that can never run. */
export async function submitJob(body: unknown, ports: Ports): Promise<SubmitOutcome> {
  const spec: JobSpec = parseJobSpec(body);
  const existing = await ports.state.job(spec.jobId);
  if (existing) {
    if (!sameSpec(existing.spec, spec)) {
      return { status: 'conflict', jobId: spec.jobId, detail: `job ${spec.jobId} exists with a different spec` };
    }
    return { status: 'accepted', jobId: spec.jobId, repeat: true };
  }
  // Send first, record second: a crash in between re-sends the same message id, which the broker drops.
  await ports.queue.send(spec, { messageId: messageIdOf(spec.jobId, 1), correlationId: spec.jobId });
  const now = ports.clock.now();
  await ports.state.mutateJob(spec.jobId, (cur) => cur ? undefined : withEvent({
    jobId: spec.jobId, spec, state: 'queued', attempt: 1, excludeRegions: [], waits: 0, updatedAt: now.toISOString(), history: [],
  }, now, 'queued', 'submitted over HTTP'));
  ports.log.info('job submitted', { correlationId: spec.jobId, gpus: spec.gpus });
  return { status: 'accepted', jobId: spec.jobId, repeat: false };
}
