/**
 * Review of node failure handling (#5): each test pins a bug found in review (at-least-once and out-of-order
 * delivery, concurrency between invocations, crashes between port calls, unreachable Ray / API server).
 */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import type { ClusterSpec } from '../../../shared/fleet/types.js';
import type { GpuFaultSignal, NodeNotReadySignal, ResourceHealthSignal, Signal } from '../../../shared/signals/types.js';
import { execute } from '../../../shared/executor/execute.js';
import { planNodeReconcile } from '../../../shared/planner/planNodeReconcile.js';
import { planForSignal } from '../../../shared/planner/planForSignal.js';
import { applyNodeFault } from '../../../shared/nodes/nodeIncident.js';
import type { NodeFault } from '../../../shared/nodes/nodeFault.js';
import { clusterGpus } from '../../../shared/planner/snapshot.js';
import { fakePorts } from '../../support/fakes.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const FAMILY = 'standardNCADSA100v4Family';
const mk = (region: string): ClusterSpec => ({
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${region}`, name: `aks-${region}`, region, gpus: 0,
  rayEndpoint: `http://ray-${region}.invalid`, pools: [{ name: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', minCount: 0, maxCount: 10, spot: false, autoscale: false }],
});
const node = (i: number) => `aks-gpu-12345678-vmss${i.toString(36).padStart(6, '0')}`;

async function setup(policy = {}, count = 4) {
  let t = Date.parse('2026-11-28T12:00:00.000Z');
  const clusters = [mk('eastus2'), mk('westus3')];
  const f = fakePorts(clusters, policy, () => new Date(t));
  const ports = { ...f.ports, clock: { now: () => new Date(t), sleep: async (ms: number) => { t += ms; } } };
  for (const c of clusters) {
    f.nodePools.add({ ref: { clusterId: c.id, pool: 'gpu' }, vmSize: 'Standard_NC24ads_A100_v4', count, autoscale: false, spot: false, provisioningState: 'Succeeded', eTag: 'e1' });
    f.quota.usage.set(`${SUB}|${c.region}`, [{ name: FAMILY, used: 96, limit: 480 }, { name: 'cores', used: 96, limit: 1000 }]);
    f.kube.addRayCluster(c.id, 'ray', 'ray', { gpu: { replicas: 4 } });
    for (let i = 0; i < 4; i++) {
      f.kube.addNode(c.id, { name: node(i) });
      f.kube.addPod(c.id, { name: `ray-gpu-worker-${c.region}-${i}`, nodeName: node(i), podIp: `10.244.${c.region.length}.${i}`, labels: { 'ray.io/cluster': 'ray', 'ray.io/group': 'gpu', 'ray.io/node-type': 'worker' } });
    }
  }
  await reconcile(ports); // observe pools and quota
  const [east, west] = clusters as [ClusterSpec, ClusterSpec];
  // j1 runs in eastus2 with work on nodes 0 and 1; j2 on node 3; j3 in westus3.
  expect(await admitJob({ jobId: 'j1', entrypoint: 'x', gpus: 2, checkpointPrefix: 'runs/j1/', regions: ['eastus2'] }, ports)).toMatchObject({ result: 'running' });
  expect(await admitJob({ jobId: 'j2', entrypoint: 'x', gpus: 1, regions: ['eastus2'] }, ports)).toMatchObject({ result: 'running' });
  expect(await admitJob({ jobId: 'j3', entrypoint: 'x', gpus: 1, regions: ['westus3'] }, ports)).toMatchObject({ result: 'running' });
  f.ray.placeWork(east.rayEndpoint, '10.244.7.0', 'j1-1');
  f.ray.placeWork(east.rayEndpoint, '10.244.7.1', 'j1-1');
  f.ray.placeWork(east.rayEndpoint, '10.244.7.3', 'j2-1');
  f.checkpoints.latest.set('runs/j1/', 'runs/j1/checkpoint_000120');
  f.queue.drain();
  return { ...f, ports, clusters, east, west, advance: (ms: number) => { t += ms; }, now: () => new Date(t) };
}
type Setup = Awaited<ReturnType<typeof setup>>;

