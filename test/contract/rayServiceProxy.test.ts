/**
 * Contract: `HttpRayJobs` with `ServiceProxyRouter` reaching Ray through the twin's Kubernetes face — the AKS API
 * server's service proxy `/api/v1/namespaces/ray/services/ray-head-svc:8265/proxy` — with the server and CA from the
 * twin's ARM face (the real `@azure/arm-containerservice` SDK) and an Entra-style token for the AKS server
 * application. The endpoint is what the fleet file makes of a cluster without `ray.endpoint`. Ray answers are the
 * twin's Ray face (Jobs API and State API) over the world's jobs, nodes and actors.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { audienceForScope, fakeJwt, StaticTokenCredential } from '../../local/fakeCredential.js';
import { ensureLocalCertificate } from '../../local/tls.js';
import { startArmFace, type ArmFace } from '../../local/twin/arm/armFace.js';
import { ArmTwin } from '../../local/twin/arm/armTwin.js';
import { startKubernetesFace, type KubernetesFace } from '../../local/twin/kubernetes/kubernetesFace.js';
import { startRayJobsFace, type RayJobsFace } from '../../local/twin/ray/rayJobsFace.js';
import { FleetWorld } from '../../local/twin/world.js';
import { ArmAksEndpoints, type AksEndpointSource } from '../../shared/adapters/kubernetes/aksCredentials.js';
import { AKS_SERVER_SCOPE, AksConnections } from '../../shared/adapters/kubernetes/aksConnections.js';
import { HttpRayJobs, RayApiError } from '../../shared/adapters/ray/httpRayJobs.js';
import { ServiceProxyRouter } from '../../shared/adapters/ray/serviceProxyRouter.js';
import { parseFleetFile } from '../../shared/fleet/fleetFile.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SUB = '00000000-0000-0000-0000-00000000f1ee';
const clusterId = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const ID = clusterId('rg-fleet-eastus2', 'aks-eastus2-a');
const ID_W = clusterId('rg-fleet-westus3', 'aks-westus3-a');

/** Tokens on the test's clock; `jwtTtlSeconds` is the token's own `exp`, the credential reports an hour. */
class ClockCredential implements TokenCredential {
  readonly issued: string[] = [];
  jwtTtlSeconds = 3600;
  constructor(private readonly now: () => number) {}
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes[0]! : scopes;
    const t = this.now();
    const token = fakeJwt(audienceForScope(scope), { ttlSeconds: this.jwtTtlSeconds }, t);
    this.issued.push(token);
    return { token, expiresOnTimestamp: t + 3_600_000, tokenType: 'Bearer' };
  }
}

type Reply = (path: string) => { status: number; headers?: Record<string, string>; body: string };

/** A loopback server (HTTP, or HTTPS with the local certificate) that records what reaches it and answers from `reply`. */
async function recorder(reply: Reply, tls?: { cert: string; key: string }) {
  const seen: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ path: req.url ?? '/', headers: req.headers });
    req.resume();
    const r = reply(req.url ?? '/');
    res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
    res.end(r.body);
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let now = Date.now();
let world: FleetWorld;
let face: KubernetesFace;
let arm: ArmFace;
let armAgent: Agent;
let elsewhere: Awaited<ReturnType<typeof recorder>>;
/** An "API server" (HTTPS, trusted through the local CA) that redirects every request to `elsewhere`. */
let redirecting: Awaited<ReturnType<typeof recorder>>;
let localCa: string;
let directRay: RayJobsFace;
const directHeaders: IncomingHttpHeaders[] = [];
let credential: ClockCredential;
let router: ServiceProxyRouter;
/** Every router a test made (each holds undici Agents): closed after each test. */
const routers: ServiceProxyRouter[] = [];
let ray: HttpRayJobs;
/** Ray endpoints as the fleet file makes them: service proxy for the AKS clusters, a URL for `direct`. */
let endpoint: Record<'east' | 'west' | 'direct' | 'missingService', string>;

