/**
 * Contract: `KubernetesApi` (the real adapter, through the real `@kubernetes/client-node` 1.4) against the twin's
 * Kubernetes face over loopback HTTPS, connected as in production: the server and CA from the twin's ARM face through
 * the real `@azure/arm-containerservice` SDK (`listClusterUserCredential`, exec kubeconfig), an Entra-style token for
 * the AKS server application from an injected fake credential. Expected answers are the API server's (research
 * fixtures k8s-node-cordon.merge-patch.json, k8s-eviction.429-pdb.json, raycluster.scale-in.json-patch.json).
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { audienceForScope, fakeJwt, StaticTokenCredential } from '../../local/fakeCredential.js';
import { ensureLocalCertificate, type LocalCertificate } from '../../local/tls.js';
import { startArmFace, type ArmFace } from '../../local/twin/arm/armFace.js';
import { ArmTwin } from '../../local/twin/arm/armTwin.js';
import { startKubernetesFace, type KubeFaceRequest, type KubernetesFace } from '../../local/twin/kubernetes/kubernetesFace.js';
import { FleetWorld } from '../../local/twin/world.js';
import { ArmAksEndpoints } from '../../shared/adapters/kubernetes/aksCredentials.js';
import { AKS_SERVER_SCOPE, AksConnections } from '../../shared/adapters/kubernetes/aksConnections.js';
import { KubernetesApiError } from '../../shared/adapters/kubernetes/kubeErrors.js';
import { KubernetesApi } from '../../shared/adapters/kubernetes/kubernetesApi.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SUB = '00000000-0000-0000-0000-00000000f1ee';
const ID = `/subscriptions/${SUB}/resourceGroups/rg-fleet-eastus2/providers/Microsoft.ContainerService/managedClusters/aks-eastus2-a`;
const ID_W = `/subscriptions/${SUB}/resourceGroups/rg-fleet-westus3/providers/Microsoft.ContainerService/managedClusters/aks-westus3-a`;
const PDB_REASON = (needs: number, has: number) => `The disruption budget ray-workers needs ${needs} healthy pods and has ${has} currently`;

/**
 * Tokens for the AKS server application on the test's clock. `jwtTtlSeconds` is what the token's `exp` says,
 * `reportedTtlSeconds` what the credential reports (a cached token the credential thinks is still good).
 */
class ClockCredential implements TokenCredential {
  readonly issued: string[] = [];
  jwtTtlSeconds = 3600;
  reportedTtlSeconds = 3600;
  constructor(private readonly now: () => number) {}
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes[0]! : scopes;
    const t = this.now();
    const token = fakeJwt(audienceForScope(scope), { ttlSeconds: this.jwtTtlSeconds }, t);
    this.issued.push(token);
    return { token, expiresOnTimestamp: t + this.reportedTtlSeconds * 1000, tokenType: 'Bearer' };
  }
}

let cert: LocalCertificate;
let armAgent: Agent;
let now = Date.now();
let world: FleetWorld;
let face: KubernetesFace;
let arm: ArmFace;
/** What the ARM face's kubeconfig names as a cluster's server (a test may point it elsewhere). */
let serverFor: (clusterId: string) => string | undefined;
/** Runs after each request the Kubernetes face answers, before the answer leaves. */
let onKubeRequest: ((info: KubeFaceRequest) => void) | undefined;
let armCredential: StaticTokenCredential;
let credential: ClockCredential;

function adapter(options: { credential?: TokenCredential; timeoutMs?: number } = {}): KubernetesApi {
  const endpoints = new ArmAksEndpoints({ credential: armCredential, endpoint: arm.url, agent: armAgent });
  const connections = new AksConnections({ credential: options.credential ?? credential, endpoints, now: () => now, rereadAfterMs: 0 });
  return new KubernetesApi({ connections, timeoutMs: options.timeoutMs ?? 5000 });
}

const gpuNodes = () => world.kube(ID).gpuNodes().map((n) => n.name);
const requestsSince = (mark: number) => face.requests.slice(mark);