const notReady = (s: Setup, n: string, stage: 'active' | 'resolved', id: string, at = s.now()): NodeNotReadySignal =>
  ({ kind: 'nodeNotReady', id, source: 'commonAlert', observedAt: at.toISOString(), cluster: 'aks-eastus2', node: n, stage });
const one = async (s: Setup, signal: Signal) => (await handleSignals([signal], s.ports))[0]!;

describe('a drain that cannot finish', () => {
  it('Ray unreachable on one cluster: its drain fails, but the rest of the reconcile pass still runs', async () => {
    const s = await setup();
    s.ray.unreachable.add(s.east.rayEndpoint);
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    // j3 finished in westus3: reconcile must record it and free its GPUs, whatever happens to east's drain.
    s.ray.jobs.get(`${s.west.rayEndpoint}|j3-1`)!.status = 'SUCCEEDED';
    s.advance(10_000);
    const out = await reconcile(s.ports);
    expect(out.actions.find((a) => a.kind === 'drainNode')).toMatchObject({ status: 'failed' });
    expect(await s.ports.state.job('j3')).toMatchObject({ state: 'succeeded' });
  });

  it('API server unreachable when a recovered node is to be uncordoned: the close fails, the rest of the pass still runs', async () => {
    const s = await setup();
    await one(s, notReady(s, node(2), 'active', 'nr-2'));
    s.advance(5_000);
    await one(s, notReady(s, node(2), 'resolved', 'nr-2r'));
    s.advance(600_000);
    s.kube.unreachable.add(s.east.id);
    s.ray.jobs.get(`${s.west.rayEndpoint}|j3-1`)!.status = 'SUCCEEDED';
    const out = await reconcile(s.ports);
    expect(out.actions.find((a) => a.kind === 'closeNodeEpisode')).toMatchObject({ status: 'failed' });
    expect(await s.ports.state.job('j3')).toMatchObject({ state: 'succeeded' });
  });
});

describe('a drained job moved on by a fast consumer', () => {
  it('the consumer records the next attempt before the requeue does: the move marker does not follow the job to its new attempt', async () => {
    const s = await setup({}, 6);
    // Service Bus delivers the requeued message at once: the consumer admits attempt 2 before requeue() records it.
    const send = s.queue.send.bind(s.queue);
    let consumed = 0;
    s.queue.send = async (message, options) => {
      await send(message, options);
      if (message.jobId === 'j1' && consumed++ === 0) expect(await admitJob(message, s.ports)).toMatchObject({ result: 'running' });
    };
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    const job = await s.ports.state.job('j1');
    expect(job).toMatchObject({ state: 'running', attempt: 2 });
    expect(job!.drainingFrom).toBeUndefined();
    // …so reconcile leaves the new attempt running (no stop of j1-2, no attempt 3).
    s.advance(10_000);
    await reconcile(s.ports);
    expect(s.ray.calls).not.toContain('stop j1-2');
    expect(await s.ports.state.job('j1')).toMatchObject({ state: 'running', attempt: 2 });
  });
});

describe('closing an episode', () => {
  it('the node went bad again after reconcile planned the close: it stays cordoned and its episode stays open', async () => {
    const s = await setup();
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    s.advance(5_000);
    await one(s, notReady(s, node(0), 'resolved', 'nr-1r'));
    s.advance(600_000);
    const plan = planNodeReconcile(await s.ports.state.snapshot(s.now()), s.now());
    const close = plan.actions.filter((a) => a.kind === 'closeNodeEpisode');
    expect(close).toHaveLength(1);
    // Another invocation records a new NotReady of the same node before the close runs.
    s.advance(1_000);
    await one(s, notReady(s, node(0), 'active', 'nr-2'));
    await execute({ trigger: ['reconcile'], actions: close, reasons: [] }, s.ports);
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(true);
    expect(await s.ports.state.node(s.east.id, node(0))).toMatchObject({ bad: true });
    expect((await s.ports.state.node(s.east.id, node(0)))!.closedAt).toBeUndefined();
  });

  it('the node fails again while it is being uncordoned: it is cordoned again and its episode stays open', async () => {
    const s = await setup();
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    s.advance(5_000);
    await one(s, notReady(s, node(0), 'resolved', 'nr-1r'));
    s.advance(600_000);
    const uncordon = s.kube.uncordon.bind(s.kube);
    s.kube.uncordon = async (clusterId: string, n: string) => {
      await one(s, notReady(s, node(0), 'active', 'nr-2'));
      return uncordon(clusterId, n);
    };
    await reconcile(s.ports);
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(true);
    expect((await s.ports.state.node(s.east.id, node(0)))!.closedAt).toBeUndefined();
  });
});

