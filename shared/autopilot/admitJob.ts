/**
 * The `jobs` intake consumer: a submitted or requeued job is placed on a healthy cluster with free
 * GPUs and submitted to Ray. At-least-once safe: the job record's attempt only grows, GPUs are
 * reserved under the Ray submission id, and Ray itself refuses a second submission with that id.
 */
import type { Ports } from '../executor/ports.js';
import { withEvent } from '../executor/performAction.js';
import type { JobRecord } from '../fleet/types.js';
import { attemptOf, JobSpecError, messageIdOf, parseJobMessage, submissionIdOf, type JobMessage, type JobSpec } from '../jobs/jobSpec.js';
import { place, type Rejection } from '../planner/placement.js';
import { allocatedGpus } from '../planner/snapshot.js';

export type AdmitOutcome =
  | { readonly settle: 'complete'; readonly result: 'running' | 'waiting' | 'duplicate' | 'stale'; readonly detail: string; readonly rejected?: readonly Rejection[] }
  | { readonly settle: 'deadLetter'; readonly reason: string; readonly description: string };

/** Thrown for a transient failure: the message is abandoned and redelivered. */
export class TransientAdmitError extends Error {
  override readonly name = 'TransientAdmitError';
}

const MAX_PLACEMENT_TRIES = 5;

export async function admitJob(body: unknown, ports: Ports): Promise<AdmitOutcome> {
  let message: JobMessage;
  try {
    message = parseJobMessage(body);
  } catch (e) {
    if (e instanceof JobSpecError) return { settle: 'deadLetter', reason: 'InvalidJobSpec', description: `${e.field}: ${e.message}` };
    throw e;
  }
  const log = ports.log.with({ correlationId: message.jobId, jobId: message.jobId });
  const attempt = attemptOf(message);
  const now = ports.clock.now();
  const spec = specOf(message);
  const maxAttempts = spec.maxAttempts ?? ports.fleet.policy.defaultMaxAttempts;

  // 1. Bring the job record to this attempt (or learn that this message is stale or a repeat).
  const { value: job } = await ports.state.mutateJob(message.jobId, (cur) => {
    if (!cur) return newRecord(spec, message, attempt, now);
    if (cur.attempt > attempt) return undefined;
    if (cur.attempt === attempt) return undefined;
    return withEvent({ ...cur, state: 'queued', attempt, excludeRegions: message.excludeRegions ?? [], resumeFrom: message.resumeFrom,
      region: undefined, clusterId: undefined, submissionId: undefined, runningSince: undefined }, now, 'queued', `attempt ${attempt} received`);
  });
  if (!job) throw new TransientAdmitError('job record vanished');
  if (job.attempt > attempt) return { settle: 'complete', result: 'stale', detail: `attempt ${attempt} superseded by ${job.attempt}` };
  if (['running', 'succeeded', 'failed', 'stopped', 'rejected'].includes(job.state)) {
    return { settle: 'complete', result: 'duplicate', detail: `attempt ${attempt} already ${job.state}` };
  }
  if (attempt > maxAttempts) {
    await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === attempt
      ? withEvent({ ...cur, state: 'failed', reason: `gave up after ${maxAttempts} attempts` }, now, 'failed', `attempt ${attempt} > maxAttempts ${maxAttempts}`) : undefined);
    return { settle: 'deadLetter', reason: 'MaxAttemptsExceeded', description: `${job.jobId}: attempt ${attempt} exceeds maxAttempts ${maxAttempts}` };
  }

  // 2. Place and reserve GPUs; a concurrent placement on the same cluster makes us re-plan.
  const submissionId = submissionIdOf(job.jobId, attempt);
  for (let i = 0; i < MAX_PLACEMENT_TRIES; i++) {
    const snapshot = await ports.state.snapshot(now);
    const placement = place(snapshot, { ...message, excludeRegions: job.excludeRegions.length ? [...job.excludeRegions] : message.excludeRegions });
    if (!placement.placed) return wait(job, message, placement.why, placement.rejected, ports);
    const cluster = placement.cluster;
    const { changed, value: ledger } = await ports.state.mutateLedger(cluster.id, (cur) => {
      if (submissionId in cur.allocations) return undefined;
      if (cluster.gpus - allocatedGpus(cur) < spec.gpus) return undefined;
      return { ...cur, allocations: { ...cur.allocations, [submissionId]: spec.gpus } };
    });
    if (!changed && !(ledger && submissionId in ledger.allocations)) continue; // filled up meanwhile: re-place

    // 3. Submit. A repeat of the same submission id is harmless.
    const env = { ...((spec.runtimeEnv?.env_vars as Record<string, string> | undefined) ?? {}),
      AUTOPILOT_JOB_ID: job.jobId, AUTOPILOT_ATTEMPT: String(attempt),
      ...(message.resumeFrom ? { AUTOPILOT_RESUME_FROM: message.resumeFrom } : {}),
      ...(spec.checkpointPrefix ? { AUTOPILOT_CHECKPOINT_PREFIX: spec.checkpointPrefix } : {}) };
    try {
      const submitted = await ports.ray.submit(cluster.rayEndpoint, {
        entrypoint: spec.entrypoint, submissionId, entrypointNumGpus: spec.gpus,
        runtimeEnv: { ...(spec.runtimeEnv ?? {}), env_vars: env },
        metadata: { ...(spec.metadata ?? {}), autopilotJobId: job.jobId, autopilotAttempt: String(attempt) },
      });
      log.info(`submitted ${submissionId} to ${cluster.name} (${submitted})`, { region: cluster.region, cluster: cluster.name, why: placement.why, rejected: placement.rejected });
    } catch (e) {
      await ports.state.mutateLedger(cluster.id, (cur) => {
        if (!(submissionId in cur.allocations)) return undefined;
        const { [submissionId]: _, ...rest } = cur.allocations;
        return { ...cur, allocations: rest };
      });
      throw new TransientAdmitError(`submit to ${cluster.name} failed: ${(e as Error).message}`);
    }

    // 4. Record. If a newer attempt appeared meanwhile, ours must not run: stop it.
    const at = ports.clock.now();
    const { changed: recorded } = await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === attempt && cur.state !== 'running'
      ? withEvent({ ...cur, state: 'running', region: cluster.region, clusterId: cluster.id, submissionId, runningSince: at.toISOString(), reason: undefined },
        at, 'running', `${placement.why}${placement.rejected.length ? `; not chosen: ${placement.rejected.map((r) => `${r.region} (${r.why})`).join(', ')}` : ''}${message.resumeFrom ? `; resumed from ${message.resumeFrom}` : ''}`)
      : undefined);
    if (!recorded) {
      const cur = await ports.state.job(job.jobId);
      if (cur && cur.attempt > attempt) await ports.ray.stop(cluster.rayEndpoint, submissionId);
    }
    return { settle: 'complete', result: 'running', detail: `${submissionId} on ${cluster.name} in ${cluster.region}`, rejected: placement.rejected };
  }
  throw new TransientAdmitError('placement kept racing with other placements');
}

