/**
 * The twin's Kubernetes face on the wire (raw HTTPS trusting its CA, no Kubernetes client): nodes, cordon,
 * pods with selectors, the Eviction API against the PodDisruptionBudget, RayCluster patches, the service proxy
 * to Ray, tokens, faults and a region that is down. Expected bodies are the API server's (research fixtures
 * k8s-node-cordon.merge-patch.json, k8s-eviction.request.json, k8s-eviction.429-pdb.json and
 * raycluster.scale-in.json-patch.json, inlined below).
 */
import { Agent, request } from 'node:https';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeJwt } from '../../local/fakeCredential.js';
import { AKS_SERVER_APP_ID } from '../../local/twin/kubernetes/bearer.js';
import { startKubernetesFace, type KubernetesFace } from '../../local/twin/kubernetes/kubernetesFace.js';
import type { RaySubmitToBackend } from '../../local/twin/ray/rayBackend.js';
import { FleetWorld } from '../../local/twin/world.js';

const SUB = '00000000-0000-0000-0000-00000000f1ee';
const ID = `/subscriptions/${SUB}/resourceGroups/rg-fleet-eastus2/providers/Microsoft.ContainerService/managedClusters/aks-eastus2-a`;
const ID_W = `/subscriptions/${SUB}/resourceGroups/rg-fleet-westus3/providers/Microsoft.ContainerService/managedClusters/aks-westus3-a`;