describe('out-of-order delivery across sources', () => {
  const xid = (s: Setup, n: string, at: Date): GpuFaultSignal =>
    ({ kind: 'gpuFault', id: `xid-${n}-79`, source: 'commonAlert', observedAt: at.toISOString(), clusterId: s.east.id, node: n, xid: 79, stage: 'active' });

  it('a hardware XID delivered after a newer NotReady of the same node still counts: replaced, and never uncordoned', async () => {
    const s = await setup();
    const early = new Date(s.now().getTime() - 5_000);
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    await one(s, xid(s, node(0), early));
    expect(await s.ports.state.node(s.east.id, node(0))).toMatchObject({ cause: 'gpuFault', replace: true });
    expect(s.nodePools.puts).toEqual([{ ref: { clusterId: s.east.id, pool: 'gpu' }, change: { kind: 'count', count: 5 } }]);
    s.advance(5_000);
    await one(s, notReady(s, node(0), 'resolved', 'nr-1r'));
    s.advance(600_000);
    await reconcile(s.ports);
    expect(await s.ports.state.node(s.east.id, node(0))).toMatchObject({ closedAt: expect.any(String) });
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(true);
  });
});

describe('replacement nodes', () => {
  const xid = (s: Setup, n: string): GpuFaultSignal =>
    ({ kind: 'gpuFault', id: `xid-${n}-79`, source: 'commonAlert', observedAt: s.now().toISOString(), clusterId: s.east.id, node: n, xid: 79, stage: 'active' });
  const eastPool = (s: Setup) => s.nodePools.pools.get(`${s.east.id}|gpu`)!;

  it('the pool changed between planning and the PUT (another resize won): the replacement is planned again, not recorded as done', async () => {
    const s = await setup();
    // Another resize of the pool (capacity for waiting jobs, say) lands just before the replacement's PUT.
    const get = s.nodePools.get.bind(s.nodePools);
    let raced = false;
    s.nodePools.get = async (ref) => {
      if (!raced && ref.clusterId === s.east.id) { raced = true; s.nodePools.pools.set(`${s.east.id}|gpu`, { ...eastPool(s), count: 5, eTag: 'e2' }); }
      return get(ref);
    };
    await one(s, xid(s, node(3)));
    expect(s.nodePools.puts).toEqual([]);
    expect((await s.ports.state.node(s.east.id, node(3)))!.replacement).toBeUndefined();
    s.advance(61_000);
    await reconcile(s.ports);
    expect(s.nodePools.puts).toEqual([{ ref: { clusterId: s.east.id, pool: 'gpu' }, change: { kind: 'count', count: 6 } }]);
    expect((await s.ports.state.node(s.east.id, node(3)))!.replacement).toMatchObject({ outcome: expect.stringMatching(/5 → 6/) });
  });

  it('the invocation dies while following the PUT: later passes do not grow the pool a second time for the same failure', async () => {
    const s = await setup();
    const resize = s.nodePools.resize.bind(s.nodePools);
    s.nodePools.resize = async (current, change) => {
      await resize(current, change); // the PUT went out and ARM carries it through…
      return new Promise(() => {}); // …but this invocation never comes back (a Functions timeout mid-LRO)
    };
    void handleSignals([xid(s, node(3))], s.ports);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.nodePools.puts).toHaveLength(1);
    s.nodePools.resize = resize;
    for (let i = 0; i < 4; i++) {
      s.advance(61_000);
      await reconcile(s.ports);
    }
    expect(s.nodePools.puts).toHaveLength(1);
    expect(eastPool(s).count).toBe(5);
    expect((await s.ports.state.node(s.east.id, node(3)))!.replacement).toMatchObject({ outcome: expect.any(String) });
  });

  it.each([[true, 5], [false, 5]])('a PUT with no clear answer (transient; ARM took it: %s): the pool ends one node larger, never two', async (took, count) => {
    const s = await setup();
    const resize = s.nodePools.resize.bind(s.nodePools);
    s.nodePools.resize = async (current, change) => {
      if (took) await resize(current, change); else s.nodePools.puts.push({ ref: current.ref, change });
      return { ok: false, failure: { class: 'transient', code: 'GatewayTimeout', message: 'the gateway did not answer', statusCode: 504 } };
    };
    await one(s, xid(s, node(3)));
    s.nodePools.resize = resize;
    for (let i = 0; i < 4; i++) {
      s.advance(61_000);
      await reconcile(s.ports);
    }
    expect(eastPool(s).count).toBe(count);
    expect(s.nodePools.puts).toHaveLength(took ? 1 : 2);
    expect((await s.ports.state.node(s.east.id, node(3)))!.replacement).toMatchObject({ outcome: expect.any(String) });
    expect((await s.ports.state.node(s.east.id, node(3)))!.replacement!.pending).toBeUndefined();
  });
});