beforeAll(async () => {
  cert = await ensureLocalCertificate(join(REPO, '.local', 'certs'));
  armAgent = new Agent({ ca: cert.cert, keepAlive: true });
  world = new FleetWorld(
    [{ name: 'eastus2', displayName: 'East US 2' }, { name: 'westus3', displayName: 'West US 3' }],
    [{ id: ID, name: 'aks-eastus2-a', region: 'eastus2', gpus: 3 }, { id: ID_W, name: 'aks-westus3-a', region: 'westus3', gpus: 2 }],
    { write: async () => {} }, () => now,
  );
  face = await startKubernetesFace({ world, now: () => now, tls: { cert: cert.cert, key: cert.key }, onRequest: (info) => onKubeRequest?.(info) });
  const twin = new ArmTwin({ now: () => Date.now(), timers: false });
  for (const [id, region] of [[ID, 'eastus2'], [ID_W, 'westus3']] as const) {
    twin.addPool({ clusterId: id, pool: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', vcpusPerNode: 24, gpusPerNode: 1, count: 2, family: 'standardNCADSA100v4Family', region, subscriptionId: SUB });
  }
  arm = await startArmFace(twin, { cert: cert.cert, key: cert.key, kubeServerFor: (id) => serverFor(id), kubeCaPem: face.caPem });
});

afterAll(async () => {
  armAgent.destroy();
  await Promise.all([arm.close(), face.close()]);
});

beforeEach(() => {
  serverFor = (id) => face.serverFor(id);
  onKubeRequest = undefined;
  armCredential = new StaticTokenCredential();
  credential = new ClockCredential(() => now);
});

afterEach(() => {
  face.faults.clear();
});

describe('nodes', () => {
  it('reads a node with its labels, readiness and providerID; notFound for one that does not exist', async () => {
    const kube = adapter();
    const [name] = gpuNodes();
    const node = await kube.getNode(ID, name!);
    expect(node).toMatchObject({ name, unschedulable: false, ready: true, labels: { agentpool: 'gpu', 'nvidia.com/gpu.present': 'true' } });
    expect(node !== 'notFound' && node.providerId).toMatch(/^azure:\/\/\/subscriptions\/.+\/virtualMachineScaleSets\/aks-gpu-\d{8}-vmss\/virtualMachines\/0$/);
    expect(await kube.getNode(ID, 'aks-gpu-00000000-vmss00zzzz')).toBe('notFound');
    expect(credential.issued).toHaveLength(1);
  });

  it('cordons and uncordons with a merge patch (idempotent); notFound for a node that is gone', async () => {
    const kube = adapter();
    const name = gpuNodes()[1]!;
    const mark = face.requests.length;
    expect(await kube.cordon(ID, name)).toBe('cordoned');
    expect(await kube.cordon(ID, name)).toBe('cordoned');
    expect(world.kube(ID).node(name)!.unschedulable).toBe(true);
    expect(await kube.getNode(ID, name)).toMatchObject({ unschedulable: true });
    expect(await kube.uncordon(ID, name)).toBe('uncordoned');
    expect(world.kube(ID).node(name)!.unschedulable).toBe(false);
    expect(await kube.cordon(ID, 'aks-gpu-00000000-vmss00zzzz')).toBe('notFound');
    expect(await kube.uncordon(ID, 'aks-gpu-00000000-vmss00zzzz')).toBe('notFound');
    const patches = requestsSince(mark).filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => [r.path, r.contentType, r.status])).toEqual([
      [`/api/v1/nodes/${name}`, 'application/merge-patch+json', 200],
      [`/api/v1/nodes/${name}`, 'application/merge-patch+json', 200],
      [`/api/v1/nodes/${name}`, 'application/merge-patch+json', 200],
      ['/api/v1/nodes/aks-gpu-00000000-vmss00zzzz', 'application/merge-patch+json', 404],
      ['/api/v1/nodes/aks-gpu-00000000-vmss00zzzz', 'application/merge-patch+json', 404],
    ]);
  });
});

describe('pods on a node', () => {
  it('lists the pods bound to a node by fieldSelector, narrowed by a label selector, with IPs and KubeRay labels', async () => {
    const kube = adapter();
    const name = gpuNodes()[0]!;
    const pods = await kube.podsOnNode(ID, name, 'ray.io/node-type=worker');
    expect(pods).toEqual([{
      name: expect.stringMatching(/^ray-gpu-worker-[a-z0-9]{5}$/), namespace: 'ray', nodeName: name, podIp: expect.stringMatching(/^10\.244\./), phase: 'Running',
      labels: expect.objectContaining({ 'ray.io/cluster': 'ray', 'ray.io/group': 'gpu', 'ray.io/node-type': 'worker' }), terminating: false,
    }]);
    expect(await kube.podsOnNode(ID, name, 'ray.io/node-type=head')).toEqual([]);
    expect(await kube.podsOnNode(ID, 'aks-gpu-00000000-vmss00zzzz')).toEqual([]);
    const last = face.requests.at(-3)!;
    expect(last.path).toBe('/api/v1/pods');
    expect(new URLSearchParams(last.query).get('fieldSelector')).toBe(`spec.nodeName=${name}`);
  });
});