/** fixtures/control-plane/k8s-eviction.429-pdb.json, with this cluster's budget name and counts. */
const EVICTION_429 = (needs: number, has: number) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: "Cannot evict pod as it would violate the pod's disruption budget.",
  reason: 'TooManyRequests',
  details: { causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ray-workers needs ${needs} healthy pods and has ${has} currently` }] },
  code: 429,
});
/** fixtures/control-plane/k8s-eviction.request.json's body, for one of our pods. */
const evictionBody = (pod: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'ray' }, deleteOptions: { gracePeriodSeconds: 120 } });
const PATCH_NOT_APPLIED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server rejected our request due to an error in our request', reason: 'Invalid', details: {}, code: 422 };
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

let now = Date.now();
let world: FleetWorld;
let face: KubernetesFace;
let agent: Agent;
let token: string;

function call(url: string, method = 'GET', options: { body?: unknown; contentType?: string; token?: string | null; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const bearer = options.token === undefined ? token : options.token;
    if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
    const text = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (text !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try { body = JSON.parse(raw); } catch { /* text */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: raw });
      });
    });
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

const api = (path: string): string => `${face.serverFor(ID)}${path}`;
const submit = (id: string, gpus: number): void => {
  const request: RaySubmitToBackend = { entrypoint: 'python train.py', submissionId: id, runtimeEnv: { env_vars: { TOTAL_STEPS: '1000' } }, metadata: {}, entrypointNumGpus: gpus };
  world.submit(world.clusters.get(ID)!, request);
};

beforeAll(async () => {
  world = new FleetWorld(
    [{ name: 'eastus2', displayName: 'East US 2' }, { name: 'westus3', displayName: 'West US 3' }],
    [{ id: ID, name: 'aks-eastus2-a', region: 'eastus2', gpus: 4 }, { id: ID_W, name: 'aks-westus3-a', region: 'westus3', gpus: 2 }],
    { write: async () => {} }, () => now,
  );
  face = await startKubernetesFace({ world, now: () => now });
  agent = new Agent({ ca: face.caPem, keepAlive: true });
});

afterAll(async () => {
  agent.destroy();
  await face.close();
});

beforeEach(() => {
  token = fakeJwt(AKS_SERVER_APP_ID, {}, now);
});

afterEach(() => {
  face.faults.clear();
});

describe('addressing', () => {
  it('serves each cluster under its own prefix on one loopback HTTPS server', async () => {
    expect(face.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(face.serverFor(ID)).toBe(`${face.url}/clusters/aks-eastus2-a`);
    expect(face.serverFor(ID.toLowerCase())).toBe(face.serverFor(ID));
    const east = await call(api('/api/v1/nodes'));
    const west = await call(`${face.serverFor(ID_W)}/api/v1/nodes`);
    expect(east.body.items).toHaveLength(5);
    expect(west.body.items).toHaveLength(3);
    const elsewhere = await call(`${face.url}/clusters/nope/api/v1/nodes`);
    expect(elsewhere).toMatchObject({ status: 404, text: '404 page not found\n' });
    expect((await call(api('/api/v1/secrets'))).body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 });
  });
});

describe('authentication', () => {
  it('answers 401 Unauthorized without a token, for another audience, and for an expired token', async () => {
    for (const bad of [null, 'not-a-jwt', fakeJwt('https://management.azure.com', {}, now), fakeJwt(AKS_SERVER_APP_ID, { ttlSeconds: 60 }, now - 3_600_000)]) {
      const r = await call(api('/api/v1/nodes'), 'GET', { token: bad });
      expect(r.status).toBe(401);
      expect(r.body).toEqual(UNAUTHORIZED);
    }
  });

  it('judges expiry by the face clock, and refuses tokens issued before a cut-off until a fresh one comes', async () => {
    const shortLived = fakeJwt(AKS_SERVER_APP_ID, { ttlSeconds: 120 }, now);
    expect((await call(api('/api/v1/nodes'), 'GET', { token: shortLived })).status).toBe(200);
    now += 121_000;
    expect((await call(api('/api/v1/nodes'), 'GET', { token: shortLived })).status).toBe(401);
    face.faults.rejectTokensIssuedBefore(now);
    expect((await call(api('/api/v1/nodes'), 'GET', { token: fakeJwt(AKS_SERVER_APP_ID, {}, now - 30_000) })).status).toBe(401);
    expect((await call(api('/api/v1/nodes'), 'GET', { token: fakeJwt(AKS_SERVER_APP_ID, {}, now + 61_000) })).status).toBe(200);
  });
});

describe('nodes', () => {
  it('lists and gets nodes with AKS labels, GPU capacity and the Ready condition; 404 for an unknown node', async () => {
    const list = await call(api('/api/v1/nodes?labelSelector=nvidia.com/gpu.present%3Dtrue'));
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: expect.any(String) } });
    expect(list.body.items).toHaveLength(4);
    const item = list.body.items[0];
    expect(item.kind).toBeUndefined();
    expect(item.metadata.labels).toMatchObject({ agentpool: 'gpu', 'kubernetes.azure.com/agentpool': 'gpu', 'node.kubernetes.io/instance-type': 'Standard_NC24ads_A100_v4', 'nvidia.com/gpu.present': 'true' });
    expect(item.status.capacity['nvidia.com/gpu']).toBe('1');
    expect(item.spec.providerID).toMatch(/^azure:\/\/\/subscriptions\//);
    expect(item.status.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    const one = await call(api(`/api/v1/nodes/${item.metadata.name}`));
    expect(one.body).toMatchObject({ kind: 'Node', apiVersion: 'v1', metadata: { name: item.metadata.name } });
    const missing = await call(api('/api/v1/nodes/aks-gpu-1-vmss00zzzz'));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'nodes "aks-gpu-1-vmss00zzzz" not found', reason: 'NotFound',
      details: { name: 'aks-gpu-1-vmss00zzzz', kind: 'nodes' }, code: 404,
    });
  });

  it('cordons with a merge patch and uncordons with a strategic merge patch; other patch types are 415', async () => {
    const name = world.kube(ID).gpuNodes()[0]!.name;
    const cordoned: string[] = [];
    const onCordon = (_c: string, node: string, unschedulable: boolean) => cordoned.push(`${node} ${unschedulable}`);
    world.on('nodeCordoned', onCordon);
    const before = (await call(api(`/api/v1/nodes/${name}`))).body.metadata.resourceVersion;
    // fixtures/control-plane/k8s-node-cordon.merge-patch.json
    const cordon = await call(api(`/api/v1/nodes/${name}`), 'PATCH', { body: { spec: { unschedulable: true } }, contentType: 'application/merge-patch+json' });
    expect(cordon.status).toBe(200);
    expect(cordon.body.spec.unschedulable).toBe(true);
    expect(cordon.body.spec.taints).toContainEqual(expect.objectContaining({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }));
    expect(cordon.body.metadata.resourceVersion).not.toBe(before);
    expect(world.kube(ID).node(name)!.unschedulable).toBe(true);
    const filtered = await call(api('/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue'));
    expect(filtered.body.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual([name]);
    const uncordon = await call(api(`/api/v1/nodes/${name}`), 'PATCH', { body: { spec: { unschedulable: false } }, contentType: 'application/strategic-merge-patch+json' });
    expect(uncordon.status).toBe(200);
    expect(uncordon.body.spec.unschedulable).toBeUndefined();
    expect(cordoned).toEqual([`${name} true`, `${name} false`]);
    world.off('nodeCordoned', onCordon);
    const apply = await call(api(`/api/v1/nodes/${name}`), 'PATCH', { body: 'spec: {}', contentType: 'application/apply-patch+yaml' });
    expect(apply.status).toBe(415);
    expect(apply.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'UnsupportedMediaType', code: 415,
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json',
    });
    const stale = await call(api(`/api/v1/nodes/${name}`), 'PATCH', { body: { metadata: { resourceVersion: before }, spec: { unschedulable: true } }, contentType: 'application/merge-patch+json' });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    const missing = await call(api('/api/v1/nodes/nope'), 'PATCH', { body: { spec: { unschedulable: true } }, contentType: 'application/merge-patch+json' });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('nodes "nope" not found');
  });
});

describe('pods', () => {
  it('lists pods on a node with fieldSelector spec.nodeName and label selectors, and gets one', async () => {
    const node = world.kube(ID).gpuNodes()[1]!.name;
    const onNode = await call(api(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}&labelSelector=${encodeURIComponent('ray.io/cluster=ray,ray.io/node-type!=head')}`));
    expect(onNode.status).toBe(200);
    expect(onNode.body.kind).toBe('PodList');
    expect(onNode.body.items).toHaveLength(1);
    const pod = onNode.body.items[0];
    expect(pod.metadata).toMatchObject({ namespace: 'ray', labels: { 'ray.io/cluster': 'ray', 'ray.io/node-type': 'worker', 'ray.io/group': 'gpu' } });
    expect(pod.metadata.name).toMatch(/^ray-gpu-worker-[a-z0-9]{5}$/);
    expect(pod.spec.nodeName).toBe(node);
    expect(pod.status).toMatchObject({ phase: 'Running', podIP: expect.stringMatching(/^10\.244\.\d+\.\d+$/) });
    const heads = await call(api('/api/v1/namespaces/ray/pods?labelSelector=ray.io%2Fnode-type%3Dhead'));
    expect(heads.body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([expect.stringMatching(/^ray-head-/)]);
    expect((await call(api('/api/v1/namespaces/default/pods'))).body.items).toEqual([]);
    expect((await call(api(`/api/v1/namespaces/ray/pods/${pod.metadata.name}`))).body.metadata.uid).toBe(pod.metadata.uid);
    expect((await call(api(`/api/v1/namespaces/default/pods/${pod.metadata.name}`))).status).toBe(404);
    const bad = await call(api('/api/v1/pods?fieldSelector=spec.flavour%3Dsweet'));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'field label not supported: spec.flavour' });
  });
});