describe('Fired and Resolved of one node handled at once by two invocations', () => {
  it('the Resolved planned before the Fired was recorded still counts: the episode is not left failing for good', async () => {
    const s = await setup();
    const fired = notReady(s, node(0), 'active', 'nr-1', s.now());
    const resolved = notReady(s, node(0), 'resolved', 'nr-1r', new Date(s.now().getTime() + 1_000));
    s.advance(2_000);
    await Promise.all([one(s, fired), one(s, resolved)]);
    const incident = await s.ports.state.node(s.east.id, node(0));
    expect(incident?.bad ?? false).toBe(false);
    // …so it closes after the recovery time and the node is schedulable again (no replacement for a node that is fine).
    s.advance(600_000);
    await reconcile(s.ports);
    s.advance(60_000);
    await reconcile(s.ports);
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(false);
    expect(s.nodePools.puts.filter((p) => p.ref.clusterId === s.east.id)).toEqual([]);
  });

  it('the other order: the Resolved is recorded first, so the older Fired is stale and opens nothing; a newer failure still does', () => {
    const fault = (bad: boolean, at: string, signalId: string): NodeFault =>
      ({ clusterId: 'c', region: 'eastus2', node: 'n', bad, cause: 'notReady', at, signalId, detail: signalId });
    const fine = applyNodeFault(undefined, fault(false, '2026-11-28T12:00:01.000Z', 'r'));
    expect(fine).toMatchObject({ changed: true, next: { bad: false, closedAt: expect.any(String) } });
    const record = (fine as { next: Parameters<typeof applyNodeFault>[0] }).next;
    expect(applyNodeFault(record, fault(true, '2026-11-28T12:00:00.000Z', 'f'))).toMatchObject({ changed: false, why: expect.stringMatching(/^stale/) });
    expect(applyNodeFault(record, fault(true, '2026-11-28T12:00:02.000Z', 'f2'))).toMatchObject({ changed: true, opened: true, next: { bad: true, openedAt: '2026-11-28T12:00:02.000Z' } });
  });
});

