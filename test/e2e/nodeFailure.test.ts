/**
 * Node, GPU and Spot failures end to end on the local host: the twin's world fails a node, the twin sends
 * Azure's real signal body (Prometheus alert, DCGM XID alert, Resource Notifications annotation), and the
 * autopilot — through the real Kubernetes client against the Kubernetes face, Ray through the API server's
 * service proxy — cordons the node, moves its jobs from their checkpoints, removes its Ray workers and asks
 * for a replacement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFailureDrill } from '../../local/nodeDrill.js';
import { startStack, type Stack } from '../../local/stack.js';
import { until } from '../support/until.js';

let stack: Stack;
const JOBS = 6;
const STEP_MS = 20;
const CHECKPOINT_EVERY = 10;

const running = () => stack.world.allJobs().filter((j) => j.status === 'RUNNING');

beforeAll(async () => {
  stack = await startStack({ port: 0, stepMs: STEP_MS, reconcileSchedule: '*/1 * * * * *', waitBackoffSeconds: 1, provisioningMs: 500,
    nodePolicy: { stormNodes: 50, recoverySeconds: 2 } });
  for (let i = 0; i < JOBS; i++) {
    const jobId = `node-${i}`;
    const res = await stack.api('/api/jobs', { body: {
      jobId, entrypoint: 'python train.py', gpus: 2, checkpointPrefix: `runs/${jobId}/`,
      runtimeEnv: { env_vars: { TOTAL_STEPS: '1000000', CHECKPOINT_EVERY: String(CHECKPOINT_EVERY) } },
    } });
    expect(res.status).toBe(202);
  }
  await until('all jobs running with a checkpoint', () => running().filter((j) => j.lastCompleteCheckpoint).length === JOBS || undefined, 30_000);
}, 60_000);

afterAll(async () => { await stack?.stop(); });

const liveCopies = () => {
  const byJob = new Map<string, number>();
  for (const j of running()) byJob.set(j.jobId, (byJob.get(j.jobId) ?? 0) + 1);
  return byJob;
};

