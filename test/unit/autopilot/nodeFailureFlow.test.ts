/**
 * Node failures through handleSignals and reconcile on in-memory fakes: the drain really cordons, finds the
 * jobs with work on the node, stops and requeues them from their checkpoint, removes the workers the right way
 * (evict when a replacement comes, KubeRay scale-in when not), asks for the replacement, and is done once.
 */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import type { ClusterSpec } from '../../../shared/fleet/types.js';
import type { GpuFaultSignal, NodeNotReadySignal, ResourceHealthSignal, Signal } from '../../../shared/signals/types.js';
import { fakePorts } from '../../support/fakes.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const FAMILY = 'standardNCADSA100v4Family';
const mk = (region: string): ClusterSpec => ({
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${region}`, name: `aks-${region}`, region, gpus: 0,
  rayEndpoint: `http://ray-${region}.invalid`, pools: [{ name: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', minCount: 0, maxCount: 10, spot: false, autoscale: false }],
});
const node = (i: number) => `aks-gpu-12345678-vmss${i.toString(36).padStart(6, '0')}`;

async function setup(policy = {}) {
  let t = Date.parse('2026-11-28T12:00:00.000Z');
  const clusters = [mk('eastus2'), mk('westus3')];
  const f = fakePorts(clusters, policy, () => new Date(t));
  const slept: number[] = [];
  const ports = { ...f.ports, clock: { now: () => new Date(t), sleep: async (ms: number) => { slept.push(ms); t += ms; } } };
  for (const c of clusters) {
    f.nodePools.add({ ref: { clusterId: c.id, pool: 'gpu' }, vmSize: 'Standard_NC24ads_A100_v4', count: 4, autoscale: false, spot: false, provisioningState: 'Succeeded', eTag: 'e1' });
    f.quota.usage.set(`${SUB}|${c.region}`, [{ name: FAMILY, used: 96, limit: 480 }, { name: 'cores', used: 96, limit: 1000 }]);
    f.kube.addRayCluster(c.id, 'ray', 'ray', { gpu: { replicas: 4 } });
    for (let i = 0; i < 4; i++) {
      f.kube.addNode(c.id, { name: node(i) });
      f.kube.addPod(c.id, { name: `ray-gpu-worker-${c.region}-${i}`, nodeName: node(i), podIp: `10.244.${c.region.length}.${i}`, labels: { 'ray.io/cluster': 'ray', 'ray.io/group': 'gpu', 'ray.io/node-type': 'worker' } });
    }
  }
  await reconcile(ports); // observe pools and quota
  const east = clusters[0]!;
  // j1 runs in eastus2 with work on nodes 0 and 1; j2 on node 3.
  expect(await admitJob({ jobId: 'j1', entrypoint: 'x', gpus: 2, checkpointPrefix: 'runs/j1/', regions: ['eastus2'] }, ports)).toMatchObject({ result: 'running' });
  expect(await admitJob({ jobId: 'j2', entrypoint: 'x', gpus: 1, regions: ['eastus2'] }, ports)).toMatchObject({ result: 'running' });
  f.ray.placeWork(east.rayEndpoint, '10.244.7.0', 'j1-1');
  f.ray.placeWork(east.rayEndpoint, '10.244.7.1', 'j1-1');
  f.ray.placeWork(east.rayEndpoint, '10.244.7.3', 'j2-1');
  f.checkpoints.latest.set('runs/j1/', 'runs/j1/checkpoint_000120');
  f.queue.drain();
  return { ...f, ports, clusters, east, slept, advance: (ms: number) => { t += ms; }, now: () => new Date(t) };
}

const notReady = (s: Awaited<ReturnType<typeof setup>>, n: string, stage: 'active' | 'resolved', id: string): NodeNotReadySignal =>
  ({ kind: 'nodeNotReady', id, source: 'commonAlert', observedAt: s.now().toISOString(), cluster: 'aks-eastus2', node: n, stage });
const gpuXid = (s: Awaited<ReturnType<typeof setup>>, n: string, xid: number): GpuFaultSignal =>
  ({ kind: 'gpuFault', id: `xid-${n}-${xid}`, source: 'commonAlert', observedAt: s.now().toISOString(), clusterId: s.east.id, node: n, xid, stage: 'active' });
