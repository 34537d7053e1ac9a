/**
 * The twin's world with nodes, in process on a virtual clock: AKS names that round-trip through the signal
 * parser, placement of jobs on nodes and Ray actors, node faults and when jobs fail, Spot deadlines, pool
 * changes, KubeRay's scale-in semantics and the disruption budget.
 */
import { describe, expect, it } from 'vitest';
import { mapAksResource } from '../../../shared/signals/aksResources.js';
import type { RaySubmitToBackend } from '../../../local/twin/ray/rayBackend.js';
import { FleetWorld, type WorldCluster, type WorldOptions } from '../../../local/twin/world.js';

const SUB = '00000000-0000-0000-0000-00000000f1ee';
const ID = `/subscriptions/${SUB}/resourceGroups/rg-fleet-eastus2/providers/Microsoft.ContainerService/managedClusters/aks-eastus2-a`;
const ID_B = `/subscriptions/${SUB}/resourceGroups/rg-fleet-westus3/providers/Microsoft.ContainerService/managedClusters/aks-westus3-b`;

function setup(gpus = 4, options: WorldOptions & { cluster?: Partial<WorldCluster> } = {}) {
  let now = Date.UTC(2026, 10, 20, 10, 0, 0);
  const clusters: WorldCluster[] = [
    { id: ID, name: 'aks-eastus2-a', region: 'eastus2', gpus, ...options.cluster },
    { id: ID_B, name: 'aks-westus3-b', region: 'westus3', gpus: 2 },
  ];
  const world = new FleetWorld(
    [{ name: 'eastus2', displayName: 'East US 2' }, { name: 'westus3', displayName: 'West US 3' }],
    clusters, { write: async () => {} }, () => now, options,
  );
  const events: string[] = [];
  for (const e of ['nodeAdded', 'nodeRemoved', 'nodeNotReady', 'nodeReady', 'gpuXid', 'spotEvictionNotice', 'nodeCordoned', 'podCreated', 'podRemoved'] as const) {
    world.on(e, (...args: unknown[]) => events.push(`${e} ${args.slice(1).join(' ')}`));
  }
  const submit = (id: string, jobGpus: number, env: Record<string, string> = {}, cluster = ID): void => {
    const request: RaySubmitToBackend = {
      entrypoint: 'python train.py', submissionId: id, runtimeEnv: { env_vars: { TOTAL_STEPS: '1000', ...env } },
      metadata: { autopilotJobId: id.replace(/-\d+$/, ''), autopilotAttempt: '1' }, entrypointNumGpus: jobGpus,
    };
    expect(world.submit(world.clusters.get(cluster)!, request)).toBe('ok');
  };
  const job = (id: string, cluster = ID) => world.job(cluster, id)!;
  const kube = world.kube(ID);
  const gpuNodes = () => kube.gpuNodes().map((n) => n.name);
  const ticks = (n: number) => { for (let i = 0; i < n; i++) { now += 100; world.tick(); } };
  return { world, kube, events, submit, job, gpuNodes, ticks, advance: (ms: number) => { now += ms; }, now: () => now };
}

