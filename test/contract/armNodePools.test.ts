/**
 * Contract: `ArmNodePools` through the real `@azure/arm-containerservice` client against the ARM face of the twin
 * over HTTPS (self-signed certificate trusted through an https.Agent, a static bearer token, LRO polling at 0 ms).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArmTwin, type AddPoolInput, type ArmFaultKind } from '../../local/twin/arm/armTwin.js';
import { startArmFace, type ArmFace } from '../../local/twin/arm/armFace.js';
import { StaticTokenCredential } from '../../local/fakeCredential.js';
import { ensureLocalCertificate, type LocalCertificate } from '../../local/tls.js';
import { ArmNodePools } from '../../shared/adapters/arm/armNodePools.js';
import type { PoolResult, PoolState } from '../../shared/ports/nodePools.js';

const ZONAL = JSON.parse(readFileSync(new URL('../fixtures/control-plane/aks-operation-status.failed-zonal-allocation.json', import.meta.url), 'utf8')) as {
  error: { code: string; message: string };
};
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SUB = '00000000-0000-0000-0000-000000000000';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-fleet-eastus2/providers/Microsoft.ContainerService/managedClusters/aks-ray-eastus2`;
const H100_FAMILY = 'standardNDSH100v5Family';
const SPOT_FAMILY = 'standardNCADSH100v5Family';

const MANUAL: AddPoolInput = {
  clusterId: CLUSTER, pool: 'gpumanual', vmSize: 'Standard_ND96isr_H100_v5', vcpusPerNode: 96, count: 2,
  family: H100_FAMILY, region: 'eastus2', subscriptionId: SUB,
};
const AUTOSCALED: AddPoolInput = {
  clusterId: CLUSTER, pool: 'gpuh100', vmSize: 'Standard_ND96isr_H100_v5', vcpusPerNode: 96, count: 2,
  autoscale: true, minCount: 0, maxCount: 8, family: H100_FAMILY, region: 'eastus2', subscriptionId: SUB,
  properties: { scaleDownMode: 'Deallocate', upgradeSettings: { maxSurge: '0', maxUnavailable: '1', drainTimeoutInMinutes: 30 } },
};
const SPOT: AddPoolInput = {
  clusterId: CLUSTER, pool: 'gpuspot', vmSize: 'Standard_NC40ads_H100_v5', vcpusPerNode: 40, count: 4, spot: true,
  family: SPOT_FAMILY, region: 'eastus2', subscriptionId: SUB,
};

let cert: LocalCertificate;
let agent: Agent;
let twin: ArmTwin;
let face: ArmFace;
let pools: ArmNodePools;

function adapter(extra: Partial<ConstructorParameters<typeof ArmNodePools>[0]> = {}): ArmNodePools {
  return new ArmNodePools({ credential: new StaticTokenCredential(), endpoint: face.url, agent, updateIntervalInMs: 0, ...extra });
}

async function setUp(options: ConstructorParameters<typeof ArmTwin>[0] = {}): Promise<void> {
  twin = new ArmTwin({ provisioningMs: 50, ...options });
  twin.addPool(MANUAL);
  twin.addPool(AUTOSCALED);
  twin.addPool(SPOT);
  twin.setQuota(SUB, 'eastus2', H100_FAMILY, 960);
  twin.setQuota(SUB, 'eastus2', 'cores', 2000);
  twin.setQuota(SUB, 'eastus2', 'lowPriorityCores', 400);
  face = await startArmFace(twin, { cert: cert.cert, key: cert.key });
  pools = adapter();
}

async function read(pool: string): Promise<PoolState> {
  const r = await pools.get({ clusterId: CLUSTER, pool });
  if (!r.ok) throw new Error(`get ${pool}: ${JSON.stringify(r.failure)}`);
  return r.pool;
}

function failure(r: PoolResult) {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.pool)}`);
  return r.failure;
}

beforeAll(async () => {
  cert = await ensureLocalCertificate(join(REPO, '.local', 'certs'));
  agent = new Agent({ ca: cert.cert });
});
afterAll(() => agent.destroy());
afterEach(async () => {
  await face.close();
  twin.close();
});

describe('ArmNodePools against the ARM face', () => {
  beforeEach(() => setUp());

  it('gets a pool as ARM reports it', async () => {
    const pool = await read('gpuh100');
    expect(pool).toEqual({
      ref: { clusterId: CLUSTER, pool: 'gpuh100' },
      vmSize: 'Standard_ND96isr_H100_v5',
      count: 2,
      autoscale: true,
      minCount: 0,
      maxCount: 8,
      spot: false,
      provisioningState: 'Succeeded',
      eTag: twin.pool(CLUSTER, 'gpuh100')!.eTag,
    });
    expect((await read('gpuspot')).spot).toBe(true);
    expect(face.requests.at(-1)!.url).toMatch(/^\/subscriptions\/.+\/agentPools\/gpuspot\?api-version=\d{4}-\d{2}-\d{2}/);
  });

  it('classifies an unknown pool and an unknown cluster as notFound, a malformed id as invalid without a request', async () => {
    const pool = failure(await pools.get({ clusterId: CLUSTER, pool: 'nosuch' }));
    expect(pool).toMatchObject({ class: 'notFound', statusCode: 404, code: 'NotFound' });
    const cluster = failure(await pools.get({ clusterId: CLUSTER.replace('aks-ray-eastus2', 'aks-gone'), pool: 'gpumanual' }));
    expect(cluster).toMatchObject({ class: 'notFound', statusCode: 404, code: 'ResourceNotFound' });
    const before = face.requests.length;
    expect(failure(await pools.get({ clusterId: '/subscriptions/x/clusters/y', pool: 'p' })).class).toBe('invalid');
    expect(face.requests.length).toBe(before);
  });

  it('scales a manual pool up: PUTs the whole pool with If-Match, follows the operation, returns the new count', async () => {
    const scaled: Array<[string, string, number]> = [];
    twin.on('poolScaled', (c, p, n) => scaled.push([c, p, n]));
    const current = await read('gpumanual');
    const before = face.requests.length;
    const r = await pools.resize(current, { kind: 'count', count: 4 });
    if (!r.ok) throw new Error(JSON.stringify(r.failure));
    expect(face.requests[before]!.method).toBe('PUT'); // the pool it read is PUT back, not read again
    expect(r.pool).toMatchObject({ count: 4, provisioningState: 'Succeeded', autoscale: false });
    expect(r.pool.eTag).not.toBe(current.eTag);
    expect(r.pool.eTag).toBe(twin.pool(CLUSTER, 'gpumanual')!.eTag);
    expect(twin.pool(CLUSTER, 'gpumanual')!.count).toBe(4);
    expect(scaled).toEqual([[CLUSTER, 'gpumanual', 4]]);

    const put = twin.pool(CLUSTER, 'gpumanual')!.lastPut!;
    expect(put.ifMatch).toBe(current.eTag);
    const sent = (put.body as { properties: Record<string, unknown> }).properties;
    expect(sent).toMatchObject({
      count: 4, vmSize: 'Standard_ND96isr_H100_v5', mode: 'User', enableAutoScaling: false, scaleSetPriority: 'Regular',
      nodeTaints: ['nvidia.com/gpu=present:NoSchedule'], nodeLabels: { workload: 'ray-gpu' }, gpuProfile: { driver: 'Install' },
      osDiskSizeGB: 128, type: 'VirtualMachineScaleSets',
    });
    // PUT, the operation polls (Azure-AsyncOperation), the final GET.
    const after = face.requests.slice(face.requests.findIndex((q) => q.method === 'PUT'));
    expect(after[0]!.ifMatch).toBe(current.eTag);
    expect(after.slice(1, -1).every((q) => /\/providers\/Microsoft\.ContainerService\/locations\/eastus2\/operations\//.test(q.url))).toBe(true);
    expect(after.length).toBeGreaterThan(2);
    expect(after.at(-1)!.url).toMatch(/\/agentPools\/gpumanual\?/);
  });

  it('re-reads the pool when it was not read through this adapter, and scales down', async () => {
    const current = await read('gpumanual');
    const other = adapter();
    const before = face.requests.length;
    const r = await other.resize(current, { kind: 'count', count: 1 });
    expect(r.ok && r.pool.count).toBe(1);
    expect(face.requests.slice(before, before + 2).map((q) => q.method)).toEqual(['GET', 'PUT']);
    expect(twin.pool(CLUSTER, 'gpumanual')!.count).toBe(1);
  });

  it('changes the range of an autoscaled pool, echoing the count clamped into it', async () => {
    const scaled: number[] = [];
    twin.on('poolScaled', (_c, _p, n) => scaled.push(n));
    const up = await pools.resize(await read('gpuh100'), { kind: 'autoscaleRange', minCount: 3, maxCount: 8 });
    if (!up.ok) throw new Error(JSON.stringify(up.failure));
    expect(up.pool).toMatchObject({ autoscale: true, minCount: 3, maxCount: 8, count: 3, provisioningState: 'Succeeded' });
    expect(scaled).toEqual([3]);

    const narrower = await pools.resize(up.pool, { kind: 'autoscaleRange', minCount: 0, maxCount: 6 });
    if (!narrower.ok) throw new Error(JSON.stringify(narrower.failure));
    expect(narrower.pool).toMatchObject({ minCount: 0, maxCount: 6, count: 3, provisioningState: 'Succeeded' });
    expect(scaled).toEqual([3]);
    const sent = (twin.pool(CLUSTER, 'gpuh100')!.lastPut!.body as { properties: Record<string, unknown> }).properties;
    expect(sent).toMatchObject({ enableAutoScaling: true, minCount: 0, maxCount: 6, count: 3, scaleDownMode: 'Deallocate' });
  });

  it('never PUTs count on an autoscaled pool, nor a range on a manual one', async () => {
    const auto = failure(await pools.resize(await read('gpuh100'), { kind: 'count', count: 5 }));
    expect(auto).toMatchObject({ class: 'invalid', code: 'CountOnAutoscaledPool' });
    const manual = failure(await pools.resize(await read('gpumanual'), { kind: 'autoscaleRange', minCount: 1, maxCount: 3 }));
    expect(manual).toMatchObject({ class: 'invalid', code: 'RangeOnManualPool' });
    expect(twin.pool(CLUSTER, 'gpuh100')!.puts).toBe(0);
    expect(twin.pool(CLUSTER, 'gpumanual')!.puts).toBe(0);
    expect(face.requests.some((q) => q.method === 'PUT')).toBe(false);
  });

  it('the twin itself refuses count on an autoscaled pool (a client that ignores the rule)', async () => {
    const reply = twin.putPool(CLUSTER, 'gpuh100', { properties: { ...twin.pool(CLUSTER, 'gpuh100')!.resource.properties, count: 5 } });
    expect(reply).toMatchObject({ kind: 'reply', status: 400, body: { error: { code: 'InvalidParameter' } } });
  });

  it('classifies a stale eTag as preconditionFailed', async () => {
    const stale = await read('gpumanual');
    // Someone else writes the pool in between.
    const other = await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 });
    expect(other.ok).toBe(true);
    const f = failure(await pools.resize(stale, { kind: 'count', count: 4 }));
    expect(f).toMatchObject({ class: 'preconditionFailed', statusCode: 412, code: 'PreconditionFailed' });
    expect(twin.pool(CLUSTER, 'gpumanual')!.count).toBe(3);
  });

  it('classifies a PUT while the pool is scaling as operationNotAllowed', async () => {
    await face.close();
    twin.close();
    await setUp({ provisioningMs: 400 });
    const first = pools.resize(await read('gpumanual'), { kind: 'count', count: 3 });
    while (twin.pool(CLUSTER, 'gpumanual')!.provisioningState !== 'Scaling') await new Promise((r) => setTimeout(r, 5));
    const during = await read('gpumanual');
    expect(during).toMatchObject({ provisioningState: 'Scaling', count: 3 });
    const f = failure(await pools.resize(during, { kind: 'count', count: 4 }));
    expect(f).toMatchObject({ class: 'operationNotAllowed', statusCode: 409, code: 'OperationNotAllowed' });
    expect(f.message).toContain('(gpumanual - Scaling)');
    const done = await first;
    expect(done.ok && done.pool.count).toBe(3);
  });

  it('classifies a scale-up over the family quota with the family, limit, usage and what was required', async () => {
    twin.setQuota(SUB, 'eastus2', H100_FAMILY, 480); // gpumanual 2×96 + gpuh100 2×96 = 384 used
    const f = failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 4 }));
    expect(f).toMatchObject({
      class: 'quotaExceeded', statusCode: 400, code: 'QuotaExceeded',
      quota: { scope: 'family', family: H100_FAMILY, limit: 480, usage: 384, required: 192 },
    });
    expect(twin.pool(CLUSTER, 'gpumanual')).toMatchObject({ count: 2, provisioningState: 'Succeeded', acceptedPuts: 0 });
  });

  it('classifies a scale-up over the regional total as quotaExceeded (regional)', async () => {
    twin.setQuota(SUB, 'eastus2', 'cores', 450, { baseline: 16 }); // 384 on-demand + 16 other workloads
    const f = failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 }));
    expect(f).toMatchObject({ class: 'quotaExceeded', code: 'QuotaExceeded', quota: { scope: 'regional', limit: 450, usage: 400, required: 96 } });
    expect(f.quota!.family).toBeUndefined();
  });

  it('classifies a Spot scale-up over lowPriorityCores as regional quota of that bucket', async () => {
    const f = failure(await pools.resize(await read('gpuspot'), { kind: 'count', count: 11 }));
    expect(f).toMatchObject({ class: 'quotaExceeded', quota: { scope: 'regional', family: 'lowPriorityCores', limit: 400, usage: 160, required: 280 } });
  });

  it.each<[ArmFaultKind, string]>([
    ['zonalAllocationFailed', 'ZonalAllocationFailed'],
    ['allocationFailed', 'AllocationFailed'],
    ['skuNotAvailable', 'SkuNotAvailable'],
    ['overconstrainedAllocationRequest', 'OverconstrainedAllocationRequest'],
  ])('classifies an async %s as capacityUnavailable, the count unchanged; the next PUT is allowed', async (kind, code) => {
    twin.injectFault({ clusterId: CLUSTER, pool: 'gpumanual', kind, times: 1 });
    const f = failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 4 }));
    expect(f).toMatchObject({ class: 'capacityUnavailable', code });
    expect(f.statusCode).toBeUndefined();
    if (kind === 'zonalAllocationFailed') expect(f.message).toBe(ZONAL.error.message);
    const after = await read('gpumanual');
    expect(after).toMatchObject({ count: 2, provisioningState: 'Failed' });
    expect(twin.pool(CLUSTER, 'gpumanual')!.count).toBe(2);
    const retry = await pools.resize(after, { kind: 'count', count: 4 });
    expect(retry.ok && retry.pool).toMatchObject({ count: 4, provisioningState: 'Succeeded' });
  });

  it('stops following a long operation after followMs: the pool as ARM reports it now, and the operation goes on', async () => {
    await setUp({ provisioningMs: 3000 });
    const t0 = Date.now();
    const r = await adapter({ updateIntervalInMs: 50 }).resize(await read('gpumanual'), { kind: 'count', count: 4 }, { followMs: 300 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.ok && r.pool).toMatchObject({ count: 4, provisioningState: expect.not.stringMatching(/^(Succeeded|Failed|Canceled)$/) });
    expect(twin.pool(CLUSTER, 'gpumanual')).toMatchObject({ acceptedPuts: 1 });
    await new Promise((res) => setTimeout(res, 3200));
    expect(await read('gpumanual')).toMatchObject({ count: 4, provisioningState: 'Succeeded' });
  });

  it('a pool whose operation failed while nobody followed it reports the classified provisioning error', async () => {
    await setUp({ provisioningMs: 500 });
    twin.injectFault({ clusterId: CLUSTER, pool: 'gpumanual', kind: 'zonalAllocationFailed', times: 1 });
    const r = await adapter({ updateIntervalInMs: 50 }).resize(await read('gpumanual'), { kind: 'count', count: 4 }, { followMs: 100 });
    expect(r.ok).toBe(true);
    await new Promise((res) => setTimeout(res, 700));
    expect(await read('gpumanual')).toMatchObject({ provisioningState: 'Failed', provisioningError: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed' } });
  });

  it('a PUT that has no answer when followMs runs out is not reported as taken: a transient failure, nothing changed', async () => {
    twin.injectFault({ pool: 'gpumanual', kind: 'timeout', on: 'put', times: 1 });
    const t0 = Date.now();
    const f = failure(await adapter({ updateIntervalInMs: 50, requestTimeoutMs: 5000 }).resize(await read('gpumanual'), { kind: 'count', count: 4 }, { followMs: 200 }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(f).toMatchObject({ class: 'transient' });
    expect(twin.pool(CLUSTER, 'gpumanual')).toMatchObject({ count: 2, acceptedPuts: 0 });
  });

  it('an operation that fails just as the follow stops is reported with the pool at rest Failed (the executor treats it as the failure)', async () => {
    await setUp({ provisioningMs: 300 });
    twin.injectFault({ clusterId: CLUSTER, pool: 'gpumanual', kind: 'zonalAllocationFailed', times: 1 });
    // Polls at 0 and 200 ms say InProgress; the follow stops at 250 ms, the next poll (400 ms) is cut off, and the
    // read after it finds the operation ended (300 ms) Failed: ok with the pool Failed (on a slow machine the 200 ms poll
    // may see the failure itself). Either way it never reads as the nodes having come.
    const r = await adapter({ updateIntervalInMs: 200 }).resize(await read('gpumanual'), { kind: 'count', count: 4 }, { followMs: 250 });
    const pool = r.ok ? r.pool : undefined;
    if (pool) expect(pool).toMatchObject({ count: 2, provisioningState: 'Failed', provisioningError: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed' } });
    else expect(failure(r)).toMatchObject({ class: 'capacityUnavailable', code: 'ZonalAllocationFailed' });
  });

  it('applies a sticky region × family fault to every pool of that family until cleared', async () => {
    const fault = twin.injectFault({ region: 'eastus2', family: H100_FAMILY, kind: 'zonalAllocationFailed' });
    expect(failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 })).code).toBe('ZonalAllocationFailed');
    expect(failure(await pools.resize(await read('gpuh100'), { kind: 'autoscaleRange', minCount: 4, maxCount: 8 })).code).toBe('ZonalAllocationFailed');
    // Another family in the region is not affected; scaling down never allocates.
    expect((await pools.resize(await read('gpuspot'), { kind: 'count', count: 5 })).ok).toBe(true);
    expect((await pools.resize(await read('gpumanual'), { kind: 'count', count: 1 })).ok).toBe(true);
    fault.clear();
    expect((await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 })).ok).toBe(true);
  });

  it('classifies an injected 409 and 412 from other writers', async () => {
    twin.injectFault({ pool: 'gpumanual', kind: 'operationNotAllowed', times: 1 });
    expect(failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 }))).toMatchObject({ class: 'operationNotAllowed', statusCode: 409 });
    twin.injectFault({ pool: 'gpumanual', kind: 'preconditionFailed', times: 1 });
    expect(failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 }))).toMatchObject({ class: 'preconditionFailed', statusCode: 412 });
  });

  it('classifies a server error as transient; nothing changes', async () => {
    twin.injectFault({ pool: 'gpumanual', kind: 'serverError', times: 1 });
    const f = failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 }));
    expect(f).toMatchObject({ class: 'transient', statusCode: 500, code: 'InternalServerError' });
    expect(twin.pool(CLUSTER, 'gpumanual')).toMatchObject({ count: 2, acceptedPuts: 0 });
  });

  it('classifies a failed status poll as transient while the scale carries on', async () => {
    twin.injectFault({ pool: 'gpumanual', kind: 'serverError', on: 'poll', times: 1 });
    const f = failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 }));
    expect(f).toMatchObject({ class: 'transient', statusCode: 500 });
    await new Promise((r) => setTimeout(r, 80));
    expect(twin.pool(CLUSTER, 'gpumanual')).toMatchObject({ count: 3, provisioningState: 'Succeeded' });
  });

  it('classifies a request that gets no answer as transient (request timeout)', async () => {
    twin.injectFault({ pool: 'gpumanual', kind: 'timeout', on: 'get', times: 1 });
    const quick = adapter({ requestTimeoutMs: 150 });
    const f = failure(await quick.get({ clusterId: CLUSTER, pool: 'gpumanual' }));
    expect(f).toMatchObject({ class: 'transient', code: 'Timeout' });
    expect(f.statusCode).toBeUndefined();
  });
});

describe('ArmNodePools and the AKS PUT bucket', () => {
  beforeEach(() => setUp({ putBucketCapacity: 2, putsPerPoolPerMinute: 1 }));

  it('classifies a PUT over the per-pool bucket as throttled with retryAfterMs, without retrying it', async () => {
    let pool = await read('gpumanual');
    for (const count of [3, 4]) {
      const r = await pools.resize(pool, { kind: 'count', count });
      if (!r.ok) throw new Error(JSON.stringify(r.failure));
      pool = r.pool;
    }
    const f = failure(await pools.resize(pool, { kind: 'count', count: 5 }));
    expect(f).toMatchObject({ class: 'throttled', statusCode: 429, code: 'Throttled' });
    expect(f.retryAfterMs).toBeGreaterThanOrEqual(58_000);
    expect(f.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(f.retryAfterMs! % 1000).toBe(0);
    expect(twin.pool(CLUSTER, 'gpumanual')).toMatchObject({ puts: 3, acceptedPuts: 2, count: 4 });
    // The bucket is per pool: another pool still has its tokens.
    expect((await pools.resize(await read('gpuspot'), { kind: 'count', count: 5 })).ok).toBe(true);
  });

  it('classifies an injected 429 with the Retry-After it sent', async () => {
    twin.injectFault({ pool: 'gpumanual', kind: 'throttled', retryAfterSeconds: 43, times: 1 });
    const f = failure(await pools.resize(await read('gpumanual'), { kind: 'count', count: 3 }));
    expect(f).toMatchObject({ class: 'throttled', retryAfterMs: 43_000 });
  });
});
