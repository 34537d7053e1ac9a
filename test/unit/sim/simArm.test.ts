import { describe, expect, it } from 'vitest';
import { SimNodePools, SimQuota } from '../../../local/sim/simArm.js';
import { VirtualTime } from '../../../local/sim/virtualTime.js';
import { ArmTwin } from '../../../local/twin/arm/armTwin.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a`;
const ref = { clusterId: CLUSTER, pool: 'gpu' };

function setup() {
  const time = new VirtualTime(Date.parse('2026-03-02T09:00:00Z'));
  const arm = new ArmTwin({ now: () => time.ms(), provisioningMs: 300_000, timers: false });
  arm.addPool({ clusterId: CLUSTER, pool: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', vcpusPerNode: 24, gpusPerNode: 1, count: 4, minCount: 1, maxCount: 16, family: 'standardNCADSA100v4Family', region: 'eastus2', subscriptionId: SUB });
  arm.setQuota(SUB, 'eastus2', 'standardNCADSA100v4Family', 240);
  const pools = new SimNodePools(arm, time, { pollIntervalMs: 2_000 });
  /** Moves virtual time on until `p` settles (as the driver does). */
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    void p.then(() => { done = true; }, () => { done = true; });
    await time.settle();
    while (!done) {
      time.advanceTo(time.nextWake()!);
      arm.tick();
      await time.settle();
    }
    return p;
  };
  return { time, arm, pools, drive };
}

describe('node pools over the ARM twin, in virtual time', () => {
  it('a resize PUTs with If-Match and resolves only when the operation settles, after the provisioning time', async () => {
    const { time, arm, pools, drive } = setup();
    const read = await pools.get(ref);
    if (!read.ok) throw new Error('read failed');
    expect(read.pool).toMatchObject({ count: 4, provisioningState: 'Succeeded', autoscale: false });
    const t0 = time.ms();
    const result = await drive(pools.resize(read.pool, { kind: 'count', count: 6 }));
    expect(result).toMatchObject({ ok: true, pool: { count: 6, provisioningState: 'Succeeded' } });
    expect(time.ms() - t0).toBeGreaterThanOrEqual(300_000);
    expect(time.ms() - t0).toBeLessThan(300_000 + 2_000 + 1);
    const view = arm.pool(CLUSTER, 'gpu')!;
    expect(view.puts).toBe(1);
    expect(view.lastPut?.ifMatch).toBe(read.pool.eTag);
  });

  it('classifies what ARM answers: a stale eTag is preconditionFailed, a throttle carries Retry-After, quota is parsed', async () => {
    const { arm, pools, drive } = setup();
    const first = await pools.get(ref);
    if (!first.ok) throw new Error('read failed');
    await drive(pools.resize(first.pool, { kind: 'count', count: 5 }));
    expect(await pools.resize(first.pool, { kind: 'count', count: 6 })).toMatchObject({ ok: false, failure: { class: 'preconditionFailed', statusCode: 412 } });

    arm.injectFault({ kind: 'throttled', retryAfterSeconds: 60, times: 1 });
    const now = await pools.get(ref);
    if (!now.ok) throw new Error('read failed');
    expect(await pools.resize(now.pool, { kind: 'count', count: 6 })).toMatchObject({ ok: false, failure: { class: 'throttled', retryAfterMs: 60_000 } });
    const quota = await pools.resize(now.pool, { kind: 'count', count: 16 });
    expect(quota).toMatchObject({ ok: false, failure: { class: 'quotaExceeded', quota: { scope: 'family', limit: 240 } } });
  });

  it('a capacity error fails the operation when it ends, and the nodes never change', async () => {
    const { arm, pools, drive } = setup();
    arm.injectFault({ kind: 'zonalAllocationFailed', region: 'eastus2', times: 1 });
    const read = await pools.get(ref);
    if (!read.ok) throw new Error('read failed');
    expect(await drive(pools.resize(read.pool, { kind: 'count', count: 8 }))).toMatchObject({ ok: false, failure: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed' } });
    expect(arm.pool(CLUSTER, 'gpu')).toMatchObject({ count: 4, provisioningState: 'Failed' });
  });

  it('refuses count on an autoscaled pool without calling ARM, as the adapter does', async () => {
    const { arm, pools } = setup();
    const read = await pools.get(ref);
    if (!read.ok) throw new Error('read failed');
    expect(await pools.resize({ ...read.pool, autoscale: true }, { kind: 'count', count: 6 })).toMatchObject({ ok: false, failure: { class: 'invalid', code: 'CountOnAutoscaledPool' } });
    expect(arm.pool(CLUSTER, 'gpu')!.puts).toBe(0);
  });

  it('reads quota usages as Compute reports them', async () => {
    const { arm, time } = setup();
    const usages = await new SimQuota(arm, time).usages(SUB, 'eastus2');
    expect(usages.find((u) => u.name === 'standardNCADSA100v4Family')).toEqual({ name: 'standardNCADSA100v4Family', used: 96, limit: 240 });
  });
});
