/**
 * One node failure on the running stack, measured: a fault in the twin's world (NotReady, GPU XID, Spot
 * eviction) reaches the autopilot as Azure's real signal body, and we watch the twin until the node is
 * cordoned, its Ray workers are gone, the affected jobs run elsewhere from their checkpoints and (for nodes
 * that will not come back) its pool was asked for one more node. Used by the end-to-end tests and the bench.
 */
import type { Stack } from './stack.js';
import type { TwinJob } from './twin/world.js';

export type NodeFaultKind = 'notReady' | 'gpuXid' | 'spot';

export interface NodeDrillResult {
  readonly kind: NodeFaultKind;
  readonly clusterId: string;
  readonly node: string;
  /** Jobs with work on the node when it failed. */
  readonly affected: readonly string[];
  /** ms from the fault to the signal's HTTP answer: the autopilot's own work (record, cordon, find, stop, requeue, remove workers). */
  readonly faultToHandledMs: number | undefined;
  /** ms from the fault to the last affected job RUNNING again: includes the twin's simulated delays (queue delivery, the world's tick). */
  readonly faultToAllRunningMs: number | undefined;
  readonly cordoned: boolean;
  /** Ray worker pods still on the node (not terminating) at the end. */
  readonly workersLeft: number;
  /** PUTs the node's pool received during the drill (a replacement is one). */
  readonly poolPuts: number;
  /** Per move: the step it resumed from, steps and GPU-hours (at the twin's step time) lost since that checkpoint. */
  readonly moves: ReadonlyArray<{ jobId: string; attempt: number; to: string; resumedFromStep: number; lostSteps: number; lostGpuHours: number }>;
  /** Spot only: the node's deadline and whether every affected job was requeued before it. */
  readonly deadlineMet?: boolean;
  readonly signalStatus: number | undefined;
  /** Epoch ms of the fault, to line it up with the autopilot's own records (job history). */
  readonly faultAt: number;
  /** Epoch ms each affected job's new attempt started RUNNING in the world. */
  readonly startedAt: Readonly<Record<string, number>>;
}

export interface NodeDrillOptions {
  readonly kind: NodeFaultKind;
  /** Which node (default: the first node of the first running job with a checkpoint). */
  readonly clusterId?: string;
  readonly node?: string;
  readonly xid?: number;
  /** Spot notice (default 30 s, Azure's minimum). */
  readonly noticeMs?: number;
  /** The world's step time, for GPU-hours lost. */
  readonly stepMs: number;
  readonly timeoutMs?: number;
  /** Wait for a replacement PUT on the node's pool (default: for gpuXid and spot). */
  readonly expectReplacement?: boolean;
}