const preempt = (s: Awaited<ReturnType<typeof setup>>, n: string, deadlineMs: number): ResourceHealthSignal => ({
  kind: 'resourceHealth', id: `spot-${n}`, source: 'eventGrid', observedAt: s.now().toISOString(), status: 'unavailable', clusterId: s.east.id, pool: 'gpu', node: n,
  resourceId: `/subscriptions/${SUB}/resourceGroups/mc_rg_aks-eastus2_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-12345678-vmss/virtualMachines/0`,
  resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', reason: 'VirtualMachinePreempted (Platform Initiated)',
  deadline: new Date(s.now().getTime() + deadlineMs).toISOString(),
});
const one = async (s: Awaited<ReturnType<typeof setup>>, signal: Signal) => (await handleSignals([signal], s.ports))[0]!;

describe('a NotReady node', () => {
  it('is cordoned, its job (only that one) stopped and requeued from its checkpoint, its worker evicted (not scaled in: the node may come back)', async () => {
    const s = await setup();
    const out = await one(s, notReady(s, node(0), 'active', 'nr-1'));
    expect(out.status).toBe('processed');
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(true);
    expect(s.ray.calls).toContain('stop j1-1');
    expect(s.ray.calls).not.toContain('stop j2-1');
    const sent = s.queue.drain();
    expect(sent).toEqual([expect.objectContaining({ messageId: 'j1:2', message: expect.objectContaining({ jobId: 'j1', attempt: 2, resumeFrom: 'runs/j1/checkpoint_000120', excludeRegions: [] }) })]);
    // The node may come back: the worker is evicted and the worker group keeps its size (a scale-in would shrink
    // the Ray cluster for good).
    expect(s.kube.calls).toContain('evict ray/ray-gpu-worker-eastus2-0');
    expect(s.kube.scaleIns).toEqual([]);
    expect(s.nodePools.puts).toEqual([]);
    const job = await s.ports.state.job('j1');
    expect(job).toMatchObject({ state: 'requeued', attempt: 2 });
    expect(job!.drainingFrom).toBeUndefined();
    expect(await s.ports.state.node(s.east.id, node(0))).toMatchObject({ drainedAt: expect.any(String), cause: 'notReady' });
  });

  it('flapping 10 times in a minute drains once', async () => {
    const s = await setup();
    for (let i = 0; i < 20; i++) {
      await one(s, notReady(s, node(0), i % 2 ? 'resolved' : 'active', `flap-${i}`));
      s.advance(3000);
    }
    expect(s.ray.calls.filter((c) => c === 'stop j1-1')).toHaveLength(1);
    expect(s.kube.calls.filter((c) => c.startsWith('cordon'))).toHaveLength(1);
    expect(s.kube.calls.filter((c) => c.startsWith('evict'))).toHaveLength(1);
    expect(s.queue.drain()).toHaveLength(1);
  });

  it('a node gone for good with no replacement possible (no quota): KubeRay scales in by exactly its worker', async () => {
    const s = await setup();
    s.quota.usage.set(`${SUB}|eastus2`, [{ name: FAMILY, used: 480, limit: 480 }, { name: 'cores', used: 480, limit: 1000 }]);
    await reconcile(s.ports); // quota read again is not guaranteed within quotaRefresh: force it through the alert path below
    await s.ports.state.capacity.recordQuota(SUB, 'eastus2', [{ name: FAMILY, used: 480, limit: 480 }, { name: 'cores', used: 480, limit: 1000 }], s.now());
    await one(s, gpuXid(s, node(0), 79));
    expect(s.nodePools.puts).toEqual([]);
    expect(s.kube.scaleIns).toEqual([expect.objectContaining({ rayCluster: 'ray', group: 'gpu', pods: ['ray-gpu-worker-eastus2-0'], result: { outcome: 'patched', replicas: 3 } })]);
  });

  it('stays NotReady past replaceNotReadyAfter: reconcile asks for a replacement once', async () => {
    const s = await setup({ nodes: { recoveryMs: 600_000, stormNodes: 3, stormWindowMs: 600_000, replaceNotReadyAfterMs: 60_000, evictionWaitMs: 20_000, forgetAfterMs: 3_600_000 } });
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    s.advance(61_000);
    await reconcile(s.ports);
    s.advance(61_000);
    await reconcile(s.ports);
    expect(s.nodePools.puts).toEqual([{ ref: { clusterId: s.east.id, pool: 'gpu' }, change: { kind: 'count', count: 5 } }]);
  });

  it('recovers: reconcile closes the episode after the hold-down and uncordons the node', async () => {
    const s = await setup();
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    s.advance(5000);
    await one(s, notReady(s, node(0), 'resolved', 'nr-1r'));
    s.advance(600_000);
    await reconcile(s.ports);
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(false);
    expect(await s.ports.state.node(s.east.id, node(0))).toMatchObject({ closedAt: expect.any(String) });
  });
});