function connect(endpoints?: AksEndpointSource): HttpRayJobs {
  const connections = new AksConnections({
    credential, now: () => now, rereadAfterMs: 0,
    endpoints: endpoints ?? new ArmAksEndpoints({ credential: new StaticTokenCredential(), endpoint: arm.url, agent: armAgent }),
  });
  router = new ServiceProxyRouter(connections);
  routers.push(router);
  return new HttpRayJobs({ router, timeoutMs: 2000, breakerMs: 0 });
}

beforeAll(async () => {
  const cert = await ensureLocalCertificate(join(REPO, '.local', 'certs'));
  localCa = cert.cert;
  armAgent = new Agent({ ca: cert.cert, keepAlive: true });
  world = new FleetWorld(
    [{ name: 'eastus2', displayName: 'East US 2' }, { name: 'westus3', displayName: 'West US 3' }],
    [
      { id: ID, name: 'aks-eastus2-a', region: 'eastus2', gpus: 4 },
      { id: ID_W, name: 'aks-westus3-a', region: 'westus3', gpus: 2 },
    ],
    { write: async () => {} }, () => now,
  );
  elsewhere = await recorder(() => ({ status: 200, body: '[]' }));
  redirecting = await recorder((path) => ({ status: 307, headers: { location: `${elsewhere.url}${path}` }, body: '' }), { cert: cert.cert, key: cert.key });
  directRay = await startRayJobsFace(world.backend(ID_W), { onRequest: (info) => directHeaders.push(info.headers) });
  face = await startKubernetesFace({ world, now: () => now, tls: { cert: cert.cert, key: cert.key } });
  const twin = new ArmTwin({ now: () => Date.now(), timers: false });
  for (const [id, region] of [[ID, 'eastus2'], [ID_W, 'westus3']] as const) {
    twin.addPool({ clusterId: id, pool: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', vcpusPerNode: 24, gpusPerNode: 1, count: 2, family: 'standardNCADSA100v4Family', region, subscriptionId: SUB });
  }
  arm = await startArmFace(twin, { cert: cert.cert, key: cert.key, kubeServerFor: (id) => face.serverFor(id), kubeCaPem: face.caPem });

  const fleet = parseFleetFile([
    'regions:',
    '  eastus2:', '    clusters:', `      - { id: ${ID}, gpus: 4 }`,
    '  westus3:', '    clusters:',
    `      - { id: ${ID_W}, gpus: 2, ray: { namespace: ray, cluster: ray } }`,
    `      - { id: ${clusterId('rg-fleet-westus3', 'aks-westus3-d')}, gpus: 2, ray: { endpoint: "${directRay.url}" } }`,
    `      - { id: ${clusterId('rg-fleet-westus3', 'aks-westus3-m')}, gpus: 2, ray: { cluster: rc-missing } }`,
  ].join('\n'));
  const [east, west, direct, missing] = fleet.clusters.map((c) => c.rayEndpoint);
  endpoint = { east: east!, west: west!, direct: direct!, missingService: missing!.replace('aks-westus3-m', 'aks-westus3-a') };
});

afterAll(async () => {
  armAgent.destroy();
  await Promise.all([arm.close(), face.close(), directRay.close(), elsewhere.close(), redirecting.close()]);
});

beforeEach(() => {
  credential = new ClockCredential(() => now);
  ray = connect();
});

afterEach(async () => {
  face.faults.clear();
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

const proxied = (cluster: string) => face.requests.filter((r) => r.clusterId === cluster && r.path.startsWith('/api/v1/namespaces/ray/services/ray-head-svc:8265/proxy/'));

describe('Ray Jobs API through the service proxy', () => {
  it('the fleet file names the head Service of the RayCluster behind the API server', () => {
    expect(endpoint.east).toBe(`aks-service-proxy:${ID}/namespaces/ray/services/ray-head-svc:8265`);
    expect(endpoint.direct).toBe(directRay.url);
  });

  it('submits, reads, lists and stops a job', async () => {
    const submission = { entrypoint: 'python train.py', submissionId: 'proxy-job-1', entrypointNumGpus: 1, runtimeEnv: { env_vars: { TOTAL_STEPS: '1000' } }, metadata: { autopilotJobId: 'proxy-job' } };
    expect(await ray.submit(endpoint.east, submission)).toBe('submitted');
    expect(await ray.submit(endpoint.east, submission)).toBe('duplicate');
    world.tick();
    expect(await ray.get(endpoint.east, 'proxy-job-1')).toMatchObject({ submissionId: 'proxy-job-1', status: 'RUNNING', metadata: { autopilotJobId: 'proxy-job' } });
    expect(await ray.list(endpoint.east)).toEqual(expect.arrayContaining([expect.objectContaining({ submissionId: 'proxy-job-1', status: 'RUNNING' })]));
    expect(await ray.get(endpoint.east, 'never-submitted')).toBe('notFound');
    expect(await ray.stop(endpoint.east, 'proxy-job-1')).toBe('stopped');
    world.tick();
    expect(await ray.get(endpoint.east, 'proxy-job-1')).toMatchObject({ status: 'STOPPED' });
    expect(await ray.stop(endpoint.east, 'never-submitted')).toBe('notFound');
    expect(proxied(ID).map((r) => `${r.method} ${r.path.replace('/api/v1/namespaces/ray/services/ray-head-svc:8265/proxy', '')}`)).toEqual(expect.arrayContaining([
      'POST /api/jobs/', 'GET /api/jobs/proxy-job-1', 'POST /api/jobs/proxy-job-1/stop',
    ]));
    expect(credential.issued).toHaveLength(1);
  });

  it('finds the jobs with actors on given Ray node IPs (State API), and none on an idle node', async () => {
    expect(await ray.submit(endpoint.west, { entrypoint: 'python train.py', submissionId: 'spread-1', entrypointNumGpus: 2, runtimeEnv: { env_vars: { TOTAL_STEPS: '1000' } } })).toBe('submitted');
    world.tick();
    const job = world.job(ID_W, 'spread-1')!;
    expect(job.placement).toHaveLength(2);
    const kube = world.kube(ID_W);
    const ips = job.placement.map((p) => kube.pods.get(p.pod)!.ip);
    expect(await ray.jobsOnNodes(endpoint.west, [ips[0]!])).toEqual(['spread-1']);
    expect(await ray.jobsOnNodes(endpoint.west, ips)).toEqual(['spread-1']);
    expect(await ray.jobsOnNodes(endpoint.west, ['10.244.250.250'])).toEqual([]);
    world.stopJob(ID_W, 'spread-1');
    world.tick();
    expect(await ray.jobsOnNodes(endpoint.west, ips)).toEqual([]);
  });
});

describe('when Ray cannot be reached', () => {
  it('is unreachable when the head refuses connections (503), the Service does not exist (the API server\'s 404) or the region is down', async () => {
    face.faults.rayUnreachable(ID, true);
    expect(await ray.get(endpoint.east, 'proxy-job-1')).toBe('unreachable');
    expect(await ray.jobsOnNodes(endpoint.east, ['10.244.0.9'])).toBe('unreachable');
    await expect(ray.submit(endpoint.east, { entrypoint: 'x', submissionId: 'down-1' })).rejects.toMatchObject({ retryable: true, status: 503 });
    face.faults.rayUnreachable(ID, false);

    expect(endpoint.missingService).toContain('/services/rc-missing-head-svc:8265');
    expect(await ray.get(endpoint.missingService, 'proxy-job-1')).toBe('unreachable');
    expect(await ray.list(endpoint.missingService)).toBe('unreachable');

    world.regionDown('eastus2');
    try {
      const started = Date.now();
      expect(await ray.list(endpoint.east)).toBe('unreachable');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      world.regionUp('eastus2');
    }
  });

  it('is unreachable when the API server\'s certificate is not signed by the CA ARM gave, and reads ARM again next time', async () => {
    const other = await generate([{ name: 'commonName', value: 'some-other-cluster-ca' }], { keyType: 'rsa', keySize: 2048, algorithm: 'sha256' });
    const arm1 = new ArmAksEndpoints({ credential: new StaticTokenCredential(), endpoint: arm.url, agent: armAgent });
    let reads = 0;
    // First read: the right server with a CA that does not sign it (the cluster's CA was rotated since).
    ray = connect({ read: async (id) => (++reads === 1 ? { ...(await arm1.read(id)), caPem: other.cert } : arm1.read(id)) });
    expect(await ray.list(endpoint.east)).toBe('unreachable');
    expect(await ray.list(endpoint.east)).toEqual(expect.any(Array));
    expect(reads).toBe(2);
  });
});

describe('tokens', () => {
  it('a token the API server refuses is replaced once and the request repeated', async () => {
    credential.jwtTtlSeconds = 120;
    expect(await ray.list(endpoint.east)).toEqual(expect.any(Array));
    now += 3 * 60_000;
    const mark = face.requests.length;
    expect(await ray.list(endpoint.east)).toEqual(expect.any(Array));
    expect(face.requests.slice(mark).map((r) => r.status)).toEqual([401, 200]);
    expect(credential.issued).toHaveLength(2);
  });

  it('a token for another audience is refused twice and is an error, not unreachable', async () => {
    const wrong = new StaticTokenCredential({ audience: 'https://management.azure.com' });
    const connections = new AksConnections({ credential: wrong, endpoints: new ArmAksEndpoints({ credential: new StaticTokenCredential(), endpoint: arm.url, agent: armAgent }) });
    const proxyRouter = new ServiceProxyRouter(connections);
    try {
      const error = await new HttpRayJobs({ router: proxyRouter }).get(endpoint.east, 'proxy-job-1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RayApiError);
      expect(error).toMatchObject({ status: 401, retryable: false });
      expect(wrong.scopesSeen).toEqual([[AKS_SERVER_SCOPE], [AKS_SERVER_SCOPE]]);
    } finally {
      await proxyRouter.close();
    }
  });

  it('never sends the token to a Ray endpoint reached directly', async () => {
    expect(await ray.list(endpoint.east)).toEqual(expect.any(Array));
    const before = directHeaders.length;
    expect(await ray.list(endpoint.direct)).toEqual(expect.any(Array));
    expect(directHeaders.length).toBe(before + 1);
    expect(directHeaders.every((h) => h.authorization === undefined)).toBe(true);
  });

  it('does not follow an API server that redirects elsewhere, and its fetch refuses any URL outside the proxy path', async () => {
    // ARM names an API server (trusted through its CA) that answers every request with a redirect to another host.
    ray = connect({ read: async () => ({ server: redirecting.url, caPem: localCa }) });
    const error = await ray.get(endpoint.east, 'proxy-job-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RayApiError);
    expect((error as RayApiError).message).toMatch(/HTTP 307 from https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/ray\/services\/ray-head-svc:8265\/proxy\/api\/jobs\/proxy-job-1 \(redirects are not followed\)/);
    expect(redirecting.seen.map((r) => r.headers.authorization)).toEqual([expect.stringMatching(/^Bearer /)]);
    expect(elsewhere.seen).toEqual([]);

    const route = await router.route(endpoint.east);
    const init = { method: 'GET', headers: route.headers as Record<string, string>, redirect: 'manual' as const, signal: AbortSignal.timeout(1000) };
    await expect(route.fetch!(`${elsewhere.url}/api/jobs/`, init)).rejects.toThrow(/refusing to send the cluster token outside https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/ray\/services\/ray-head-svc:8265\/proxy$/);
    await expect(route.fetch!(`${redirecting.url}/api/v1/secrets`, init)).rejects.toThrow(/refusing/);
    expect(elsewhere.seen).toEqual([]);
  });
});