describe('nodes named like AKS', () => {
  it('names VMSS nodes and providerIDs so the signal parser maps them back to cluster, pool and node', () => {
    const { world, kube } = setup(11);
    const nodes = kube.gpuNodes();
    expect(nodes).toHaveLength(11);
    for (const node of nodes) {
      expect(node.name).toMatch(/^aks-gpu-\d{8}-vmss[0-9a-z]{6}$/);
      expect(node.providerId.startsWith('azure:///subscriptions/')).toBe(true);
      expect(mapAksResource(node.providerId.slice('azure://'.length))).toEqual({ clusterId: ID, pool: 'gpu', node: node.name, region: 'eastus2' });
    }
    expect(nodes[10]!.name.endsWith('vmss00000a')).toBe(true);
    expect(nodes[10]!.providerId).toMatch(/\/resourceGroups\/mc_rg-fleet-eastus2_aks-eastus2-a_eastus2\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/aks-gpu-\d{8}-vmss\/virtualMachines\/10$/);
    expect(world.clusterGpus(ID)).toBe(11);
  });

  it('has a system node with the Ray head pod and one worker pod per GPU node, each a Ray node', () => {
    const { kube } = setup(3);
    const system = [...kube.nodes.values()].filter((n) => n.gpus === 0);
    expect(system.map((n) => n.pool)).toEqual(['system']);
    expect(system[0]!.labels['nvidia.com/gpu.present']).toBeUndefined();
    const head = kube.headPod()!;
    expect(head.name).toMatch(/^ray-head-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(head.nodeName).toBe(system[0]!.name);
    const workers = kube.workerPods();
    expect(workers.map((p) => p.nodeName).sort()).toEqual(kube.gpuNodes().map((n) => n.name).sort());
    for (const w of workers) {
      expect(w.name).toMatch(/^ray-gpu-worker-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(w.ip).toMatch(/^10\.244\.\d+\.\d+$/);
      const rayNode = kube.rayNodes.get(w.rayNodeId)!;
      expect(rayNode).toMatchObject({ node_ip: w.ip, is_head_node: false, state: 'ALIVE' });
      expect(rayNode.node_id).toMatch(/^[0-9a-f]{56}$/);
      expect(rayNode.resources_total['GPU']).toBe(1);
    }
    expect(new Set(workers.map((w) => w.ip)).size).toBe(3);
    expect(kube.rayNodes.get(head.rayNodeId)?.is_head_node).toBe(true);
    expect(kube.replicas()).toBe(3);
  });
});

describe('placement', () => {
  it('runs a job on as many placeable nodes as it needs GPUs, with one ALIVE actor per node under its Ray job id', () => {
    const { world, kube, submit, job, ticks } = setup(4);
    submit('a-1', 3);
    ticks(1);
    const a = job('a-1');
    expect(a.status).toBe('RUNNING');
    expect(a.placement).toHaveLength(3);
    expect(new Set(a.placement.map((p) => p.node)).size).toBe(3);
    expect(world.freeGpus(ID)).toBe(1);
    const actors = a.placement.map((p) => kube.actors.get(p.actorId)!);
    for (const [i, actor] of actors.entries()) {
      expect(actor).toMatchObject({ state: 'ALIVE', job_id: a.rayJobId, class_name: 'RayTrainWorker' });
      expect(actor.actor_id).toMatch(/^[0-9a-f]{32}$/);
      expect(actor.actor_id.endsWith(a.rayJobId)).toBe(true);
      expect(actor.node_id).toBe(kube.pods.get(a.placement[i]!.pod)!.rayNodeId);
    }
    expect(world.backend(ID).get('a-1')?.job_id).toBe(a.rayJobId);
  });

  it('keeps a job PENDING while cordoned and NotReady nodes leave too little room, and starts it when room comes back', () => {
    const { world, kube, submit, job, ticks } = setup(3);
    const [n0, n1] = kube.gpuNodes().map((n) => n.name);
    world.cordon(ID, n0!);
    world.nodeNotReady(ID, n1!);
    submit('b-1', 2);
    ticks(3);
    expect(job('b-1').status).toBe('PENDING');
    expect(world.freeGpus(ID)).toBe(1);
    world.uncordon(ID, n0!);
    ticks(1);
    expect(job('b-1').status).toBe('RUNNING');
    expect(job('b-1').placement.map((p) => p.node)).not.toContain(n1);
  });

  it('a job that needs no GPUs runs without worker nodes', () => {
    const { submit, job, ticks } = setup(1);
    submit('c-1', 0);
    ticks(1);
    expect(job('c-1')).toMatchObject({ status: 'RUNNING', placement: [] });
  });
});

describe('node faults', () => {
  it('a NotReady node stalls its jobs; after failJobsAfterTicks they fail, its Ray node and actors are dead', () => {
    const { world, kube, submit, job, ticks, events } = setup(2, { failJobsAfterTicks: 5 });
    submit('d-1', 1);
    ticks(7);
    const d = job('d-1');
    expect(d.step).toBe(7);
    const node = d.placement[0]!.node;
    world.nodeNotReady(ID, node);
    expect(events).toContain(`nodeNotReady ${node}`);
    ticks(4);
    expect(d).toMatchObject({ status: 'RUNNING', step: 7 });
    ticks(1);
    expect(d.status).toBe('FAILED');
    expect(d.message).toContain(`node ${node} is NotReady`);
    expect(d.lostSteps).toBe(7);
    const pod = kube.pods.get(d.placement[0]!.pod)!;
    expect(kube.rayNodes.get(pod.rayNodeId)?.state).toBe('DEAD');
    expect(kube.actors.get(d.placement[0]!.actorId)?.state).toBe('DEAD');
    world.nodeReady(ID, node);
    expect(kube.rayNodes.get(kube.pods.get(pod.name)!.rayNodeId)?.state).toBe('ALIVE');
  });

  it('a node that is Ready again before the limit lets its jobs carry on', () => {
    const { world, submit, job, ticks } = setup(1, { failJobsAfterTicks: 5 });
    submit('e-1', 1);
    ticks(2);
    const node = job('e-1').placement[0]!.node;
    world.nodeNotReady(ID, node);
    ticks(4);
    world.nodeReady(ID, node);
    ticks(10);
    expect(job('e-1')).toMatchObject({ status: 'RUNNING', step: 12 });
  });

  it('a GPU XID keeps the node Ready but stalls and then fails its jobs, and the node takes no new work', () => {
    const { world, kube, submit, job, ticks, events } = setup(1, { failJobsAfterTicks: 3 });
    submit('f-1', 1);
    ticks(1);
    const node = job('f-1').placement[0]!.node;
    world.gpuXid(ID, node, 79);
    expect(events).toContain(`gpuXid ${node} 79`);
    ticks(2);
    expect(job('f-1')).toMatchObject({ status: 'RUNNING', step: 1 });
    ticks(1);
    expect(job('f-1').status).toBe('FAILED');
    expect(job('f-1').message).toContain('GPU XID 79');
    expect(kube.node(node)!.ready).toBe(true);
    submit('f-2', 1);
    ticks(2);
    expect(job('f-2').status).toBe('PENDING');
    world.clearGpuFault(ID, node);
    ticks(1);
    expect(job('f-2').status).toBe('RUNNING');
  });

  it('a Spot node works until its deadline, then goes with its pods and its jobs fail at once', () => {
    const { world, kube, submit, job, ticks, events, now } = setup(2);
    submit('g-1', 1);
    ticks(1);
    const node = job('g-1').placement[0]!.node;
    const pod = job('g-1').placement[0]!.pod;
    world.spotEvict(ID, node, 30_000);
    expect(events).toContain(`spotEvictionNotice ${node} ${now() + 30_000}`);
    ticks(299);
    expect(job('g-1')).toMatchObject({ status: 'RUNNING', step: 300 });
    ticks(1);
    expect(job('g-1').status).toBe('FAILED');
    expect(kube.node(node)).toBeUndefined();
    expect(kube.pods.has(pod)).toBe(false);
    expect(events).toContain(`nodeRemoved ${node} spotEvicted`);
    expect(events).toContain(`podRemoved ${pod} nodeRemoved`);
  });

  it('a job stopped before the Spot deadline stays STOPPED', () => {
    const { world, submit, job, ticks } = setup(1);
    submit('h-1', 1);
    ticks(1);
    world.spotEvict(ID, job('h-1').placement[0]!.node, 200);
    world.stopJob(ID, 'h-1');
    ticks(3);
    expect(job('h-1').status).toBe('STOPPED');
  });

  it('a lost node fails its jobs at once and leaves replicas as they were', () => {
    const { world, kube, submit, job, ticks } = setup(3);
    submit('i-1', 1);
    ticks(1);
    world.nodeGone(ID, job('i-1').placement[0]!.node);
    expect(job('i-1').status).toBe('FAILED');
    expect(kube.gpuNodes()).toHaveLength(2);
    expect(kube.replicas()).toBe(3);
    expect(kube.pdbStatus()).toEqual({ expectedPods: 3, currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 });
  });
});

describe('pools', () => {
  it('setClusterGpus adds nodes whose worker pods come on the next tick, and removes idle nodes first', () => {
    const { world, kube, submit, job, ticks, events } = setup(2);
    submit('j-1', 1);
    ticks(1);
    const busy = job('j-1').placement[0]!.node;
    world.setClusterGpus(ID, 4);
    expect(kube.gpuNodes()).toHaveLength(4);
    expect(kube.replicas()).toBe(4);
    expect(kube.workerPods()).toHaveLength(2);
    expect(events.filter((e) => e.startsWith('nodeAdded'))).toHaveLength(2);
    ticks(1);
    expect(kube.workerPods()).toHaveLength(4);
    world.setClusterGpus(ID, 1);
    expect(kube.gpuNodes().map((n) => n.name)).toEqual([busy]);
    expect(job('j-1').status).toBe('RUNNING');
    expect(kube.replicas()).toBe(1);
    expect(world.clusterGpus(ID)).toBe(1);
    world.setPoolNodes(ID, 'gpu', 0);
    expect(job('j-1').status).toBe('FAILED');
  });

  it('new nodes get new instance ids, never reused', () => {
    const { world, kube } = setup(2);
    world.setClusterGpus(ID, 1);
    world.setClusterGpus(ID, 2);
    expect(kube.gpuNodes().map((n) => n.instanceId)).toEqual([0, 2]);
  });

  it('a pool of multi-GPU nodes places a job on one node', () => {
    const { world, kube, submit, job, ticks } = setup(0, { cluster: { gpus: 16, pools: [{ name: 'h100', vmSize: 'Standard_ND96isr_H100_v5', gpusPerNode: 8, count: 2 }] } });
    expect(kube.gpuNodes().map((n) => n.name)).toEqual([expect.stringMatching(/^aks-h100-\d{8}-vmss000000$/), expect.stringMatching(/vmss000001$/)]);
    submit('k-1', 8);
    ticks(1);
    expect(job('k-1').placement).toEqual([expect.objectContaining({ gpus: 8 })]);
    expect(kube.rayNodes.get(kube.workerPods()[0]!.rayNodeId)?.resources_total).toMatchObject({ GPU: 8, CPU: 96, 'accelerator_type:H100': 1 });
    expect(world.freeGpus(ID)).toBe(8);
  });
});

describe('KubeRay', () => {
  const scaleIn = (world: FleetWorld, replicas: number, workersToDelete: string[]) => {
    const kube = world.kube(ID);
    const rendered = kube.rayClusterStored();
    const ops = [
      { op: 'test', path: '/metadata/resourceVersion', value: (rendered['metadata'] as { resourceVersion: string }).resourceVersion },
      { op: 'replace', path: '/spec/workerGroupSpecs/0/replicas', value: replicas },
      { op: 'replace', path: '/spec/workerGroupSpecs/0/scaleStrategy', value: { workersToDelete } },
    ];
    return kube.patchRayCluster('json', ops, rendered);
  };

  it('deletes the pods in workersToDelete on the next tick, clears the list, and the pod is gone after its grace period', () => {
    const { world, kube, submit, job, ticks, events } = setup(3, { terminationTicks: 2 });
    submit('l-1', 1);
    submit('l-2', 1);
    ticks(1);
    const [p1, p2] = [job('l-1').placement[0]!, job('l-2').placement[0]!];
    world.stopJob(ID, 'l-2');
    world.cordon(ID, p1.node);
    world.cordon(ID, p2.node);
    const before = kube.rayClusterStored();
    expect(scaleIn(world, 1, [p1.pod, p2.pod])).toMatchObject({ spec: { workerGroupSpecs: [{ replicas: 1, scaleStrategy: { workersToDelete: [p1.pod, p2.pod] } }] } });
    expect(kube.rayClusterStored()['metadata']).not.toEqual(before['metadata']);
    ticks(1);
    expect(kube.workersToDelete()).toEqual([]);
    expect(kube.pods.get(p1.pod)?.deletionTimestamp).toBeDefined();
    expect(kube.pods.get(p1.pod)?.deletionReason).toBe('workersToDelete');
    expect(job('l-1').status).toBe('RUNNING');
    ticks(2);
    expect(kube.pods.has(p1.pod)).toBe(false);
    expect(kube.pods.has(p2.pod)).toBe(false);
    expect(job('l-1').status).toBe('FAILED');
    expect(job('l-1').message).toContain('scaled in by KubeRay');
    expect(job('l-2').status).toBe('STOPPED');
    expect(events).toContain(`podRemoved ${p1.pod} workersToDelete`);
    ticks(3);
    expect(kube.workerPods()).toHaveLength(1);
    expect(kube.workerPods().some((p) => p.nodeName === p1.node || p.nodeName === p2.node)).toBe(false);
  });

  it('without workersToDelete a lower replicas count deletes workers in name order', () => {
    const { world, kube, ticks } = setup(3);
    const names = kube.workerPods().map((p) => p.name).sort();
    expect(scaleIn(world, 2, [])).toMatchObject({ kind: 'RayCluster' });
    ticks(1);
    expect(kube.pods.get(names[0]!)?.deletionReason).toBe('surplus');
    expect(kube.pods.get(names[1]!)?.deletionTimestamp).toBeUndefined();
  });

  it('creates no worker pod on a cordoned node, and one on the next tick when a free schedulable GPU node exists', () => {
    const { world, kube, ticks } = setup(2);
    const [a] = kube.workerPods();
    world.cordon(ID, a!.nodeName);
    expect(world.kube(ID).evict('ray', a!.name)).toEqual({ outcome: 'evicted' });
    ticks(3);
    expect(kube.workerPods()).toHaveLength(1);
    world.setPoolNodes(ID, 'gpu', 3);
    expect(kube.replicas()).toBe(2);
    expect(kube.workerPods()).toHaveLength(1);
    ticks(1);
    expect(kube.workerPods()).toHaveLength(2);
    expect(kube.workerPods().map((p) => p.nodeName)).not.toContain(a!.nodeName);
  });

  it('refuses a stale resourceVersion and a failed test', () => {
    const { kube } = setup(2);
    const rendered = kube.rayClusterStored();
    expect(kube.patchRayCluster('json', [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }], rendered)).toEqual({ refused: 'patchNotApplied' });
    expect(kube.patchRayCluster('merge', { metadata: { resourceVersion: '1' }, spec: { suspend: true } }, rendered)).toEqual({ refused: 'conflict' });
    expect(kube.patchRayCluster('merge', { spec: { workerGroupSpecs: [{ groupName: 'gpu', replicas: 'two' }] } }, rendered)).toMatchObject({ refused: 'invalid' });
  });
});

describe('the Ray head', () => {
  it('a deleted head pod fails the running jobs when it is gone, and KubeRay brings a new head back', () => {
    const { kube, submit, job, ticks, events } = setup(2);
    submit('n-1', 1);
    ticks(1);
    const head = kube.headPod()!;
    expect(kube.evict('ray', head.name)).toEqual({ outcome: 'evicted' });
    expect(job('n-1').status).toBe('RUNNING');
    ticks(1);
    expect(job('n-1').status).toBe('FAILED');
    expect(job('n-1').message).toContain(`Ray head pod ${head.name} was lost`);
    const fresh = kube.headPod()!;
    expect(fresh.name).not.toBe(head.name);
    expect(fresh.nodeName).toBe(head.nodeName);
    expect(kube.rayNodes.get(head.rayNodeId)?.state).toBe('DEAD');
    expect(kube.rayNodes.get(fresh.rayNodeId)).toMatchObject({ state: 'ALIVE', is_head_node: true });
    expect(events).toContain(`podCreated ${fresh.name}`);
  });
});

describe('disruption budget', () => {
  it('blocks a second eviction while the first pod is terminating, and allows it once a replacement is healthy', () => {
    const { kube, ticks } = setup(4);
    const [a, b] = kube.workerPods();
    expect(kube.evict('ray', a!.name)).toEqual({ outcome: 'evicted' });
    expect(kube.evict('ray', b!.name)).toEqual({ outcome: 'blocked', pdb: 'ray-workers', desiredHealthy: 3, currentHealthy: 3 });
    expect(kube.evict('ray', a!.name)).toEqual({ outcome: 'evicted' });
    ticks(1);
    expect(kube.pods.has(a!.name)).toBe(false);
    expect(kube.workerPods().some((p) => p.nodeName === a!.nodeName)).toBe(true);
    expect(kube.evict('ray', b!.name)).toEqual({ outcome: 'evicted' });
    expect(kube.evict('ray', 'ray-gpu-worker-nope')).toEqual({ outcome: 'notFound' });
    expect(kube.evict('default', b!.name)).toEqual({ outcome: 'notFound' });
  });

  it('lets an unhealthy pod go while the budget holds, and counts it as disrupted', () => {
    const { world, kube } = setup(3, { cluster: { pdbMaxUnavailable: 1 } });
    const [a, b] = kube.workerPods();
    world.nodeNotReady(ID, a!.nodeName);
    expect(kube.pdbStatus()).toEqual({ expectedPods: 3, currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 });
    expect(kube.evict('ray', b!.name)).toMatchObject({ outcome: 'blocked' });
    expect(kube.evict('ray', a!.name)).toEqual({ outcome: 'evicted' });
  });

  it('maxUnavailable is configurable per cluster', () => {
    const { kube } = setup(4, { cluster: { pdbMaxUnavailable: 2 } });
    const [a, b, c] = kube.workerPods();
    expect(kube.evict('ray', a!.name)).toEqual({ outcome: 'evicted' });
    expect(kube.evict('ray', b!.name)).toEqual({ outcome: 'evicted' });
    expect(kube.evict('ray', c!.name)).toMatchObject({ outcome: 'blocked', desiredHealthy: 2, currentHealthy: 2 });
  });
});

describe('regions', () => {
  it('freezes nodes and faults while the region is down; jobs there fail when it comes back', () => {
    const { world, submit, job, ticks } = setup(2, { failJobsAfterTicks: 2 });
    submit('m-1', 1);
    ticks(3);
    world.regionDown('eastus2');
    world.nodeNotReady(ID, job('m-1').placement[0]!.node);
    ticks(5);
    expect(job('m-1')).toMatchObject({ status: 'RUNNING', step: 3 });
    world.regionUp('eastus2');
    expect(job('m-1')).toMatchObject({ status: 'FAILED', lostSteps: 3 });
  });
});