describe('eviction and the disruption budget', () => {
  it('evicts, is blocked by the PodDisruptionBudget with its message, evicts once the first pod is gone, notFound after', async () => {
    const kube = adapter();
    const [a, b] = world.kube(ID_W).workerPods();
    expect(await kube.evict(ID_W, 'ray', a!.name)).toEqual({ outcome: 'evicted' });
    // ray-workers allows one disruption: with `a` terminating, `b` must wait.
    expect(await kube.evict(ID_W, 'ray', b!.name)).toEqual({ outcome: 'blocked', reason: PDB_REASON(1, 1) });
    world.tick();
    world.tick();
    expect(await kube.evict(ID_W, 'ray', b!.name)).toEqual({ outcome: 'evicted' });
    world.tick();
    world.tick();
    expect(await kube.evict(ID_W, 'ray', a!.name)).toEqual({ outcome: 'notFound' });
    expect(await kube.evict(ID_W, 'ray', 'ray-gpu-worker-zzzzz')).toEqual({ outcome: 'notFound' });
  });

  it('API throttling (429 with Retry-After) is blocked for an eviction and a retryable error elsewhere', async () => {
    const kube = adapter();
    const pod = world.kube(ID).workerPods()[2]!;
    face.faults.throttle(2, { retryAfterSeconds: 3, clusterId: ID });
    expect(await kube.evict(ID, 'ray', pod.name)).toEqual({ outcome: 'blocked', reason: 'Too many requests, please try again later.', retryAfterMs: 3000 });
    const error = await kube.getNode(ID, gpuNodes()[0]!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 3000, reason: 'TooManyRequests' });
    face.faults.serverError(1, { clusterId: ID });
    await expect(kube.getNode(ID, gpuNodes()[0]!)).rejects.toMatchObject({ status: 500, retryable: true });
    expect(await kube.getNode(ID, gpuNodes()[0]!)).toMatchObject({ ready: true });
  });
});