export async function nodeFailureDrill(stack: Stack, options: NodeDrillOptions): Promise<NodeDrillResult> {
  const world = stack.world;
  const victim = options.node && options.clusterId
    ? { clusterId: options.clusterId, node: options.node }
    : pickNode(world.allJobs());
  if (!victim) throw new Error('node drill: no running job with a checkpoint to fail a node under');
  const { clusterId, node } = victim;
  const kube = world.kube(clusterId);
  const onNode = world.allJobs().filter((j) => j.status === 'RUNNING' && j.clusterId === clusterId && j.placement.some((p) => p.node === node));
  const stepsAtFault = new Map(onNode.map((j) => [j.jobId, { step: j.step, attempt: j.attempt, gpus: j.gpus }]));
  const affected = [...stepsAtFault.keys()].sort();
  const pool = kube.node(node)?.pool ?? 'gpu';
  const putsBefore = stack.arm.pools().find((p) => p.clusterId === clusterId && p.pool === pool)?.puts ?? 0;
  const sentBefore = stack.nodeSignals.sent.length;

  const started = new Map<string, TwinJob>();
  const startedAt: Record<string, number> = {};
  let resolveAll!: () => void;
  const allRunning = new Promise<void>((r) => { resolveAll = r; });
  const onStart = (job: TwinJob) => {
    const before = stepsAtFault.get(job.jobId);
    if (before && job.attempt > before.attempt && !started.has(job.jobId)) {
      started.set(job.jobId, job);
      startedAt[job.jobId] = Date.now();
      if (started.size === affected.length) resolveAll();
    }
  };
  world.on('jobStarted', onStart);
  const t0 = performance.now();
  const faultAt = Date.now();
  let deadline: number | undefined;
  try {
    if (options.kind === 'notReady') world.nodeNotReady(clusterId, node);
    else if (options.kind === 'gpuXid') world.gpuXid(clusterId, node, options.xid ?? 79);
    else {
      world.spotEvict(clusterId, node, options.noticeMs ?? 30_000);
      deadline = Date.now() + (options.noticeMs ?? 30_000);
    }
    if (affected.length === 0) resolveAll();
    const timeoutMs = options.timeoutMs ?? 60_000;
    // The signal's answer: the emitter records the status when the autopilot answered.
    const handled = waitFor(() => {
      const s = stack.nodeSignals.sent.slice(sentBefore).find((e) => e.node === node && e.status !== undefined);
      return s ? { at: performance.now(), status: s.status } : undefined;
    }, timeoutMs);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const finished = await Promise.race([allRunning.then(() => 'ok' as const), timeout]);
    const faultToAllRunningMs = finished === 'ok' ? performance.now() - t0 : undefined;
    const answer = await handled;
    const wantReplacement = options.expectReplacement ?? options.kind !== 'notReady';
    const puts = () => (stack.arm.pools().find((p) => p.clusterId === clusterId && p.pool === pool)?.puts ?? 0) - putsBefore;
    if (wantReplacement) await waitFor(() => (puts() > 0 ? true : undefined), 10_000);
    const workersLeft = () => kube.workerPods().filter((p) => p.nodeName === node && !p.deletionTimestamp).length;
    await waitFor(() => (workersLeft() === 0 ? true : undefined), 10_000);
    const moves = [...started.values()].map((j) => {
      const before = stepsAtFault.get(j.jobId)!;
      const lostSteps = Math.max(0, before.step - j.startStep);
      return {
        jobId: j.jobId, attempt: j.attempt, to: `${world.clusters.get(j.clusterId)!.name}`, resumedFromStep: j.startStep,
        lostSteps, lostGpuHours: (lostSteps * options.stepMs * before.gpus) / 3_600_000,
      };
    }).sort((a, b) => a.jobId.localeCompare(b.jobId));
    return {
      kind: options.kind, clusterId, node, affected,
      faultToHandledMs: answer ? answer.at - t0 : undefined, faultToAllRunningMs,
      cordoned: kube.node(node)?.unschedulable ?? true, workersLeft: workersLeft(), poolPuts: puts(), moves,
      ...(deadline !== undefined ? { deadlineMet: await requeuedBefore(stack, affected, deadline) } : {}),
      signalStatus: answer?.status, faultAt, startedAt,
    };
  } finally {
    world.off('jobStarted', onStart);
  }
}

/** A node under a running job that already has a complete checkpoint (so its resume is visible). */
function pickNode(jobs: readonly TwinJob[]): { clusterId: string; node: string } | undefined {
  const job = jobs.filter((j) => j.status === 'RUNNING' && j.lastCompleteCheckpoint && j.placement.length > 0)
    .sort((a, b) => a.jobId.localeCompare(b.jobId))[0];
  return job ? { clusterId: job.clusterId, node: job.placement[0]!.node } : undefined;
}

/** Every job's requeue, as its own record tells it (the `requeued` history event), came before `deadline` (epoch ms). */
async function requeuedBefore(stack: Stack, jobIds: readonly string[], deadline: number): Promise<boolean> {
  for (const id of jobIds) {
    const job = (await stack.api(`/api/jobs/${encodeURIComponent(id)}`)).body as { history?: Array<{ at: string; event: string }> } | undefined;
    const requeued = job?.history?.find((h) => h.event === 'requeued');
    if (!requeued || Date.parse(requeued.at) >= deadline) return false;
  }
  return true;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 10));
  }
}