function specOf(m: JobMessage): JobSpec {
  const { attempt: _a, excludeRegions: _e, resumeFrom: _r, requeueReason: _q, ...spec } = m;
  return spec;
}

function newRecord(spec: JobSpec, m: JobMessage, attempt: number, now: Date): JobRecord {
  return withEvent({
    jobId: spec.jobId, spec, state: 'queued', attempt, excludeRegions: m.excludeRegions ?? [], waits: 0,
    ...(m.resumeFrom ? { resumeFrom: m.resumeFrom } : {}), updatedAt: now.toISOString(), history: [],
  }, now, 'queued', attempt > 1 ? `attempt ${attempt} received (${m.requeueReason ?? 'requeue'})` : 'submitted');
}

/** Nothing fits now: wait with scheduled redelivery and exponential backoff. */
async function wait(job: JobRecord, message: JobMessage, why: string, rejected: readonly Rejection[], ports: Ports): Promise<AdmitOutcome> {
  const now = ports.clock.now();
  const policy = ports.fleet.policy;
  const waits = job.waits + 1;
  const delay = Math.min(policy.waitBackoffMs * 2 ** (waits - 1), policy.maxWaitBackoffMs);
  const detail = `${why}; ${rejected.map((r) => `${r.region}: ${r.why}`).join('; ')}`;
  // A distinct id per wait: the broker must not drop it as a duplicate of the message being completed.
  await ports.queue.send(message, { messageId: `${messageIdOf(job.jobId, job.attempt)}:wait${waits}`, correlationId: job.jobId, notBefore: new Date(now.getTime() + delay) });
  await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === job.attempt && cur.waits < waits
    ? withEvent({ ...cur, state: 'waiting', waits, reason: detail }, now, 'waiting', `retry in ${Math.round(delay / 1000)} s: ${detail}`)
    : undefined);
  return { settle: 'complete', result: 'waiting', detail, rejected };
}