describe('eviction and the disruption budget', () => {
  it('evicts (201 Success), refuses a second eviction with the PDB 429, and allows it once the first pod was replaced', async () => {
    const local = new FleetWorld([{ name: 'eastus2', displayName: 'East US 2' }], [{ id: ID, name: 'aks-eastus2-a', region: 'eastus2', gpus: 3 }], { write: async () => {} }, () => now);
    const own = await startKubernetesFace({ world: local, now: () => now });
    try {
      const [a, b] = local.kube(ID).workerPods();
      const evictUrl = (pod: string) => `${own.serverFor(ID)}/api/v1/namespaces/ray/pods/${pod}/eviction`;
      const first = await call(evictUrl(a!.name), 'POST', { body: evictionBody(a!.name) });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      const terminating = await call(`${own.serverFor(ID)}/api/v1/namespaces/ray/pods/${a!.name}`);
      expect(terminating.body.metadata.deletionTimestamp).toEqual(expect.any(String));
      const pdb = await call(`${own.serverFor(ID)}/apis/policy/v1/namespaces/ray/poddisruptionbudgets/ray-workers`);
      expect(pdb.body).toMatchObject({
        kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', spec: { maxUnavailable: 1 },
        status: { currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 3 },
      });
      const second = await call(evictUrl(b!.name), 'POST', { body: evictionBody(b!.name) });
      expect(second.status).toBe(429);
      expect(second.body).toEqual(EVICTION_429(2, 2));
      expect(second.headers['retry-after']).toBeUndefined();
      local.tick();
      const third = await call(evictUrl(b!.name), 'POST', { body: evictionBody(b!.name) });
      expect(third.status).toBe(201);
      const gone = await call(evictUrl(a!.name), 'POST', { body: evictionBody(a!.name) });
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ reason: 'NotFound', message: `pods "${a!.name}" not found`, code: 404 });
      const list = await call(`${own.serverFor(ID)}/apis/policy/v1/namespaces/ray/poddisruptionbudgets`);
      expect(list.body).toMatchObject({ kind: 'PodDisruptionBudgetList', items: [{ metadata: { name: 'ray-workers' } }] });
    } finally {
      await own.close();
    }
  });
});