describe('a node record that could not be written', () => {
  it('the plan waits for it (no PUT, no drain without an episode), and the retry replaces the node once', async () => {
    const s = await setup();
    const mutateNode = s.ports.state.mutateNode.bind(s.ports.state);
    let failures = 1;
    s.ports.state.mutateNode = async (...args: Parameters<typeof mutateNode>) => {
      if (failures-- > 0) throw new Error('Table Storage: 503 Server Busy');
      return mutateNode(...args);
    };
    const signal: GpuFaultSignal = { kind: 'gpuFault', id: 'xid-3', source: 'commonAlert', observedAt: s.now().toISOString(), clusterId: s.east.id, node: node(3), xid: 79, stage: 'active' };
    expect((await one(s, signal)).status).toBe('recordedNotProcessed');
    expect(s.nodePools.puts).toEqual([]);
    s.advance(10_000);
    await reconcile(s.ports);
    s.advance(61_000);
    await reconcile(s.ports);
    expect(s.nodePools.puts).toEqual([{ ref: { clusterId: s.east.id, pool: 'gpu' }, change: { kind: 'count', count: 5 } }]);
    expect(await s.ports.state.node(s.east.id, node(3))).toMatchObject({ drainedAt: expect.any(String), replacement: { outcome: expect.stringMatching(/4 → 5/) } });
  });
});

describe('a GPU fault whose alert resolves before its replacement could be asked for', () => {
  it('is still replaced: the node stays cordoned (an operator clears a GPU fault), so the pool would be a node short for good', async () => {
    const s = await setup();
    // A PUT to the pool within the minute: the replacement waits for the next pass…
    await s.ports.state.capacity.mutatePool(s.east.id, 'gpu', (cur) => ({ ...cur, lastPutAt: new Date(s.now().getTime() - 10_000).toISOString() }));
    const xid = (stage: 'active' | 'resolved', id: string): GpuFaultSignal =>
      ({ kind: 'gpuFault', id, source: 'commonAlert', observedAt: s.now().toISOString(), clusterId: s.east.id, node: node(3), xid: 79, stage });
    await one(s, xid('active', 'xid-3'));
    expect(s.nodePools.puts).toEqual([]);
    // …and meanwhile the DCGM alert resolves.
    s.advance(20_000);
    await one(s, xid('resolved', 'xid-3r'));
    s.advance(61_000);
    await reconcile(s.ports);
    expect(s.nodePools.puts).toEqual([{ ref: { clusterId: s.east.id, pool: 'gpu' }, change: { kind: 'count', count: 5 } }]);
    expect(s.kube.nodes.get(`${s.east.id}|${node(3)}`)!.unschedulable).toBe(true);
  });
});

describe('a GPU fault reported out of order', () => {
  const xid = (s: Setup, stage: 'active' | 'resolved', id: string, at: Date): GpuFaultSignal =>
    ({ kind: 'gpuFault', id, source: 'commonAlert', observedAt: at.toISOString(), clusterId: s.east.id, node: node(3), xid: 79, stage });

  it('its Resolved delivered before its Fired (the action group retried the Fired): the node is still drained, kept cordoned and replaced', async () => {
    const s = await setup();
    const t0 = s.now();
    s.advance(30_000);
    await one(s, xid(s, 'resolved', 'xid-3r', s.now()));
    s.advance(30_000);
    await one(s, xid(s, 'active', 'xid-3', t0));
    expect(s.kube.nodes.get(`${s.east.id}|${node(3)}`)!.unschedulable).toBe(true);
    expect(s.queue.drain().map((m) => m.messageId)).toEqual(['j2:2']);
    expect(s.nodePools.puts).toEqual([{ ref: { clusterId: s.east.id, pool: 'gpu' }, change: { kind: 'count', count: 5 } }]);
    s.advance(3_600_000);
    await reconcile(s.ports);
    expect(s.kube.nodes.get(`${s.east.id}|${node(3)}`)!.unschedulable).toBe(true);
  });

  it('its alert resolves before the drain could cordon the node (API server down): the drain still runs once it answers', async () => {
    const s = await setup();
    s.kube.unreachable.add(s.east.id);
    await one(s, xid(s, 'active', 'xid-3', s.now()));
    s.advance(20_000);
    await one(s, xid(s, 'resolved', 'xid-3r', s.now()));
    s.kube.unreachable.clear();
    s.advance(20_000);
    await reconcile(s.ports);
    expect(s.kube.nodes.get(`${s.east.id}|${node(3)}`)!.unschedulable).toBe(true);
    expect(await s.ports.state.node(s.east.id, node(3))).toMatchObject({ drainedAt: expect.any(String) });
  });
});