describe('a GPU XID', () => {
  it('drains and replaces: the worker is evicted (KubeRay recreates it on the new node) and the pool grows by one', async () => {
    const s = await setup();
    const out = await one(s, gpuXid(s, node(3), 79));
    expect(out.status).toBe('processed');
    expect(s.kube.calls).toContain('evict ray/ray-gpu-worker-eastus2-3');
    expect(s.kube.scaleIns).toEqual([]);
    expect(s.nodePools.puts).toEqual([{ ref: { clusterId: s.east.id, pool: 'gpu' }, change: { kind: 'count', count: 5 } }]);
    expect(s.queue.drain().map((m) => m.messageId)).toEqual(['j2:2']);
  });

  it('a PodDisruptionBudget 429 waits and retries until the eviction goes through', async () => {
    const s = await setup();
    s.kube.evictionScript.set(`${s.east.id}|ray/ray-gpu-worker-eastus2-3`, [
      { outcome: 'blocked', reason: 'Cannot evict pod as it would violate the pod\'s disruption budget.', retryAfterMs: 1000 },
      { outcome: 'blocked', reason: 'Cannot evict pod as it would violate the pod\'s disruption budget.' },
    ]);
    expect((await one(s, gpuXid(s, node(3), 79))).status).toBe('processed');
    expect(s.slept).toEqual([1000, 1000]);
    expect(s.kube.pods.has(`${s.east.id}|ray/ray-gpu-worker-eastus2-3`)).toBe(false);
  });

  it('a PDB that keeps blocking: the drain is left for reconcile (not done), jobs already moved, nothing repeated', async () => {
    const s = await setup();
    const blocked = { outcome: 'blocked' as const, reason: 'budget', retryAfterMs: 5000 };
    s.kube.evictionScript.set(`${s.east.id}|ray/ray-gpu-worker-eastus2-3`, Array.from({ length: 5 }, () => blocked));
    const out = await one(s, gpuXid(s, node(3), 79));
    expect(out.status).toBe('recordedNotProcessed');
    expect(s.queue.drain().map((m) => m.messageId)).toEqual(['j2:2']);
    s.advance(60_000);
    await reconcile(s.ports);
    expect(s.kube.pods.has(`${s.east.id}|ray/ray-gpu-worker-eastus2-3`)).toBe(false);
    expect(await s.ports.state.node(s.east.id, node(3))).toMatchObject({ drainedAt: expect.any(String) });
    expect(s.ray.calls.filter((c) => c === 'stop j2-1')).toHaveLength(1);
    expect(s.queue.drain()).toEqual([]);
  });
});

describe('an alert slower than Ray Train', () => {
  it('a job that already FAILED on Ray when its node failed is requeued from its checkpoint, not lost', async () => {
    const s = await setup();
    s.ray.jobs.get(`${s.east.rayEndpoint}|j1-1`)!.status = 'FAILED'; // Ray Train gave up on the dead worker
    s.advance(5000);
    await reconcile(s.ports);
    expect(await s.ports.state.job('j1')).toMatchObject({ state: 'failed', attempt: 1 });
    s.advance(20_000);
    await one(s, notReady(s, node(0), 'active', 'late-alert'));
    expect(await s.ports.state.job('j1')).toMatchObject({ state: 'requeued', attempt: 2, resumeFrom: 'runs/j1/checkpoint_000120' });
    expect(s.queue.drain().map((m) => m.messageId)).toEqual(['j1:2']);
    // j2 (failed on its own, on another node, after the node failure) is not touched.
  });

  it('Ray reports the failure after the alert: the same reconcile pass records it and moves the job', async () => {
    const s = await setup();
    s.ray.placeWork(s.east.rayEndpoint, '10.244.7.0', 'zz-none'); // the drain finds nothing alive
    s.ray.jobs.get(`${s.east.rayEndpoint}|j1-1`)!.status = 'FAILED';
    await one(s, notReady(s, node(0), 'active', 'alert-first'));
    s.queue.drain();
    s.advance(5000);
    await reconcile(s.ports);
    expect(await s.ports.state.job('j1')).toMatchObject({ state: 'requeued', attempt: 2 });
    expect(s.queue.drain().map((m) => m.messageId)).toEqual(['j1:2']);
  });

  it('a job that started after the node failed is not blamed on it', async () => {
    const s = await setup();
    await one(s, notReady(s, node(0), 'active', 'nr-early'));
    s.queue.drain();
    s.advance(5000);
    expect(await admitJob({ jobId: 'j3', entrypoint: 'x', gpus: 1, regions: ['eastus2'] }, s.ports)).toMatchObject({ result: 'running' });
    s.ray.jobs.get(`${s.east.rayEndpoint}|j3-1`)!.status = 'FAILED';
    s.advance(5000);
    await reconcile(s.ports);
    expect(await s.ports.state.job('j3')).toMatchObject({ state: 'failed', attempt: 1 });
    expect(s.queue.drain()).toEqual([]);
  });
});

