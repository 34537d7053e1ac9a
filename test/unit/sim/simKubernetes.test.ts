import { describe, expect, it } from 'vitest';
import { KubernetesApiError } from '../../../shared/adapters/kubernetes/kubeErrors.js';
import { MemoryCheckpoints } from '../../../local/sim/memoryCheckpoints.js';
import { SimKubernetes } from '../../../local/sim/simKubernetes.js';
import { VirtualTime } from '../../../local/sim/virtualTime.js';
import { FleetWorld } from '../../../local/twin/world.js';

const ID = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a';

function setup() {
  const time = new VirtualTime(Date.parse('2026-03-02T09:00:00Z'));
  const world = new FleetWorld([{ name: 'eastus2', displayName: 'East US 2' }], [{ id: ID, name: 'aks-a', region: 'eastus2', gpus: 4 }], new MemoryCheckpoints(), () => time.ms());
  return { time, world, kube: new SimKubernetes(world, time, 10_000) };
}

describe('Kubernetes in process over the twin', () => {
  it('reads, cordons and uncordons nodes, and lists the Ray worker pods on one', async () => {
    const { world, kube } = setup();
    const node = world.kube(ID).gpuNodes()[0]!.name;
    expect(await kube.getNode(ID, node)).toMatchObject({ name: node, ready: true, unschedulable: false });
    expect(await kube.cordon(ID, node)).toBe('cordoned');
    expect(world.kube(ID).node(node)!.unschedulable).toBe(true);
    expect(await kube.uncordon(ID, node)).toBe('uncordoned');
    expect(await kube.getNode(ID, 'no-such-node')).toBe('notFound');
    const pods = await kube.podsOnNode(ID, node, 'ray.io/node-type=worker');
    expect(pods).toEqual([expect.objectContaining({ nodeName: node, namespace: 'ray', phase: 'Running', terminating: false, podIp: expect.stringMatching(/^10\.244\./) })]);
  });

  it('evicts through the PodDisruptionBudget: the second eviction is blocked with the server\'s reason', async () => {
    const { world, kube } = setup();
    const [a, b] = world.kube(ID).gpuNodes().map((n) => n.name);
    const podOf = async (node: string) => (await kube.podsOnNode(ID, node, 'ray.io/node-type=worker'))[0]!.name;
    expect(await kube.evict(ID, 'ray', await podOf(a!))).toEqual({ outcome: 'evicted' });
    const blocked = await kube.evict(ID, 'ray', await podOf(b!));
    expect(blocked).toMatchObject({ outcome: 'blocked', reason: expect.stringMatching(/disruption budget/i) });
    expect(await kube.evict(ID, 'ray', 'ray-gpu-worker-gone')).toEqual({ outcome: 'notFound' });
  });

  it('scales the worker group in by exactly the named pods, once', async () => {
    const { world, kube } = setup();
    const pod = (await kube.podsOnNode(ID, world.kube(ID).gpuNodes()[1]!.name, 'ray.io/node-type=worker'))[0]!.name;
    expect(await kube.scaleInRayWorkers(ID, 'ray', 'ray', 'gpu', [pod])).toEqual({ outcome: 'patched', replicas: 3 });
    expect(world.kube(ID).workersToDelete()).toEqual([pod]);
    expect(await kube.scaleInRayWorkers(ID, 'ray', 'ray', 'gpu', [pod])).toEqual({ outcome: 'nothingToDo' });
  });

  it('a cluster whose region is down does not answer: a retryable error after the timeout, in virtual time', async () => {
    const { time, world, kube } = setup();
    world.regionDown('eastus2');
    const call = kube.cordon(ID, world.kube(ID).gpuNodes()[0]!.name);
    let error: unknown;
    void call.catch((e) => { error = e; });
    await time.settle();
    expect(error).toBeUndefined();
    time.advanceTo(time.nextWake()!);
    await time.settle();
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error).toMatchObject({ status: 0, retryable: true, message: expect.stringMatching(/no answer in time/) });
  });
});