describe('two first signals of one node planned at once', () => {
  it('the drain that runs follows the episode as recorded (a Spot notice merged in: evict for the replacement, not scale in)', async () => {
    const s = await setup();
    const spot: ResourceHealthSignal = {
      kind: 'resourceHealth', id: 'spot-1', source: 'eventGrid', observedAt: new Date(s.now().getTime() + 1_000).toISOString(), status: 'unavailable', clusterId: s.east.id, pool: 'gpu', node: node(1),
      resourceId: `/subscriptions/${SUB}/resourceGroups/mc_rg_aks-eastus2_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-12345678-vmss/virtualMachines/1`,
      resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', reason: 'VirtualMachinePreempted (Platform Initiated)',
      deadline: new Date(s.now().getTime() + 31_000).toISOString(),
    };
    const before = await s.ports.state.snapshot(s.now());
    const a = planForSignal(before, notReady(s, node(1), 'active', 'nr-1'), s.now());
    const b = planForSignal(before, spot, s.now());
    const byKind = (p: typeof a, k: string) => p.actions.filter((x) => x.kind === k);
    // Both records land (NotReady first: it opens the episode; the notice joins it), then the NotReady plan's drain runs.
    await execute({ trigger: ['x'], actions: [...byKind(a, 'recordNodeFault'), ...byKind(b, 'recordNodeFault'), ...byKind(a, 'drainNode')], reasons: [] }, s.ports);
    expect(await s.ports.state.node(s.east.id, node(1))).toMatchObject({ cause: 'preempted', replace: true, drainedAt: expect.any(String) });
    expect(s.kube.calls).toContain('evict ray/ray-gpu-worker-eastus2-1');
    expect(s.kube.scaleIns).toEqual([]);
  });
});

describe('capacity after a failed node is gone', () => {
  it('a Spot VM taken away leaves the pool (ARM counts one fewer): its episode no longer takes a node off on top of that', async () => {
    const s = await setup();
    const spot: ResourceHealthSignal = {
      kind: 'resourceHealth', id: 'spot-1', source: 'eventGrid', observedAt: s.now().toISOString(), status: 'unavailable', clusterId: s.east.id, pool: 'gpu', node: node(1),
      resourceId: `/subscriptions/${SUB}/resourceGroups/mc_rg_aks-eastus2_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-12345678-vmss/virtualMachines/1`,
      resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', reason: 'VirtualMachinePreempted (Platform Initiated)',
      deadline: new Date(s.now().getTime() + 30_000).toISOString(),
    };
    await one(s, spot);
    expect(s.nodePools.pools.get(`${s.east.id}|gpu`)!.count).toBe(5); // the replacement
    // The notice runs out: Azure deletes the VM; the scale set (and the pool's count) shrinks, the node object goes.
    s.advance(31_000);
    const pool = s.nodePools.pools.get(`${s.east.id}|gpu`)!;
    s.nodePools.pools.set(`${s.east.id}|gpu`, { ...pool, count: pool.count - 1, eTag: 'e-evicted' });
    s.kube.nodes.delete(`${s.east.id}|${node(1)}`);
    await reconcile(s.ports);
    // 4 VMs exist (nodes 0, 2, 3 and the replacement), each with one GPU.
    expect(clusterGpus(await s.ports.state.snapshot(s.now()), s.east)).toBe(4);
  });
});

