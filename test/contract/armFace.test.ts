/**
 * The ARM face on the wire (raw HTTPS, no SDK): routes, headers, and Azure's bodies compared with the fixtures
 * in test/fixtures/control-plane. Plus the twin in process on a virtual clock (token bucket refill, operations
 * settling, events), which is how the world simulation drives it.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArmTwin, armErrorText, type AddPoolInput } from '../../local/twin/arm/armTwin.js';
import { startArmFace, type ArmFace } from '../../local/twin/arm/armFace.js';
import { ensureLocalCertificate, type LocalCertificate } from '../../local/tls.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const fixture = <T = Record<string, unknown>>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/control-plane/${name}`, import.meta.url), 'utf8')) as T;
type ErrorFixture = { status: number; headers?: Record<string, string>; body: { error: { code: string; message: string } } };

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'rg-fleet-eastus2';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-ray-eastus2`;
const POOL_PATH = `${CLUSTER}/agentPools/gpuh100`;
const API = 'api-version=2025-10-01';
const GET_FIXTURE = fixture<{ id: string; name: string; type: string; properties: Record<string, unknown> }>('aks-agentpool-get.gpu-h100.json');
const PUT_FIXTURE = fixture<{ response: { status: number; headers: Record<string, string>; body: { properties: Record<string, unknown> } } }>('aks-agentpool-put.initial-response.json');

/** The pool of the fixtures: gpuh100, manual here (the PUT fixture scales it 2 → 4). */
const GPUH100: AddPoolInput = {
  clusterId: CLUSTER, pool: 'gpuh100', vmSize: 'Standard_ND96isr_H100_v5', vcpusPerNode: 96, count: 2,
  family: 'standardNDSH100v5Family', region: 'eastus2', subscriptionId: SUB,
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

let cert: LocalCertificate;
let agent: Agent;

function call(face: ArmFace, method: string, path: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token !== null) headers['authorization'] = `Bearer ${options.token ?? 'x.y.'}`;
    const text = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (text) headers['content-type'] = 'application/json';
    const req = request(`${face.url}${path}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw ? JSON.parse(raw) : undefined });
      });
    });
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

beforeAll(async () => {
  cert = await ensureLocalCertificate(join(REPO, '.local', 'certs'));
  agent = new Agent({ ca: cert.cert });
});
afterAll(() => agent.destroy());

describe('ARM face on the wire', () => {
  let twin: ArmTwin;
  let face: ArmFace;

  beforeEach(async () => {
    twin = new ArmTwin({ provisioningMs: 60_000 }); // operations stay InProgress unless a test says otherwise
    twin.addPool({ ...GPUH100, autoscale: true, minCount: 0, maxCount: 8, pool: 'gpuauto' });
    twin.addPool(GPUH100);
    twin.setQuota(SUB, 'eastus2', 'standardNDSH100v5Family', 1000);
    face = await startArmFace(twin, { cert: cert.cert, key: cert.key, poolsPageSize: 1 });
  });
  afterEach(async () => {
    await face.close();
    twin.close();
  });

  it('answers 401 AuthenticationFailed without a bearer token, 400 without api-version', async () => {
    const anonymous = await call(face, 'GET', `${POOL_PATH}?${API}`, { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('AuthenticationFailed');
    const noVersion = await call(face, 'GET', POOL_PATH);
    expect(noVersion).toMatchObject({ status: 400, body: { error: { code: 'MissingApiVersionParameter' } } });
  });

  it('GETs a pool case-insensitively, shaped like ARM’s, with request-id and read ratelimit headers', async () => {
    const r = await call(face, 'GET', `${POOL_PATH.toLowerCase().replace('agentpools', 'AGENTPOOLS')}?${API}`);
    expect(r.status).toBe(200);
    expect(r.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(r.headers['x-ms-ratelimit-remaining-subscription-reads'])).toBeGreaterThan(0);
    expect(Object.keys(r.body)).toEqual(Object.keys(GET_FIXTURE));
    expect(r.body).toMatchObject({ id: GET_FIXTURE.id, name: 'gpuh100', type: GET_FIXTURE.type });
    for (const key of ['eTag', 'count', 'vmSize', 'type', 'enableAutoScaling', 'provisioningState', 'powerState', 'mode', 'osType', 'scaleSetPriority', 'nodeTaints', 'gpuProfile']) {
      expect(r.body.properties, key).toHaveProperty(key);
    }
    expect(Object.keys(r.body.properties)[0]).toBe('eTag');
    expect(r.body.properties).toMatchObject({ count: 2, enableAutoScaling: false, provisioningState: 'Succeeded', powerState: { code: 'Running' } });
    expect(r.body.properties).not.toHaveProperty('minCount');
  });

  it('lists a cluster’s pools with nextLink paging', async () => {
    const first = await call(face, 'GET', `${CLUSTER}/agentPools?${API}`);
    expect(first.body.value.map((p: { name: string }) => p.name)).toEqual(['gpuauto']);
    const next = new URL(first.body.nextLink as string);
    const second = await call(face, 'GET', next.pathname + next.search);
    expect(second.body.value.map((p: { name: string }) => p.name)).toEqual(['gpuh100']);
    expect(second.body.nextLink).toBeUndefined();
  });

  it('accepts a PUT like the fixture: 200, Scaling at the target count, Azure-AsyncOperation, a new eTag', async () => {
    const current = (await call(face, 'GET', `${POOL_PATH}?${API}`)).body;
    const r = await call(face, 'PUT', `${POOL_PATH}?${API}`, {
      body: { properties: { ...current.properties, count: 4 } },
      headers: { 'if-match': current.properties.eTag },
    });
    const expected = PUT_FIXTURE.response;
    expect(r.status).toBe(expected.status);
    expect(r.body.properties).toMatchObject({ count: 4, provisioningState: 'Scaling' });
    expect(r.body.properties.eTag).not.toBe(current.properties.eTag);
    const opUrl = new URL(r.headers['azure-asyncoperation'] as string);
    expect(opUrl.origin).toBe(face.url);
    expect(opUrl.pathname).toMatch(new RegExp(`^/subscriptions/${SUB}/providers/Microsoft\\.ContainerService/locations/eastus2/operations/[0-9a-f-]{36}$`));
    expect(opUrl.searchParams.get('api-version')).toBe('2025-10-01');
    expect(r.headers['retry-after']).toBe('0');
    for (const h of ['x-ms-ratelimit-remaining-subscription-writes', 'x-ms-request-id', 'x-ms-correlation-request-id']) {
      expect(r.headers, h).toHaveProperty(h);
    }

    const poll = await call(face, 'GET', opUrl.pathname + opUrl.search);
    expect(Object.keys(poll.body)).toEqual(Object.keys(fixture('aks-operation-status.inprogress.json')));
    expect(poll.body).toMatchObject({ status: 'InProgress' });
    expect(poll.body.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);

    // A second PUT while it runs: 409 with the fixture's text.
    const busy = await call(face, 'PUT', `${POOL_PATH}?${API}`, { body: { properties: { ...r.body.properties, count: 5 } } });
    expect(busy.status).toBe(409);
    expect(busy.body).toEqual(fixture<ErrorFixture>('arm-error.operation-not-allowed.409.json').body);
  });

  it('ends an operation Succeeded, or Failed like the zonal-allocation fixture with the pool back at its count', async () => {
    await face.close();
    twin.close();
    let now = 1_763_633_702_123;
    twin = new ArmTwin({ now: () => now, provisioningMs: 1000 });
    twin.addPool(GPUH100);
    face = await startArmFace(twin, { cert: cert.cert, key: cert.key });

    const put = async (count: number) => {
      const current = (await call(face, 'GET', `${POOL_PATH}?${API}`)).body;
      const r = await call(face, 'PUT', `${POOL_PATH}?${API}`, { body: { properties: { ...current.properties, count } } });
      const u = new URL(r.headers['azure-asyncoperation'] as string);
      return u.pathname + u.search;
    };
    const ok = await put(3);
    now += 1000;
    const succeeded = await call(face, 'GET', ok);
    expect(Object.keys(succeeded.body)).toEqual(Object.keys(fixture('aks-operation-status.succeeded.json')));
    expect(succeeded.body.status).toBe('Succeeded');

    twin.injectFault({ pool: 'gpuh100', kind: 'zonalAllocationFailed', times: 1 });
    const failing = await put(5);
    now += 1000;
    const failed = await call(face, 'GET', failing);
    const expected = fixture<{ error: unknown }>('aks-operation-status.failed-zonal-allocation.json');
    expect(Object.keys(failed.body)).toEqual(Object.keys(expected));
    expect(failed.body.error).toEqual(expected.error);
    const pool = (await call(face, 'GET', `${POOL_PATH}?${API}`)).body;
    expect(pool.properties).toMatchObject({ count: 3, provisioningState: 'Failed' });
    expect(pool.properties.status).toEqual(fixture<{ properties: { status: unknown } }>('aks-agentpool-get.failed.json').properties.status);
  });

  it('answers 412 and 429 with the fixtures’ bodies', async () => {
    const stale = await call(face, 'PUT', `${POOL_PATH}?${API}`, {
      body: { properties: { count: 2, vmSize: 'Standard_ND96isr_H100_v5' } },
      headers: { 'if-match': '4f1c2a9e-6b0d-4c3e-9a51-7d2e8f0b6c11' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual(fixture<ErrorFixture>('arm-error.precondition-failed.412.json').body);

    twin.injectFault({ pool: 'gpuh100', kind: 'throttled', retryAfterSeconds: 43, times: 1 });
    const throttled = await call(face, 'PUT', `${POOL_PATH}?${API}`, { body: { properties: { count: 2 } } });
    const expected = fixture<ErrorFixture>('arm-error.throttled.429.json');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe(expected.headers!['Retry-After']);
    expect(throttled.body).toEqual(expected.body);
  });

  it('answers QuotaExceeded with Azure’s text: the family fixture exactly, the regional one up to the portal link', async () => {
    await face.close();
    twin.close();
    twin = new ArmTwin({ provisioningMs: 10 });
    twin.addPool(GPUH100); // 2 × 96 = 192
    twin.setQuota(SUB, 'eastus2', 'standardNDSH100v5Family', 192);
    face = await startArmFace(twin, { cert: cert.cert, key: cert.key });
    const current = (await call(face, 'GET', `${POOL_PATH}?${API}`)).body;
    const family = await call(face, 'PUT', `${POOL_PATH}?${API}`, { body: { properties: { ...current.properties, count: 3 } } });
    expect(family.status).toBe(400);
    expect(family.body).toEqual(fixture<ErrorFixture>('arm-error.quota-exceeded.400.json').body);

    twin.setQuota(SUB, 'eastus2', 'standardNDSH100v5Family', 1000);
    twin.setQuota(SUB, 'eastus2', 'cores', 350, { baseline: 108 }); // 192 + 108 = 300 used
    const regional = await call(face, 'PUT', `${POOL_PATH}?${API}`, { body: { properties: { ...current.properties, count: 3 } } });
    const expected = fixture<ErrorFixture>('arm-error.quota-exceeded-regional.400.json').body;
    const link = /https:\/\/aka\.ms\/ProdportalCRP\/\S*/;
    expect(regional.status).toBe(400);
    expect(regional.body.error.code).toBe(expected.error.code);
    expect(regional.body.error.message.replace(link, 'LINK')).toBe(expected.error.message.replace(link, 'LINK'));
  });

  it('answers 404 with ARM’s bodies for unknown pools, clusters and routes', async () => {
    const pool = await call(face, 'GET', `${CLUSTER}/agentPools/nosuch?${API}`);
    expect(pool).toMatchObject({ status: 404, body: { error: { code: 'NotFound', message: armErrorText.poolNotFound('nosuch', 'aks-ray-eastus2') } } });
    const cluster = await call(face, 'GET', `${CLUSTER.replace('aks-ray-eastus2', 'aks-gone')}/agentPools/gpuh100?${API}`);
    expect(cluster).toMatchObject({ status: 404, body: { error: { code: 'ResourceNotFound', message: armErrorText.clusterNotFound('aks-gone', RG) } } });
    const route = await call(face, 'GET', `/subscriptions/${SUB}/providers/Microsoft.Nope/things?${API}`);
    expect(route.status).toBe(404);
    const op = await call(face, 'GET', `/subscriptions/${SUB}/providers/Microsoft.ContainerService/locations/eastus2/operations/nope?${API}`);
    expect(op.status).toBe(404);
  });

  it('leaves a request unanswered for a timeout fault, and close() still returns at once', async () => {
    twin.injectFault({ pool: 'gpuh100', kind: 'timeout', on: 'get', times: 1 });
    const hung = call(face, 'GET', `${POOL_PATH}?${API}`, { timeoutMs: 100 });
    await expect(hung).rejects.toThrow('client timeout');
    twin.injectFault({ pool: 'gpuh100', kind: 'timeout', on: 'get' });
    const pending = call(face, 'GET', `${POOL_PATH}?${API}`).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await face.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('ARM twin in process on a virtual clock', () => {
  let now = 0;
  let twin: ArmTwin;
  beforeEach(() => {
    now = 1_000_000;
    twin = new ArmTwin({ now: () => now, provisioningMs: 5000, putBucketCapacity: 2, putsPerPoolPerMinute: 1 });
    twin.addPool(GPUH100);
  });
  afterEach(() => twin.close());

  const put = (count: number) => {
    const pool = twin.pool(CLUSTER, 'gpuh100')!;
    return twin.putPool(CLUSTER, 'gpuh100', { properties: { ...pool.resource.properties, count } }, { ifMatch: pool.eTag });
  };

  it('takes effect only when the clock reaches provisioningMs, and emits poolScaled then', () => {
    const events: number[] = [];
    twin.on('poolScaled', (_c, _p, n) => events.push(n));
    const accepted = put(4) as { status: number; body: { properties: { eTag: string } } };
    expect(accepted.status).toBe(200);
    now += 4999;
    expect(twin.tick()).toBe(0);
    expect(twin.pool(CLUSTER, 'gpuh100')).toMatchObject({ count: 2, desiredCount: 4, provisioningState: 'Scaling' });
    expect(twin.usage(SUB, 'eastus2').find((u) => u.name === 'standardNDSH100v5Family')!.used).toBe(384); // held while scaling
    now += 1;
    expect(twin.tick()).toBe(1);
    expect(events).toEqual([4]);
    expect(twin.pool(CLUSTER, 'gpuh100')).toMatchObject({ count: 4, provisioningState: 'Succeeded' });
    expect(twin.pool(CLUSTER, 'gpuh100')!.eTag).not.toBe(accepted.body.properties.eTag); // the end of the operation is a write too
  });

  it('refills the PUT bucket at the configured rate', () => {
    expect(put(3)).toMatchObject({ status: 200 });
    now += 5000;
    expect(put(4)).toMatchObject({ status: 200 });
    now += 5000;
    const throttled = put(5);
    expect(throttled).toMatchObject({ status: 429, headers: { 'retry-after': '50' } }); // 10 s of the minute passed
    now += 50_000;
    expect(put(5)).toMatchObject({ status: 200 });
  });

  it('refuses an autoscaler-enabling PUT that also changes count, and a vmSize change', () => {
    const pool = twin.pool(CLUSTER, 'gpuh100')!;
    const both = twin.putPool(CLUSTER, 'gpuh100', { properties: { ...pool.resource.properties, enableAutoScaling: true, minCount: 0, maxCount: 8, count: 3 } });
    expect(both).toMatchObject({ status: 400, body: { error: { code: 'InvalidParameter' } } });
    const outOfRange = twin.putPool(CLUSTER, 'gpuh100', { properties: { ...pool.resource.properties, enableAutoScaling: true, minCount: 3, maxCount: 8, count: 2 } });
    expect(outOfRange).toMatchObject({ status: 400, body: { error: { code: 'InvalidParameter', message: expect.stringContaining('minCount:3') } } });
    now += 60_000; // rejected PUTs spend tokens too
    const resize = twin.putPool(CLUSTER, 'gpuh100', { properties: { ...pool.resource.properties, vmSize: 'Standard_NC80adis_H100_v5' } });
    expect(resize).toMatchObject({ status: 400, body: { error: { code: 'PropertyChangeNotAllowed' } } });
    expect(twin.pool(CLUSTER, 'gpuh100')).toMatchObject({ acceptedPuts: 0, puts: 3 });
  });
});
