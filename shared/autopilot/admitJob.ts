/**
 * The `jobs` intake consumer: a submitted or requeued job is placed on a healthy cluster with free
 * GPUs and submitted to Ray. At-least-once safe:
 * - the job record's attempt only grows, so a stale or repeated message is a no-op;
 * - GPUs are reserved in the cluster ledger under the Ray submission id, and a redelivery of an
 *   attempt that already holds a reservation goes back to that same cluster (Ray refuses a repeated
 *   submission id only within one cluster, so choosing again could start a second copy elsewhere);
 * - a cluster that fails to take the job is avoided for a while and the job waits with backoff,
 *   instead of being thrown back at the same cluster until the broker dead-letters it.
 */
import type { Ports } from '../executor/ports.js';
import { withEvent } from '../executor/performAction.js';
import { acceptsWork } from '../fleet/regionHealth.js';
import type { ClusterSpec, JobRecord } from '../fleet/types.js';
import { attemptOf, JobSpecError, messageIdOf, parseJobMessage, sameSpec, submissionIdOf, type JobMessage, type JobSpec } from '../jobs/jobSpec.js';
import { errorMessage } from '../observability/logger.js';
import { place, type Rejection } from '../planner/placement.js';
import { allocatedGpus, clusterGpus, type FleetSnapshot } from '../planner/snapshot.js';
import { isPermanentRayError } from '../ports/rayJobs.js';
import { executePlan } from '../executor/execute.js';
import { applyGuards } from '../planner/guards.js';
import { planCapacityActions } from '../planner/planCapacityActions.js';

export type AdmitOutcome =
  | { readonly settle: 'complete'; readonly result: 'running' | 'waiting' | 'duplicate' | 'stale'; readonly detail: string; readonly rejected?: readonly Rejection[] }
  | { readonly settle: 'deadLetter'; readonly reason: string; readonly description: string };

/** Thrown for a transient failure: the message is abandoned and redelivered. */
export class TransientAdmitError extends Error {
  override readonly name = 'TransientAdmitError';
}

const MAX_PLACEMENT_TRIES = 5;
/** A delivery this close to its scheduled time is the scheduled one (clocks of two instances differ a little). */
const EARLY_SLACK_MS = 1_000;
const DONE_STATES = new Set(['running', 'succeeded', 'failed', 'stopped', 'rejected']);