describe('RayCluster', () => {
  it('reads the RayCluster and scales it in with the JSON patch of the fixture; a stale test answers the API server 422', async () => {
    const url = api('/apis/ray.io/v1/namespaces/ray/rayclusters/ray');
    const rc = await call(url);
    expect(rc.body).toMatchObject({
      apiVersion: 'ray.io/v1', kind: 'RayCluster', metadata: { name: 'ray', namespace: 'ray' },
      spec: { enableInTreeAutoscaling: false, workerGroupSpecs: [{ groupName: 'gpu', replicas: 4, scaleStrategy: { workersToDelete: [] } }] },
      status: { desiredWorkerReplicas: 4, head: { serviceName: 'ray-head-svc' } },
    });
    const victim = world.kube(ID).workerPods()[3]!.name;
    // fixtures/control-plane/raycluster.scale-in.json-patch.json
    const ops = [
      { op: 'test', path: '/metadata/resourceVersion', value: rc.body.metadata.resourceVersion },
      { op: 'replace', path: '/spec/workerGroupSpecs/0/replicas', value: 3 },
      { op: 'replace', path: '/spec/workerGroupSpecs/0/scaleStrategy', value: { workersToDelete: [victim] } },
    ];
    const patched = await call(url, 'PATCH', { body: ops, contentType: 'application/json-patch+json' });
    expect(patched.status).toBe(200);
    expect(patched.body.spec.workerGroupSpecs[0]).toMatchObject({ replicas: 3, scaleStrategy: { workersToDelete: [victim] } });
    expect(patched.body.metadata.resourceVersion).not.toBe(rc.body.metadata.resourceVersion);
    const again = await call(url, 'PATCH', { body: ops, contentType: 'application/json-patch+json' });
    expect(again.status).toBe(422);
    expect(again.body).toEqual(PATCH_NOT_APPLIED);
    const noPath = await call(url, 'PATCH', { body: [{ op: 'remove', path: '/spec/nothing' }], contentType: 'application/json-patch+json' });
    expect(noPath.body).toEqual(PATCH_NOT_APPLIED);
    world.tick();
    const after = await call(url);
    expect(after.body.spec.workerGroupSpecs[0].scaleStrategy.workersToDelete).toEqual([]);
    expect(after.body.metadata.resourceVersion).not.toBe(patched.body.metadata.resourceVersion);
    expect((await call(api(`/api/v1/namespaces/ray/pods/${victim}`))).body.metadata.deletionTimestamp).toEqual(expect.any(String));
    const merge = await call(url, 'PATCH', { body: { spec: { workerGroupSpecs: [{ ...after.body.spec.workerGroupSpecs[0], replicas: 3 }] }, metadata: { labels: { team: 'ml' } } }, contentType: 'application/merge-patch+json' });
    expect(merge.status).toBe(200);
    expect(merge.body.metadata.labels).toEqual({ 'fleet.example/cluster': 'aks-eastus2-a', team: 'ml' });
    const list = await call(api('/apis/ray.io/v1/namespaces/ray/rayclusters?labelSelector=team%3Dml'));
    expect(list.body).toMatchObject({ apiVersion: 'ray.io/v1', kind: 'RayClusterList', items: [{ kind: 'RayCluster', metadata: { name: 'ray' } }] });
    const strategic = await call(url, 'PATCH', { body: { spec: {} }, contentType: 'application/strategic-merge-patch+json' });
    expect(strategic.status).toBe(415);
    expect(strategic.body.message).toBe('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    const wrongType = await call(url, 'PATCH', { body: [{ op: 'replace', path: '/spec/workerGroupSpecs/0/replicas', value: 'two' }], contentType: 'application/json-patch+json' });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body).toMatchObject({ reason: 'Invalid', details: { name: 'ray', group: 'ray.io', kind: 'RayCluster', causes: [{ field: 'spec.workerGroupSpecs[0].replicas' }] } });
    expect((await call(api('/apis/ray.io/v1/namespaces/ray/rayclusters/other'))).body.message).toBe('rayclusters.ray.io "other" not found');
  });
});

describe('service proxy to Ray', () => {
  const proxy = (svc: string, rest: string) => api(`/api/v1/namespaces/ray/services/${svc}/proxy${rest}`);

  it('submits and reads a Ray job through the API server proxy', async () => {
    const submitted = await call(proxy('ray-head-svc:8265', '/api/jobs/'), 'POST', { body: { entrypoint: 'python train.py', submission_id: 'proxied-1', entrypoint_num_gpus: 1 } });
    expect(submitted.status).toBe(200);
    expect(submitted.headers['content-type']).toMatch(/^application\/json/);
    expect(submitted.body).toEqual({ job_id: 'proxied-1', submission_id: 'proxied-1' });
    expect(world.job(ID, 'proxied-1')?.status).toBe('PENDING');
    world.tick();
    const got = await call(proxy('ray-head-svc', '/api/jobs/proxied-1'));
    expect(got.body).toMatchObject({ submission_id: 'proxied-1', status: 'RUNNING', job_id: world.job(ID, 'proxied-1')!.rayJobId });
    const duplicate = await call(proxy('http:ray-head-svc:dashboard', '/api/jobs/'), 'POST', { body: { entrypoint: 'x', submission_id: 'proxied-1' } });
    expect(duplicate.status).toBe(400);
    expect(duplicate.headers['content-type']).toMatch(/^text\/plain/);
    expect(duplicate.text).toContain('already exists');
    world.stopJob(ID, 'proxied-1');
  });

  it('reaches the Ray State API with its filters through the proxy', async () => {
    submit('state-1', 2);
    world.tick();
    const job = world.job(ID, 'state-1')!;
    const ip = world.kube(ID).pods.get(job.placement[0]!.pod)!.ip;
    const nodes = await call(proxy('ray-head-svc:8265', `/api/v0/nodes?limit=10000&filter_keys=node_ip&filter_predicates=%3D&filter_values=${ip}`));
    expect(nodes.body).toMatchObject({ result: true, msg: '', data: { result: { num_filtered: 1, result: [{ node_ip: ip, state: 'ALIVE', is_head_node: false }] } } });
    const nodeId = nodes.body.data.result.result[0].node_id;
    const actors = await call(proxy('ray-head-svc:8265', `/api/v0/actors?filter_keys=node_id&filter_predicates=%3D&filter_values=${nodeId}&filter_keys=state&filter_predicates=%3D&filter_values=alive`));
    expect(actors.body.data.result.result).toEqual([expect.objectContaining({ job_id: job.rayJobId, node_id: nodeId, state: 'ALIVE' })]);
    world.stopJob(ID, 'state-1');
  });

  it('answers 404 for another service, 503 for a port it does not have and when the Ray head refuses connections', async () => {
    const other = await call(proxy('grafana:80', '/'));
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'services "grafana" not found', reason: 'NotFound', details: { name: 'grafana', kind: 'services' }, code: 404 });
    const port = await call(proxy('ray-head-svc:6379', '/'));
    expect(port).toMatchObject({ status: 503, body: { reason: 'ServiceUnavailable', code: 503 } });
    face.faults.rayUnreachable(ID, true);
    const down = await call(proxy('ray-head-svc:8265', '/api/version'));
    expect(down.status).toBe(503);
    expect(down.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'ServiceUnavailable', code: 503,
      message: `error trying to reach service: dial tcp ${world.kube(ID).headPod()!.ip}:8265: connect: connection refused`,
    });
    face.faults.rayUnreachable(ID, false);
    expect((await call(proxy('ray-head-svc:8265', '/api/version'))).body).toMatchObject({ ray_version: expect.any(String) });
  });
});