describe('Ray stops answering in the middle of a drain', () => {
  it('the job is not requeued while its old copy may still run, and its move finishes once Ray answers', async () => {
    const s = await setup();
    // Ray answers which jobs have work on the node, then goes dark for a moment (its breaker opens).
    const jobsOnNodes = s.ray.jobsOnNodes.bind(s.ray);
    s.ray.jobsOnNodes = async (endpoint: string, ips: readonly string[]) => {
      const out = await jobsOnNodes(endpoint, ips);
      s.ray.unreachable.add(endpoint);
      return out;
    };
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    expect(s.ray.jobs.get(`${s.east.rayEndpoint}|j1-1`)!.status).toBe('RUNNING');
    expect(s.queue.drain()).toEqual([]); // not requeued while j1-1 runs: that would be the job twice
    s.ray.jobsOnNodes = jobsOnNodes;
    s.ray.unreachable.clear();
    s.advance(10_000);
    await reconcile(s.ports);
    s.advance(10_000);
    await reconcile(s.ports);
    expect(s.ray.jobs.get(`${s.east.rayEndpoint}|j1-1`)!.status).toBe('STOPPED');
    expect(s.queue.drain().map((m) => m.messageId)).toEqual(['j1:2']);
    expect(await s.ports.state.node(s.east.id, node(0))).toMatchObject({ drainedAt: expect.any(String) });
  });
});

describe('a stale copy whose cluster does not answer when reconcile stops it', () => {
  it('is stopped on a later pass (the stop was not recorded as done)', async () => {
    const s = await setup();
    // j3's attempt 1 is still RUNNING on westus3, but the job is already at attempt 2 elsewhere.
    await s.ports.state.mutateJob('j3', (cur) => ({ ...cur!, attempt: 2, state: 'queued', clusterId: undefined, submissionId: undefined, region: undefined }));
    const list = s.ray.list.bind(s.ray);
    s.ray.list = async (endpoint: string) => {
      const out = await list(endpoint);
      if (endpoint === s.west.rayEndpoint) s.ray.unreachable.add(endpoint); // it answered the listing, then went dark
      return out;
    };
    await reconcile(s.ports);
    expect(s.ray.jobs.get(`${s.west.rayEndpoint}|j3-1`)!.status).toBe('RUNNING');
    s.ray.list = list;
    s.ray.unreachable.clear();
    s.advance(60_000);
    await reconcile(s.ports);
    expect(s.ray.jobs.get(`${s.west.rayEndpoint}|j3-1`)!.status).toBe('STOPPED');
  });
});

describe('holds', () => {
  it('a hold on the cluster keeps automation from uncordoning its recovered node until the hold ends', async () => {
    const s = await setup();
    await one(s, notReady(s, node(0), 'active', 'nr-1'));
    s.advance(5_000);
    await one(s, notReady(s, node(0), 'resolved', 'nr-1r'));
    // An operator holds the cluster (investigating it) before the episode would close.
    await s.ports.state.ops.addHold({ id: 'h1', scope: 'cluster', target: s.east.id, until: new Date(s.now().getTime() + 900_000).toISOString(), reason: 'investigating', by: 'ops@example.com', createdAt: s.now().toISOString() });
    s.advance(600_000);
    const out = await reconcile(s.ports);
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(true);
    expect(out.actions.find((a) => a.kind === 'closeNodeEpisode')).toBeUndefined();
    s.advance(300_001);
    await reconcile(s.ports);
    expect(s.kube.nodes.get(`${s.east.id}|${node(0)}`)!.unschedulable).toBe(false);
  });
});

describe('node storm confirmation', () => {
  it('Spot preemptions do not confirm a storm Monitor disputes (they do not count toward one in the plan either)', async () => {
    const s = await setup();
    const ready = new Set([node(0), node(1), node(2)]);
    const ports = {
      ...s.ports,
      telemetry: {
        nodeReadiness: async (clusters: readonly { id: string }[]) => ({
          status: 'answered' as const, source: 'logs' as const,
          clusters: new Map(clusters.map((c) => [c.id, [...ready].map((n) => ({ node: n, ready: true, at: s.now().toISOString() }))])),
        }),
        nodeReadinessMetric: async () => ({ status: 'unavailable' as const, source: 'metrics' as const, reason: 'notConfigured' as const, message: 'x' }),
      },
    };
    for (const i of [10, 11, 12]) {
      const spot: ResourceHealthSignal = {
        kind: 'resourceHealth', id: `spot-${i}`, source: 'eventGrid', observedAt: s.now().toISOString(), status: 'unavailable', clusterId: s.east.id, pool: 'gpu', node: node(i),
        resourceId: `/subscriptions/${SUB}/resourceGroups/mc_rg_aks-eastus2_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-12345678-vmss/virtualMachines/${i}`,
        resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', reason: 'VirtualMachinePreempted (Platform Initiated)',
        deadline: new Date(s.now().getTime() + 30_000).toISOString(),
      };
      await handleSignals([spot], ports);
    }
    // Three NotReady alerts that Monitor says are wrong (the nodes are Ready).
    for (const i of [0, 1, 2]) await handleSignals([notReady(s, node(i), 'active', `nr-${i}`)], ports);
    expect((await s.ports.state.region('eastus2'))?.state ?? 'healthy').toBe('healthy');
  });
});