describe('replacements', () => {
  it('two failures in one pool handled side by side: one PUT now, the second node replaced on the next pass', async () => {
    const s = await setup();
    await Promise.all([one(s, gpuXid(s, node(1), 79)), one(s, gpuXid(s, node(3), 48))]);
    expect(s.nodePools.puts.map((p) => p.change)).toEqual([{ kind: 'count', count: 5 }]);
    s.advance(61_000);
    await reconcile(s.ports);
    expect(s.nodePools.puts.map((p) => p.change)).toEqual([{ kind: 'count', count: 5 }, { kind: 'count', count: 6 }]);
    for (const n of [1, 3]) expect(await s.ports.state.node(s.east.id, node(n))).toMatchObject({ replacement: { outcome: expect.stringMatching(/nodes \(Succeeded\)/) } });
  });

  it('a Spot wave is not a sick region: three preemptions do not make it suspect', async () => {
    const s = await setup();
    for (const n of [0, 1, 2]) await one(s, { ...preempt(s, node(n), 30_000), id: `spot-${n}` });
    expect((await s.ports.state.region('eastus2'))?.state ?? 'healthy').toBe('healthy');
  });
});

describe('Spot preemption', () => {
  it('is drained and requeued inside the notice, and the replacement is asked for at once', async () => {
    const s = await setup();
    const signal = preempt(s, node(1), 30_000);
    await one(s, signal);
    expect(s.queue.drain().map((m) => m.messageId)).toEqual(['j1:2']);
    expect(s.now().getTime()).toBeLessThan(Date.parse(signal.deadline!));
    expect(s.nodePools.puts).toHaveLength(1);
  });
});

describe('safety', () => {
  it('a degraded node still running its work waits for the disruption budget: cordoned, not drained, retried later', async () => {
    const s = await setup({ disruptionBudget: { fleetFraction: 0.1, regionFraction: 0.1, windowMs: 600_000 } });
    const degraded = (n: number, id: string): ResourceHealthSignal => {
      const { deadline: _, ...rest } = preempt(s, node(n), 0);
      return { ...rest, id, status: 'degraded', reason: 'VirtualMachinePossiblyDegradedDueToHardwareFailure (Platform Initiated)' };
    };
    // The first disruption of the window always fits (a budget below one job would hold it forever).
    await one(s, degraded(0, 'deg-0'));
    expect(s.ray.calls).toContain('stop j1-1');
    // The second is over 10% of the fleet's 8 GPUs: its node is cordoned, its job keeps running for now.
    await one(s, degraded(3, 'deg-3'));
    expect(s.kube.nodes.get(`${s.east.id}|${node(3)}`)!.unschedulable).toBe(true);
    expect(s.ray.calls).not.toContain('stop j2-1');
    const drain = (await s.ports.state.actions()).find((a) => a.kind === 'drainNode' && a.key.includes(node(3)));
    expect(drain).toMatchObject({ status: 'skipped', outcome: expect.stringMatching(/^budget: 2 of 0 GPUs of eastus2/) });
    // After the window the next pass moves it.
    s.advance(600_001);
    await reconcile(s.ports);
    expect(s.ray.calls).toContain('stop j2-1');
  });

  it('three failed nodes in a region make it suspect: no new placements there', async () => {
    const s = await setup();
    for (const i of [0, 1, 2]) await one(s, notReady(s, node(i), 'active', `nr-${i}`));
    expect(await s.ports.state.region('eastus2')).toMatchObject({ state: 'suspect' });
  });

  it('Ray not answering: the node is cordoned and the drain retried by reconcile, the jobs are not guessed', async () => {
    const s = await setup();
    s.ray.unreachable.add(s.east.rayEndpoint);
    expect((await one(s, notReady(s, node(0), 'active', 'nr-1'))).status).toBe('recordedNotProcessed');
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(true);
    expect(s.queue.drain()).toEqual([]);
    s.ray.unreachable.clear();
    s.advance(10_000);
    await reconcile(s.ports);
    expect(s.queue.drain().map((m) => m.messageId)).toEqual(['j1:2']);
  });
});
