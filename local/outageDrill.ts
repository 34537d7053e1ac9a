/**
 * One region outage on the running stack, measured: the Service Health alert goes in, and we watch
 * the twin until every job that ran in that region runs somewhere else. Used by `npm start` and the
 * end-to-end tests, so the figure the demo prints is the one the tests check.
 */
import type { Stack } from './stack.js';
import type { TwinJob } from './twin/world.js';

export interface OutageResult {
  readonly region: string;
  readonly trackingId: string;
  /** Jobs that were running in the region when the alert arrived. */
  readonly affected: readonly string[];
  /** ms from the alert being sent to its HTTP answer (recorded, planned, stopped, requeued). */
  readonly alertToRequeuedMs: number;
  /** ms from the alert being sent to the last affected job RUNNING on another region's cluster. */
  readonly alertToAllRunningMs: number | undefined;
  /** Per job: where it resumed and from which step. */
  readonly moves: ReadonlyArray<{ jobId: string; from: string; to: string; attempt: number; resumedFromStep: number; lostSteps: number }>;
  readonly alertStatus: number;
  readonly alertBody: unknown;
  /** The alert as sent, for re-delivery. */
  readonly alert: unknown;
}

export async function regionOutageDrill(stack: Stack, region: string, options: { trackingId?: string; timeoutMs?: number } = {}): Promise<OutageResult> {
  const trackingId = options.trackingId ?? `DRILL-${Date.now().toString(36).toUpperCase()}`;
  const world = stack.world;
  const regionOf = (j: TwinJob) => world.clusters.get(j.clusterId)!.region;
  const running = world.allJobs().filter((j) => j.status === 'RUNNING' && regionOf(j) === region);
  const stepsAtOutage = new Map(running.map((j) => [j.jobId, j.step]));
  const affected = [...stepsAtOutage.keys()].sort();
  const started = new Map<string, TwinJob>();
  let resolveAll!: () => void;
  const allRunning = new Promise<void>((r) => { resolveAll = r; });
  const onStart = (job: TwinJob) => {
    if (stepsAtOutage.has(job.jobId) && job.attempt > 1 && regionOf(job) !== region && !started.has(job.jobId)) {
      started.set(job.jobId, job);
      if (started.size === affected.length) resolveAll();
    }
  };
  world.on('jobStarted', onStart);
  try {
    world.regionDown(region);
    const t0 = performance.now();
    const answer = await stack.serviceHealth([region], 'Active', trackingId);
    const alertToRequeuedMs = performance.now() - t0;
    if (affected.length === 0) resolveAll();
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), options.timeoutMs ?? 60_000).unref());
    const finished = await Promise.race([allRunning.then(() => 'ok' as const), timeout]);
    const alertToAllRunningMs = finished === 'ok' ? performance.now() - t0 : undefined;
    const moves = [...started.values()].map((j) => ({
      jobId: j.jobId, from: region, to: world.clusters.get(j.clusterId)!.name, attempt: j.attempt,
      resumedFromStep: j.startStep, lostSteps: (stepsAtOutage.get(j.jobId) ?? 0) - j.startStep,
    })).sort((a, b) => a.jobId.localeCompare(b.jobId));
    return { region, trackingId, affected, alertToRequeuedMs, alertToAllRunningMs, moves, alertStatus: answer.status, alertBody: answer.body, alert: answer.alert };
  } finally {
    world.off('jobStarted', onStart);
  }
}

/** The region comes back: the twin restores it and Service Health sends the Resolved alert. */
export async function regionRecovery(stack: Stack, region: string, trackingId: string) {
  stack.world.regionUp(region);
  return stack.serviceHealth([region], 'Resolved', trackingId);
}