export async function admitJob(body: unknown, ports: Ports): Promise<AdmitOutcome> {
  let message: JobMessage;
  try {
    message = parseJobMessage(body);
  } catch (e) {
    if (e instanceof JobSpecError) return { settle: 'deadLetter', reason: 'InvalidJobSpec', description: `${e.field}: ${e.message}` };
    throw e;
  }
  const attempt = attemptOf(message);
  const now = ports.clock.now();
  const spec = specOf(message);

  // 1. Bring the job record to this attempt (or learn that this message is stale or a repeat).
  const { value: job } = await ports.state.mutateJob(message.jobId, (cur) => {
    if (!cur) return newRecord(spec, message, attempt, now);
    if (cur.attempt >= attempt) return undefined;
    // drainingFrom belongs to the attempt a node drain moved: when this delivery beats the requeue's own record
    // (it sends first), carrying it over would make reconcile stop and move the new attempt as well.
    return withEvent({ ...cur, state: 'queued', attempt, excludeRegions: message.excludeRegions ?? [], resumeFrom: message.resumeFrom,
      region: undefined, clusterId: undefined, submissionId: undefined, runningSince: undefined, drainingFrom: undefined, retryAt: undefined }, now, 'queued', `attempt ${attempt} received`);
  });
  if (!job) throw new TransientAdmitError('job record vanished');
  if (job.attempt > attempt) return { settle: 'complete', result: 'stale', detail: `attempt ${attempt} superseded by ${job.attempt}` };
  if (DONE_STATES.has(job.state)) return { settle: 'complete', result: 'duplicate', detail: `attempt ${attempt} already ${job.state}` };
  if (!sameSpec(job.spec, spec)) {
    return { settle: 'deadLetter', reason: 'SpecConflict', description: `${job.jobId} already exists with a different spec; submit under a new jobId` };
  }
  const maxAttempts = job.spec.maxAttempts ?? ports.fleet.policy.defaultMaxAttempts;
  if (attempt > maxAttempts) {
    await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === attempt && !DONE_STATES.has(cur.state)
      ? withEvent({ ...cur, state: 'failed', reason: `gave up after ${maxAttempts} attempts` }, now, 'failed', `attempt ${attempt} > maxAttempts ${maxAttempts}`) : undefined);
    return { settle: 'deadLetter', reason: 'MaxAttemptsExceeded', description: `${job.jobId}: attempt ${attempt} exceeds maxAttempts ${maxAttempts}` };
  }

  // 2. Where: the cluster this attempt already holds GPUs on, else the best placement right now.
  const submissionId = submissionIdOf(job.jobId, attempt);
  const effective: JobMessage = { ...message, excludeRegions: job.excludeRegions.length ? [...job.excludeRegions] : message.excludeRegions };
  const avoid = new Set(Object.entries(job.avoidClusters ?? {}).filter(([, until]) => Date.parse(until) > now.getTime()).map(([id]) => id));
  let chosen: { cluster: ClusterSpec; why: string; rejected: readonly Rejection[] } | undefined;
  for (let i = 0; i < MAX_PLACEMENT_TRIES && !chosen; i++) {
    const snapshot = await ports.state.snapshot(now);
    const held = [...snapshot.ledgers.values()].find((l) => submissionId in l.allocations);
    const heldCluster = held && ports.fleet.clusters.find((c) => c.id === held.clusterId);
    if (heldCluster && acceptsWork(snapshot.health.get(heldCluster.region))) {
      chosen = { cluster: heldCluster, why: `${heldCluster.name} already holds GPUs for ${submissionId} (an earlier delivery)`, rejected: [] };
      break;
    }
    if (held) await release(ports, held.clusterId, submissionId); // its region went bad meanwhile: choose again
    const placement = place(snapshot, effective, avoid);
    if (!placement.placed) return wait(job, message, placement.why, placement.rejected, ports, snapshot);
    const cluster = placement.cluster;
    const { value: ledger } = await ports.state.mutateLedger(cluster.id, (cur) => {
      if (submissionId in cur.allocations || clusterGpus(snapshot, cluster) - allocatedGpus(cur) < job.spec.gpus) return undefined;
      return { ...cur, allocations: { ...cur.allocations, [submissionId]: job.spec.gpus } };
    });
    if (ledger && submissionId in ledger.allocations) chosen = { cluster, why: placement.why, rejected: placement.rejected };
    // else: the cluster filled up meanwhile; place again.
  }
  if (!chosen) throw new TransientAdmitError('placement kept racing with other placements');
  const { cluster } = chosen;
  const log = ports.log.with({ correlationId: job.jobId, jobId: job.jobId, cluster: cluster.name, region: cluster.region });

  // 3. Submit. A repeat of the same submission id on the same cluster is harmless.
  try {
    const submitted = await ports.ray.submit(cluster.rayEndpoint, rayRequest(job.spec, message, attempt, submissionId));
    log.info(`submitted ${submissionId} (${submitted})`, { why: chosen.why, rejected: chosen.rejected });
  } catch (e) {
    await release(ports, cluster.id, submissionId);
    if (isPermanentRayError(e)) {
      return { settle: 'deadLetter', reason: 'RayRejected', description: `${cluster.name} refused ${submissionId}: ${errorMessage(e)}` };
    }
    const until = new Date(now.getTime() + ports.fleet.policy.avoidClusterMs).toISOString();
    await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === attempt
      ? { ...cur, avoidClusters: { ...(cur.avoidClusters ?? {}), [cluster.id]: until } } : undefined);
    log.warn(`submit to ${cluster.name} failed; avoiding it for this job until ${until}`, { error: errorMessage(e) });
    return wait({ ...job, avoidClusters: { ...(job.avoidClusters ?? {}), [cluster.id]: until } }, message,
      `${cluster.name} did not take the job (${errorMessage(e)})`, [], ports);
  }

  // 4. Record. If another copy of this attempt is recorded as running elsewhere, or a newer attempt
  //    appeared meanwhile, ours must not run: stop it and give its GPUs back.
  const at = ports.clock.now();
  const { changed: recorded, value: after } = await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === attempt && cur.state !== 'running' && !DONE_STATES.has(cur.state)
    ? withEvent({ ...cur, state: 'running', region: cluster.region, clusterId: cluster.id, submissionId, runningSince: at.toISOString(), reason: undefined, avoidClusters: undefined },
      at, 'running', `${chosen.why}${chosen.rejected.length ? `; not chosen: ${chosen.rejected.map((r) => `${r.region} (${r.why})`).join(', ')}` : ''}${message.resumeFrom ? `; resumed from ${message.resumeFrom}` : ''}`)
    : undefined);
  if (!recorded && !(after?.attempt === attempt && after.clusterId === cluster.id && after.state === 'running')) {
    await ports.ray.stop(cluster.rayEndpoint, submissionId);
    await release(ports, cluster.id, submissionId);
    return { settle: 'complete', result: 'duplicate', detail: `${submissionId} is already ${after?.state ?? 'gone'} elsewhere; stopped the copy on ${cluster.name}` };
  }
  return { settle: 'complete', result: 'running', detail: `${submissionId} on ${cluster.name} in ${cluster.region}`, rejected: chosen.rejected };
}