describe('KubeRay scale-in', () => {
  it('lowers replicas and names the pods in workersToDelete in one JSON patch; a repeat is nothing to do', async () => {
    const kube = adapter();
    const cluster = world.kube(ID);
    const before = cluster.replicas();
    const victim = cluster.workerPods()[0]!.name;
    const mark = face.requests.length;
    expect(await kube.scaleInRayWorkers(ID, 'ray', 'ray', 'gpu', [victim])).toEqual({ outcome: 'patched', replicas: before - 1 });
    expect(cluster.replicas()).toBe(before - 1);
    expect(cluster.workersToDelete()).toEqual([victim]);
    const patch = requestsSince(mark).find((r) => r.method === 'PATCH')!;
    expect(patch).toMatchObject({ path: '/apis/ray.io/v1/namespaces/ray/rayclusters/ray', contentType: 'application/json-patch+json', status: 200 });
    expect(await kube.scaleInRayWorkers(ID, 'ray', 'ray', 'gpu', [victim])).toEqual({ outcome: 'nothingToDo' });
    world.tick();
    // KubeRay deleted it and cleared the list: the pod is terminating, still nothing to do.
    expect(cluster.workersToDelete()).toEqual([]);
    expect(await kube.scaleInRayWorkers(ID, 'ray', 'ray', 'gpu', [victim])).toEqual({ outcome: 'nothingToDo' });
  });

  it('re-reads and patches again when the RayCluster changed between read and patch (the API server\'s 422)', async () => {
    const kube = adapter();
    const cluster = world.kube(ID_W);
    const before = cluster.replicas();
    const victim = cluster.workerPods().find((p) => !cluster.workersToDelete().includes(p.name))!.name;
    let raced = false;
    onKubeRequest = (info) => {
      if (raced || info.method !== 'GET' || info.path !== '/apis/ray.io/v1/namespaces/ray/rayclusters/ray') return;
      raced = true;
      // Someone else's change lands after our read: a label, which moves resourceVersion.
      expect(cluster.patchRayCluster('merge', { metadata: { labels: { team: 'ml' } } }, cluster.rayClusterStored())).not.toHaveProperty('refused');
    };
    const mark = face.requests.length;
    expect(await kube.scaleInRayWorkers(ID_W, 'ray', 'ray', 'gpu', [victim])).toEqual({ outcome: 'patched', replicas: before - 1 });
    expect(requestsSince(mark).filter((r) => r.path.includes('rayclusters')).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PATCH 422', 'GET 200', 'PATCH 200']);
    expect(cluster.workersToDelete()).toEqual([victim]);
    world.tick();
  });

  it('notFound for a RayCluster or a group that does not exist', async () => {
    const kube = adapter();
    const pod = world.kube(ID).workerPods()[1]!.name;
    expect(await kube.scaleInRayWorkers(ID, 'ray', 'rc-missing', 'gpu', [pod])).toEqual({ outcome: 'notFound' });
    expect(await kube.scaleInRayWorkers(ID, 'ray', 'ray', 'h100', [pod])).toEqual({ outcome: 'notFound' });
    expect(await kube.scaleInRayWorkers(ID, 'ml', 'ray', 'gpu', [pod])).toEqual({ outcome: 'notFound' });
  });
});

describe('authentication', () => {
  it('asks for the AKS server application token and sends it only to the API server, never to ARM', async () => {
    const kube = adapter();
    await kube.getNode(ID, gpuNodes()[0]!);
    expect(armCredential.scopesSeen.flat()).toEqual(expect.arrayContaining(['https://management.azure.com/.default']));
    expect(armCredential.scopesSeen.flat()).not.toContain(AKS_SERVER_SCOPE);
    expect(credential.issued).toHaveLength(1);
  });

  it('a token the API server no longer takes (expired early) is replaced once and the call retried', async () => {
    const kube = adapter();
    // The credential reports an hour, the token itself says two minutes: the server refuses it first.
    credential.jwtTtlSeconds = 120;
    await kube.getNode(ID, gpuNodes()[0]!);
    now += 3 * 60_000;
    const mark = face.requests.length;
    expect(await kube.cordon(ID, gpuNodes()[2]!)).toBe('cordoned');
    expect(requestsSince(mark).map((r) => r.status)).toEqual([401, 200]);
    expect(credential.issued).toHaveLength(2);
    expect(await kube.uncordon(ID, gpuNodes()[2]!)).toBe('uncordoned');
  });

  it('refreshes ahead of expiry without ever being refused', async () => {
    const kube = adapter();
    credential.jwtTtlSeconds = 600;
    credential.reportedTtlSeconds = 600;
    await kube.getNode(ID, gpuNodes()[0]!);
    now += 6 * 60_000;
    const mark = face.requests.length;
    await kube.getNode(ID, gpuNodes()[0]!);
    expect(requestsSince(mark).map((r) => r.status)).toEqual([200]);
    expect(credential.issued).toHaveLength(2);
  });

  it('a token for another audience is a clear, non-retryable error after one fresh try', async () => {
    const wrong = new StaticTokenCredential({ audience: 'https://management.azure.com' });
    const kube = adapter({ credential: wrong });
    const mark = face.requests.length;
    const error = await kube.getNode(ID, gpuNodes()[0]!).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KubernetesApiError', status: 401, retryable: false });
    expect((error as Error).message).toMatch(/^read node .+ on aks-eastus2-a: 401 Unauthorized with a fresh Entra token: .*6dae42f8-4368-4678-94ff-3960e28e3630/);
    // No token in the message: the JWT header of every fake token starts with eyJ.
    expect((error as Error).message).not.toContain('eyJ');
    expect(requestsSince(mark).map((r) => r.status)).toEqual([401, 401]);
    expect(wrong.scopesSeen).toEqual([[AKS_SERVER_SCOPE], [AKS_SERVER_SCOPE]]);
  });
});

describe('connection', () => {
  it('reads the server again from ARM when the old address no longer serves this cluster', async () => {
    // ARM first names an address that is not this cluster's (the face answers "404 page not found"), then the right one.
    let reads = 0;
    serverFor = (id) => (++reads === 1 ? `${face.url}/clusters/aks-recreated-${id.split('/').pop()}` : face.serverFor(id));
    const kube = adapter();
    expect(await kube.getNode(ID, gpuNodes()[0]!)).toMatchObject({ name: gpuNodes()[0] });
    expect(reads).toBe(2);
    // And it stays with the new address.
    expect(await kube.getNode(ID, gpuNodes()[1]!)).toMatchObject({ name: gpuNodes()[1] });
    expect(reads).toBe(2);
  });

  it('a cluster that does not answer times out as a retryable error; others still answer', async () => {
    const kube = adapter({ timeoutMs: 300 });
    await kube.getNode(ID, gpuNodes()[0]!);
    world.regionDown('eastus2');
    try {
      const started = Date.now();
      await expect(kube.getNode(ID, gpuNodes()[0]!)).rejects.toMatchObject({ status: 0, retryable: true, message: expect.stringContaining('no answer in time') });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await kube.podsOnNode(ID_W, world.kube(ID_W).gpuNodes()[0]!.name)).toHaveLength(1);
    } finally {
      world.regionUp('eastus2');
    }
  });

  it('a cluster ARM does not know is a non-retryable error naming it, not a Kubernetes notFound', async () => {
    const kube = adapter();
    const missing = ID.replace('aks-eastus2-a', 'aks-nowhere');
    await expect(kube.getNode(missing, 'x')).rejects.toMatchObject({ status: 404, origin: 'arm', retryable: false, message: expect.stringMatching(/^listClusterUserCredential of aks-nowhere: ResourceNotFound/) });
    await expect(kube.cordon(missing, 'x')).rejects.toMatchObject({ status: 404, origin: 'arm' });
  });
});