describe('node failures', () => {
  it('NotReady: cordoned, its Ray workers removed, its jobs running elsewhere from their checkpoints', async () => {
    const r = await nodeFailureDrill(stack, { kind: 'notReady', stepMs: STEP_MS, timeoutMs: 20_000 });
    expect(r.signalStatus).toBe(200);
    expect(r.affected.length).toBeGreaterThan(0);
    expect(r.faultToAllRunningMs).toBeDefined();
    expect(r.cordoned).toBe(true);
    expect(r.workersLeft).toBe(0);
    for (const m of r.moves) {
      expect(m.resumedFromStep).toBeGreaterThan(0);
      expect(m.lostSteps).toBeLessThanOrEqual(CHECKPOINT_EVERY + 10);
    }
    // The autopilot's own record: requeued from the checkpoint, and the node's episode drained.
    for (const id of r.affected) {
      const job = (await stack.api(`/api/jobs/${id}`)).body;
      expect(job.resumeFrom).toMatch(new RegExp(`^runs/${id}/checkpoint_\\d{6}$`));
    }
    const actions = (await stack.api('/api/actions?limit=1000')).body.actions as Array<{ kind: string; key: string; status: string; outcome?: string }>;
    const drain = actions.find((a) => a.kind === 'drainNode' && a.key.includes(r.node));
    expect(drain).toMatchObject({ status: 'done' });
    expect(drain!.outcome).toMatch(new RegExp(`cordoned ${r.node}; moved ${r.affected.length} of ${r.affected.length} job`));
    expect([...liveCopies().values()].every((n) => n === 1)).toBe(true);
    // Operators see it: the fleet view lists the node under its cluster, drained.
    const fleet = (await stack.api('/api/fleet')).body as { regions: Array<{ clusters: Array<{ id: string; failedNodes: Array<{ node: string; cause: string; drained?: string }> }> }> };
    const cluster = fleet.regions.flatMap((g) => g.clusters).find((c) => c.id === r.clusterId)!;
    expect(cluster.failedNodes).toContainEqual(expect.objectContaining({ node: r.node, cause: 'notReady', drained: expect.stringMatching(/^cordoned /) }));
  });

  it('GPU XID: drained the same way, and the pool asked for a replacement node', async () => {
    const r = await nodeFailureDrill(stack, { kind: 'gpuXid', xid: 79, stepMs: STEP_MS, timeoutMs: 20_000 });
    expect(r.affected.length).toBeGreaterThan(0);
    expect(r.faultToAllRunningMs).toBeDefined();
    expect(r.cordoned).toBe(true);
    expect(r.workersLeft).toBe(0);
    expect(r.poolPuts).toBe(1);
    const pool = stack.arm.pools().find((p) => p.clusterId === r.clusterId)!;
    await until('the replacement node joined', () => (stack.world.kube(r.clusterId).gpuNodes().length >= pool.count ? true : undefined), 10_000);
    expect([...liveCopies().values()].every((n) => n === 1)).toBe(true);
  });

  it('Spot eviction: drained and requeued before the deadline, replacement asked for at once', async () => {
    // A cluster whose pool has not been written within the minute: AKS allows one PUT per pool per minute, so
    // a replacement right after another one on the same pool would (rightly) wait for the next pass.
    const written = new Set(stack.arm.pools().filter((p) => p.puts > 0).map((p) => p.clusterId));
    const job = running().filter((j) => j.lastCompleteCheckpoint && j.placement.length && !written.has(j.clusterId)).sort((a, b) => a.jobId.localeCompare(b.jobId))[0]!;
    const r = await nodeFailureDrill(stack, { kind: 'spot', clusterId: job.clusterId, node: job.placement[0]!.node, noticeMs: 30_000, stepMs: STEP_MS, timeoutMs: 20_000 });
    expect(r.affected.length).toBeGreaterThan(0);
    expect(r.deadlineMet).toBe(true);
    expect(r.faultToAllRunningMs).toBeLessThan(30_000);
    expect(r.poolPuts).toBe(1);
    expect(r.workersLeft).toBe(0);
  });

  it('a node that flaps 10 times in a minute is drained once, its jobs moved once', async () => {
    const job = running().filter((j) => j.lastCompleteCheckpoint && j.placement.length).sort((a, b) => a.jobId.localeCompare(b.jobId))[0]!;
    const node = job.placement[0]!.node;
    const attempt = job.attempt;
    for (let i = 0; i < 10; i++) {
      stack.world.nodeNotReady(job.clusterId, node);
      await new Promise((r) => setTimeout(r, 30));
      stack.world.nodeReady(job.clusterId, node);
      await new Promise((r) => setTimeout(r, 30));
    }
    await stack.nodeSignals.flush();
    await until('the job runs again on its next attempt', () => running().find((j) => j.jobId === job.jobId && j.attempt === attempt + 1), 20_000).catch(async (e) => {
      const all = (await stack.api('/api/actions?limit=1000')).body.actions as Array<{ kind: string; key: string; status: string; outcome?: string }>;
      throw new Error(`${(e as Error).message}: ${JSON.stringify(all.filter((a) => a.key.includes(node) || a.key.includes(job.jobId)))} job: ${JSON.stringify((await stack.api(`/api/jobs/${job.jobId}`)).body)}`);
    });
    const actions = (await stack.api('/api/actions?limit=1000')).body.actions as Array<{ kind: string; key: string }>;
    expect(actions.filter((a) => a.kind === 'drainNode' && a.key.includes(node))).toHaveLength(1);
    expect(actions.filter((a) => a.kind === 'requeueJob' && a.key === `requeue:${job.jobId}:${attempt + 1}`)).toHaveLength(1);
    expect(actions.filter((a) => a.kind === 'requeueJob' && a.key === `requeue:${job.jobId}:${attempt + 2}`)).toHaveLength(0);
    expect(stack.nodeSignals.sent.filter((s) => s.node === node)).toHaveLength(20);
  });

  it('none lost, none running twice', () => {
    const latest = new Map<string, number>();
    for (const j of stack.world.allJobs()) latest.set(j.jobId, Math.max(latest.get(j.jobId) ?? 0, j.attempt));
    expect(latest.size).toBe(JOBS);
    expect(running()).toHaveLength(JOBS);
    for (const j of running()) expect(j.attempt).toBe(latest.get(j.jobId));
    expect(stack.world.stats().doubleRunTicks).toBe(0);
  });
});