describe('fine reports with no episode open', () => {
  const health = (s: Setup, previousStatus: ResourceHealthSignal['previousStatus']): ResourceHealthSignal => ({
    kind: 'resourceHealth', id: `rh-${previousStatus}`, source: 'eventGrid', observedAt: s.now().toISOString(), status: 'available', clusterId: s.east.id, pool: 'gpu', node: node(2),
    resourceId: `/subscriptions/${SUB}/resourceGroups/mc_rg_aks-eastus2_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-12345678-vmss/virtualMachines/2`,
    resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', ...(previousStatus ? { previousStatus } : {}),
  });

  it('are remembered when they end a bad condition, not for every VM that merely started', async () => {
    const s = await setup();
    const snap = await s.ports.state.snapshot(s.now());
    expect(planForSignal(snap, health(s, 'unknown'), s.now()).actions).toEqual([]);
    expect(planForSignal(snap, health(s, 'unavailable'), s.now()).actions.map((a) => a.kind)).toEqual(['recordNodeFault']);
  });
});

describe('capacity of a node the autopilot leaves cordoned', () => {
  it('a GPU-faulted node stays cordoned after its episode closes: it offers no GPUs until an operator uncordons it', async () => {
    const s = await setup();
    const xid = (stage: 'active' | 'resolved', id: string): GpuFaultSignal =>
      ({ kind: 'gpuFault', id, source: 'commonAlert', observedAt: s.now().toISOString(), clusterId: s.east.id, node: node(3), xid: 79, stage });
    await one(s, xid('active', 'xid-3'));
    s.advance(5_000);
    await one(s, xid('resolved', 'xid-3r'));
    s.advance(600_000);
    await reconcile(s.ports);
    expect(await s.ports.state.node(s.east.id, node(3))).toMatchObject({ closedAt: expect.any(String) });
    expect(s.kube.nodes.get(`${s.east.id}|${node(3)}`)!.unschedulable).toBe(true);
    // 5 VMs (4 + the replacement), one of them cordoned for its GPU.
    expect(clusterGpus(await s.ports.state.snapshot(s.now()), s.east)).toBe(4);
    // An operator clears the fault.
    s.kube.nodes.set(`${s.east.id}|${node(3)}`, { ...s.kube.nodes.get(`${s.east.id}|${node(3)}`)!, unschedulable: false });
    s.advance(60_000);
    await reconcile(s.ports);
    expect(clusterGpus(await s.ports.state.snapshot(s.now()), s.east)).toBe(5);
  });
});

describe('a node storm that clears and comes back', () => {
  it('makes the region suspect again (the second storm is not taken for a repeat of the first)', async () => {
    const s = await setup();
    for (const i of [0, 1, 2]) await one(s, notReady(s, node(i), 'active', `nr-${i}`));
    expect(await s.ports.state.region('eastus2')).toMatchObject({ state: 'suspect' });
    s.advance(5_000);
    await one(s, notReady(s, node(2), 'resolved', 'nr-2r'));
    s.advance(5_000);
    await reconcile(s.ports);
    expect(await s.ports.state.region('eastus2')).toMatchObject({ state: 'healthy' });
    s.advance(5_000);
    await one(s, notReady(s, node(2), 'active', 'nr-2b'));
    expect(await s.ports.state.region('eastus2')).toMatchObject({ state: 'suspect' });
  });
});