describe('faults and outages', () => {
  it('throttles the next requests with 429 and Retry-After, fails some with 500, then answers again', async () => {
    face.faults.throttle(2, { retryAfterSeconds: 3 });
    face.faults.serverError(1, { clusterId: ID });
    const first = await call(api('/api/v1/nodes'));
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('3');
    expect(first.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Too many requests, please try again later.', reason: 'TooManyRequests', details: { retryAfterSeconds: 3 }, code: 429 });
    expect((await call(api('/api/v1/nodes'))).status).toBe(429);
    const error = await call(api('/api/v1/nodes'));
    expect(error.status).toBe(500);
    expect(error.body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    expect((await call(api('/api/v1/nodes'))).status).toBe(200);
    expect(face.requests.slice(-4).map((r) => r.status)).toEqual([429, 429, 500, 200]);
  });

  it('does not answer for a cluster whose region is down, while other clusters do', async () => {
    world.regionDown('eastus2');
    try {
      await expect(call(api('/api/v1/nodes'), 'GET', { timeoutMs: 300 })).rejects.toThrow('client timeout');
      expect((await call(`${face.serverFor(ID_W)}/api/v1/nodes`)).status).toBe(200);
    } finally {
      world.regionUp('eastus2');
    }
    expect((await call(api('/api/v1/nodes'))).status).toBe(200);
  });
});