function rayRequest(spec: JobSpec, message: JobMessage, attempt: number, submissionId: string) {
  const env = {
    ...(spec.runtimeEnv?.env_vars ?? {}),
    AUTOPILOT_JOB_ID: spec.jobId, AUTOPILOT_ATTEMPT: String(attempt),
    ...(message.resumeFrom ? { AUTOPILOT_RESUME_FROM: message.resumeFrom } : {}),
    ...(spec.checkpointPrefix ? { AUTOPILOT_CHECKPOINT_PREFIX: spec.checkpointPrefix } : {}),
  };
  return {
    entrypoint: spec.entrypoint, submissionId, entrypointNumGpus: spec.gpus,
    runtimeEnv: { ...(spec.runtimeEnv ?? {}), env_vars: env },
    metadata: { ...(spec.metadata ?? {}), autopilotJobId: spec.jobId, autopilotAttempt: String(attempt) },
  };
}

async function release(ports: Ports, clusterId: string, submissionId: string): Promise<void> {
  await ports.state.mutateLedger(clusterId, (cur) => {
    if (!(submissionId in cur.allocations)) return undefined;
    const { [submissionId]: _, ...rest } = cur.allocations;
    return { ...cur, allocations: rest };
  });
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
async function wait(job: JobRecord, message: JobMessage, why: string, rejected: readonly Rejection[], ports: Ports, seen?: FleetSnapshot): Promise<AdmitOutcome> {
  const now = ports.clock.now();
  const policy = ports.fleet.policy;
  const waits = job.waits + 1;
  const detailNow = [why, ...rejected.map((r) => `${r.region}: ${r.why}`)].join('; ');
  if (job.state === 'waiting' && job.retryAt && now.getTime() < Date.parse(job.retryAt) - EARLY_SLACK_MS) {
    // An extra delivery before the scheduled redelivery is due (wakeWaiting, after the nodes it waited for landed):
    // still no room, so that redelivery carries on. Scheduling another here started a second backoff chain per
    // wake — the job's waits then ran out two or three times as fast (NoCapacity early), and every chain asked
    // for capacity again.
    await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === job.attempt && cur.state === 'waiting' && cur.retryAt === job.retryAt
      ? withEvent({ ...cur, reason: detailNow }, now, 'waiting', `still no room; next try at ${job.retryAt}: ${detailNow}`) : undefined);
    await growForWaiting(job.jobId, ports, seen);
    return { settle: 'complete', result: 'waiting', detail: detailNow, rejected };
  }
  if (waits > policy.maxWaits) {
    const reason = `no capacity after ${policy.maxWaits} waits: ${detailNow}. Raise GPU quota or pool maxCount in a region the job may use, or resubmit with fewer GPUs`;
    await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === job.attempt && !DONE_STATES.has(cur.state)
      ? withEvent({ ...cur, state: 'failed', reason }, now, 'failed', reason) : undefined);
    return { settle: 'deadLetter', reason: 'NoCapacity', description: reason };
  }
  const delay = Math.min(policy.waitBackoffMs * 2 ** (waits - 1), policy.maxWaitBackoffMs);
  const detail = detailNow;
  // A distinct id per wait: the broker must not drop it as a duplicate of the message being completed.
  await ports.queue.send(message, { messageId: `${messageIdOf(job.jobId, job.attempt)}:wait${waits}`, correlationId: job.jobId, notBefore: new Date(now.getTime() + delay) });
  await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === job.attempt && cur.waits < waits && !DONE_STATES.has(cur.state)
    ? withEvent({ ...cur, state: 'waiting', waits, retryAt: new Date(now.getTime() + delay).toISOString(), reason: detail }, now, 'waiting', `retry in ${Math.round(delay / 1000)} s: ${detail}`)
    : undefined);
  await growForWaiting(job.jobId, ports, seen);
  return { settle: 'complete', result: 'waiting', detail, rejected };
}

/**
 * A job that has to wait asks for capacity at once rather than at the next reconcile pass: node provisioning
 * takes minutes, and every minute before the PUT is added to the job's recovery. The same planner and guards
 * as reconcile, so both agree on the resize (same key) and one PUT per pool per minute still holds. Best
 * effort: reconcile plans it anyway.
 */
async function growForWaiting(jobId: string, ports: Ports, seen?: FleetSnapshot): Promise<void> {
  try {
    const now = ports.clock.now();
    // The snapshot placement just read, when there is one: a second full read (every job record, ~10k at DESIGN
    // scale) on every waiting delivery doubled the cost of each. This job counts as demand in it either way (queued
    // or waiting), and a plan made from it that another PUT overtook is refused by the resize's claim.
    const snapshot = seen ?? await ports.state.snapshot(now);
    if (!snapshot.capacity) return;
    const capacity = planCapacityActions(snapshot, now);
    const ups = capacity.actions.filter((a) => a.kind === 'resizePool' && a.decision.direction === 'up');
    if (ups.length === 0) return;
    await executePlan(applyGuards({ trigger: [`waiting:${jobId}`], actions: ups, reasons: capacity.reasons }, snapshot, now), ports);
  } catch (e) {
    ports.log.warn('could not ask for capacity for a waiting job; reconcile will', { jobId, error: errorMessage(e) });
  }
}
