import { describe, expect, it } from 'vitest';
import { blockFromFailure } from '../../../shared/capacity/capacityErrors.js';
import { planCapacity, type CapacityPlan, type ResizeDecision } from '../../../shared/capacity/planCapacity.js';
import { A100, A100x4, ago, clusterId, impaired, input, NOW, pool, read } from './support.js';

const H = 'standardNDSH100v5Family';
const A = 'StandardNCADSA100v4Family';
const job = (jobId: string, gpus: number, over: Record<string, unknown> = {}) => ({ jobId, gpus, ...over });
const summary = (p: CapacityPlan) => p.resizes.map((r) => `${r.clusterId.split('/').pop()}/${r.pool} ${describe2(r)}`);
const describe2 = (r: ResizeDecision) => (r.mode === 'count' ? `${r.from}->${r.to}` : `min${r.fromRange.minCount}-max${r.fromRange.maxCount}->min${r.toRange.minCount}-max${r.toRange.maxCount}`);

describe('planCapacity: scale up', () => {
  it('grows one pool for the waiting jobs, packs jobs onto the new nodes, and reserves the vCPUs', () => {
    const plan = planCapacity(input({
      pools: [pool({ count: 1 })],
      reads: [read('westus3', { [H]: [96, 960] })],
      allocatedGpus: new Map([[clusterId('westus3'), 8]]),
      waiting: [job('j1', 8), job('j2', 4), job('j3', 4)],
    }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 1->3']);
    const r = plan.resizes[0]!;
    expect(r.change).toEqual({ kind: 'count', count: 3 });
    expect(r.jobs).toEqual(['j1', 'j2', 'j3']);
    expect(r.reservation).toMatchObject({ subscriptionId: 'sub-1', region: 'westus3', family: H, spot: false, vcpus: 192, targetCount: 3, pool: 'gpu1', key: r.key, expiresAt: '2026-11-28T12:20:00.000Z' });
    expect(r.reason).toBe(`grow pool gpu1 on aks-westus3-a 1 → 3 nodes (Standard_ND96isr_H100_v5, +192 vCPU in ${H} + cores) for 3 waiting jobs (j1, j2, j3)`);
    expect(plan.covered.map((c) => c.jobId)).toEqual(['j1', 'j2', 'j3']);
    expect(plan.unserved).toEqual([]);
    expect(plan.reservations).toEqual([r.reservation]);
  });

  it('partial fill: grows by what the headroom allows and says why the rest waits', () => {
    const plan = planCapacity(input({
      pools: [pool({ count: 0 })],
      reads: [read('westus3', { [H]: [0, 200] })],
      waiting: [job('j1', 8), job('j2', 8), job('j3', 8)],
    }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 0->2']);
    expect(plan.unserved).toEqual([{ jobId: 'j3', why: `why not westus3: headroom 8 vCPU in ${H} (limit 200, used 0), job needs 1 more node of Standard_ND96isr_H100_v5 (96 vCPU)` }]);
    expect(plan.reasons).toContain(`job j3 (8 GPUs) waits: why not westus3: headroom 8 vCPU in ${H} (limit 200, used 0), job needs 1 more node of Standard_ND96isr_H100_v5 (96 vCPU)`);
  });

  it('is capped by the regional cores total as well as the family', () => {
    const plan = planCapacity(input({ pools: [pool()], reads: [read('westus3', { [H]: [0, 960] }, [900, 1000])], waiting: [job('j1', 8), job('j2', 8)] }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 0->1']);
    expect(plan.unserved[0]!.why).toBe('why not westus3: headroom 4 vCPU in cores (limit 1000, used 900), job needs 1 more node of Standard_ND96isr_H100_v5 (96 vCPU)');
  });

  it('two pools in one region × family share the headroom: it is spent once', () => {
    const plan = planCapacity(input({
      pools: [pool({ cluster: 'a' }), pool({ cluster: 'b' })],
      reads: [read('westus3', { [H]: [0, 288] })],
      waiting: [job('j1', 16, { allowedRegions: ['westus3'] }), job('j2', 16)],
    }), NOW);
    expect(plan.reservations.reduce((s, r) => s + r.vcpus, 0)).toBeLessThanOrEqual(288);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 0->2']);
    expect(plan.unserved.map((u) => u.jobId)).toEqual(['j2']);
    expect(plan.unserved[0]!.why).toContain(`why not westus3: headroom 96 vCPU in ${H}`);
  });

  it('serves the highest priority first, then the oldest', () => {
    const plan = planCapacity(input({
      pools: [pool()],
      reads: [read('westus3', { [H]: [0, 96] })],
      waiting: [job('low', 8, { priority: 1 }), job('new', 8, { priority: 5, waitingSince: ago(1000) }), job('old', 8, { priority: 5, waitingSince: ago(9000) })],
    }), NOW);
    expect(plan.covered.map((c) => c.jobId)).toEqual(['old']);
    expect(plan.unserved.map((u) => u.jobId)).toEqual(['new', 'low']);
  });

  it('prefers the pool that needs the least quota for the job', () => {
    const pools = [pool({ cluster: 'a', name: 'big', vmSize: A100x4 }), pool({ cluster: 'b', name: 'small', vmSize: A100 })];
    const reads = [read('westus3', { [A]: [0, 960] })];
    const one = planCapacity(input({ pools, reads, waiting: [job('j', 1)] }), NOW);
    expect(summary(one)).toEqual(['aks-westus3-b/small 0->1']);
    const four = planCapacity(input({ pools, reads, waiting: [job('j', 4)] }), NOW);
    expect(summary(four)).toEqual(['aks-westus3-a/big 0->1']);
  });

  it('a job needs one pool with enough GPUs; it never spans pools', () => {
    const plan = planCapacity(input({
      pools: [pool({ cluster: 'a', maxCount: 1 }), pool({ cluster: 'b', maxCount: 1 })],
      reads: [read('westus3', { [H]: [0, 960] })],
      waiting: [job('j', 16)],
    }), NOW);
    expect(plan.resizes).toEqual([]);
    expect(plan.unserved[0]!.why).toBe('pool gpu1 on aks-westus3-a: holds at most 8 GPUs (1 × Standard_ND96isr_H100_v5), job needs 16; pool gpu1 on aks-westus3-b: holds at most 8 GPUs (1 × Standard_ND96isr_H100_v5), job needs 16');
  });

  it('matches the job\'s gpuType and allowed regions', () => {
    const pools = [pool({ region: 'eastus2', vmSize: A100 }), pool({ region: 'westus3' })];
    const reads = [read('eastus2', { [A]: [0, 960] }), read('westus3', { [H]: [0, 960] })];
    expect(summary(planCapacity(input({ pools, reads, waiting: [job('j', 1, { gpuType: 'a100' })] }), NOW))).toEqual(['aks-eastus2-a/gpu1 0->1']);
    expect(summary(planCapacity(input({ pools, reads, waiting: [job('j', 1, { allowedRegions: ['westus3'] })] }), NOW))).toEqual(['aks-westus3-a/gpu1 0->1']);
    expect(planCapacity(input({ pools, reads, waiting: [job('j', 1, { gpuType: 'T4' })] }), NOW).unserved).toEqual([{ jobId: 'j', why: 'no managed pool of T4' }]);
  });

  it('uses a region the job was moved away from only when nothing else can grow', () => {
    const pools = [pool({ region: 'eastus2' }), pool({ region: 'westus3' })];
    const both = [read('eastus2', { [H]: [0, 960] }), read('westus3', { [H]: [0, 960] })];
    expect(summary(planCapacity(input({ pools, reads: both, waiting: [job('j', 8, { excludeRegions: ['eastus2'] })] }), NOW))).toEqual(['aks-westus3-a/gpu1 0->1']);
    const westFull = [read('eastus2', { [H]: [0, 960] }), read('westus3', { [H]: [960, 960] })];
    expect(summary(planCapacity(input({ pools, reads: westFull, waiting: [job('j', 8, { excludeRegions: ['eastus2'] })] }), NOW))).toEqual(['aks-eastus2-a/gpu1 0->1']);
  });

  it('Spot pools draw on lowPriorityCores', () => {
    const plan = planCapacity(input({ pools: [pool({ spot: true })], reads: [read('westus3', { [H]: [960, 960] }, [1000, 1000], [0, 192])], waiting: [job('a', 8), job('b', 8), job('c', 8)] }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 0->2']);
    expect(plan.reservations[0]).toMatchObject({ spot: true, vcpus: 192 });
    expect(plan.resizes[0]!.reason).toContain('+192 vCPU in lowPriorityCores');
  });

  it('autoscaled pools get a new minCount/maxCount, never a count', () => {
    const plan = planCapacity(input({
      pools: [pool({ autoscale: true, count: 1, minCount: 1, maxCount: 6, observedMin: 1, observedMax: 2 })],
      reads: [read('westus3', { [H]: [96, 960] })],
      allocatedGpus: new Map([[clusterId('westus3'), 8]]),
      waiting: [job('j1', 16)],
    }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 min1-max2->min3-max3']);
    expect(plan.resizes[0]!.change).toEqual({ kind: 'autoscaleRange', minCount: 3, maxCount: 3 });
    expect(plan.resizes[0]!.reservation?.vcpus).toBe(192);
  });

  it.each([
    ['an operation in progress', { provisioningState: 'Scaling' }, 'pool gpu1 on aks-westus3-a: Scaling (an operation is in progress)'],
    ['a PUT within the minute', { lastPutAt: ago(20_000) }, 'pool gpu1 on aks-westus3-a: last PUT 20 s ago (1 per 60 s)'],
    ['maxCount reached', { count: 4, maxCount: 4 }, 'pool gpu1 on aks-westus3-a: maxCount 4 reached'],
    ['never read', { unread: true }, 'pool gpu1 on aks-westus3-a: not read from ARM yet'],
    ['an unknown VM size', { vmSize: 'Standard_X1' }, 'pool gpu1 on aks-westus3-a: VM size Standard_X1 is not in the catalogue'],
  ])('does not grow a pool with %s, and says so', (_, over, why) => {
    const plan = planCapacity(input({
      pools: [pool(over)], reads: [read('westus3', { [H]: [0, 960] })],
      allocatedGpus: new Map([[clusterId('westus3'), 32]]), waiting: [job('j', 8)],
    }), NOW);
    expect(plan.resizes).toEqual([]);
    expect(plan.unserved).toEqual([{ jobId: 'j', why }]);
  });

  it('does not grow in an unhealthy region, a capacity-blocked region × family, a throttled pool, or without quota read', () => {
    const base = { pools: [pool()], reads: [read('westus3', { [H]: [0, 960] })], waiting: [job('j', 8)] };
    expect(planCapacity(input({ ...base, health: new Map([['westus3', impaired('westus3')]]) }), NOW).unserved[0]!.why).toBe('why not westus3: impaired: incident TRK-1 active');
    const site = { subscriptionId: 'sub-1', region: 'westus3', family: H, spot: false, clusterId: clusterId('westus3'), pool: 'gpu1' };
    const zonal = blockFromFailure({ class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: '' }, site, new Date(NOW.getTime() - 60_000))!;
    expect(planCapacity(input({ ...base, blocks: [zonal] }), NOW).unserved[0]!.why).toBe(`why not westus3: ${H} unavailable in westus3 (ZonalAllocationFailed) until 12:09:00Z`);
    const throttled = blockFromFailure({ class: 'throttled', code: 'Throttled', message: '', retryAfterMs: 30_000 }, site, NOW)!;
    expect(planCapacity(input({ ...base, blocks: [throttled] }), NOW).unserved[0]!.why).toBe('pool gpu1 on aks-westus3-a: throttled by AKS until 12:00:30Z');
    expect(planCapacity(input({ ...base, reads: [] }), NOW).unserved[0]!.why).toBe(`why not westus3: quota usage of ${H} in westus3 never read: headroom 0 vCPU`);
    expect(planCapacity(input({ ...base, reads: [read('westus3', { [H]: [960, 960] })] }), NOW).unserved[0]!.why).toBe(`why not westus3: headroom 0 vCPU in ${H} (limit 960, used 960)`);
  });

  it('grows elsewhere when the best pool cannot grow', () => {
    const plan = planCapacity(input({
      pools: [pool({ region: 'eastus2', lastPutAt: ago(5000) }), pool({ region: 'westus3' })],
      reads: [read('eastus2', { [H]: [0, 960] }), read('westus3', { [H]: [0, 960] })],
      waiting: [job('j', 8)],
    }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 0->1']);
  });

  it('counts nodes already coming (an in-flight resize\'s reservation) and grows nothing more for them', () => {
    const first = planCapacity(input({ pools: [pool({ count: 1 })], reads: [read('westus3', { [H]: [96, 960] })], allocatedGpus: new Map([[clusterId('westus3'), 8]]), waiting: [job('j1', 8)] }), NOW);
    expect(summary(first)).toEqual(['aks-westus3-a/gpu1 1->2']);
    const later = new Date(NOW.getTime() + 5 * 60_000); // past the PUT interval; the pool still reads 1
    const second = planCapacity(input({
      pools: [pool({ count: 1, lastPutAt: NOW.toISOString() }), pool({ cluster: 'b' })], reads: [read('westus3', { [H]: [96, 960] })],
      allocatedGpus: new Map([[clusterId('westus3'), 8]]), reservations: first.reservations, waiting: [job('j1', 8)],
    }), later);
    expect(second.resizes).toEqual([]);
    expect(second.covered).toEqual([{ jobId: 'j1', clusterId: clusterId('westus3'), pool: 'gpu1', byResize: false, why: 'pool gpu1 on aks-westus3-a in westus3: fits on nodes already coming for it' }]);
  });

  it('nodes coming for named jobs are theirs: a newer, higher-priority job does not take them', () => {
    const reads = [read('westus3', { [H]: [0, 960] })];
    const first = planCapacity(input({ pools: [pool({ count: 1, allocatedGpus: 8 })], reads, waiting: [job('j1', 16)] }), NOW);
    expect(first.reservations[0]).toMatchObject({ fromCount: 1, targetCount: 3, nodes: 2, jobs: ['j1'], gpusFromFree: 0 });
    const later = new Date(NOW.getTime() + 2 * 60_000);
    const second = planCapacity(input({
      pools: [pool({ count: 3, allocatedGpus: 8, provisioningState: 'Scaling', lastPutAt: NOW.toISOString() }), pool({ cluster: 'b' })], reads,
      reservations: first.reservations, waiting: [job('urgent', 8, { priority: 9 }), job('j1', 16)],
    }), later);
    expect(second.covered.find((c) => c.jobId === 'j1')?.why).toBe('pool gpu1 on aks-westus3-a in westus3: fits on nodes already coming for it');
    expect(summary(second)).toEqual(['aks-westus3-b/gpu1 0->1']);
    expect(second.resizes[0]!.jobs).toEqual(['urgent']);
  });

  it('once the jobs they were for are placed, coming nodes are anyone\'s', () => {
    const reads = [read('westus3', { [H]: [0, 960] })];
    const first = planCapacity(input({ pools: [pool({ count: 1, allocatedGpus: 8 })], reads, waiting: [job('j1', 8)] }), NOW);
    const second = planCapacity(input({
      pools: [pool({ count: 1, allocatedGpus: 8, lastPutAt: NOW.toISOString() })], reads, reservations: first.reservations, waiting: [job('other', 8)],
    }), NOW);
    expect(second.resizes).toEqual([]);
    expect(second.covered[0]!.why).toBe('pool gpu1 on aks-westus3-a in westus3: fits on nodes already coming');
  });

  it('records what the growth\'s jobs take from GPUs already free', () => {
    const plan = planCapacity(input({ pools: [pool({ count: 1 })], reads: [read('westus3', { [H]: [96, 960] })], waiting: [job('j1', 12)] }), NOW);
    expect(plan.reservations[0]).toMatchObject({ nodes: 1, gpusFromFree: 4, jobs: ['j1'] });
  });

  it('places the locality hook before quota cost', () => {
    const pools = [pool({ region: 'eastus2', vmSize: A100x4 }), pool({ region: 'westus3', vmSize: A100 })];
    const reads = [read('eastus2', { [A]: [0, 960] }), read('westus3', { [A]: [0, 960] })];
    const plan = planCapacity(input({ pools, reads, waiting: [job('j', 1)], locality: (_, w) => (w.region === 'eastus2' ? 1 : 0) }), NOW);
    expect(summary(plan)).toEqual(['aks-eastus2-a/gpu1 0->1']);
  });

  it('is deterministic whatever the order of its inputs', () => {
    const pools = [pool({ cluster: 'a' }), pool({ cluster: 'b' }), pool({ region: 'eastus2' })];
    const reads = [read('westus3', { [H]: [0, 384] }), read('eastus2', { [H]: [0, 192] })];
    const waiting = Array.from({ length: 12 }, (_, i) => job(`j${i}`, 4 + (i % 3) * 4, { priority: i % 2 }));
    const a = planCapacity(input({ pools, reads, waiting }), NOW);
    const b = planCapacity(input({ pools: [...pools].reverse(), reads: [...reads].reverse(), waiting: [...waiting].reverse() }), NOW);
    expect(b).toEqual(a);
  });
});

describe('planCapacity: scale down', () => {
  const idle = ago(15 * 60_000);
  it('shrinks an idle pool to what its allocated GPUs need, not below minCount', () => {
    const plan = planCapacity(input({ pools: [pool({ count: 5, minCount: 1, idleSince: idle })], allocatedGpus: new Map([[clusterId('westus3'), 12]]) }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 5->2']);
    expect(plan.resizes[0]).toMatchObject({ direction: 'down', nodes: 3, change: { kind: 'count', count: 2 } });
    expect(plan.resizes[0]!.reservation).toBeUndefined();
    const floor = planCapacity(input({ pools: [pool({ count: 5, minCount: 4, idleSince: idle })], allocatedGpus: new Map([[clusterId('westus3'), 12]]) }), NOW);
    expect(summary(floor)).toEqual(['aks-westus3-a/gpu1 5->4']);
  });

  it('never goes below what running jobs use (per-pool allocation when known)', () => {
    const plan = planCapacity(input({ pools: [pool({ count: 5, idleSince: idle, allocatedGpus: 33 })] }), NOW);
    expect(plan.resizes).toEqual([]);
    const some = planCapacity(input({ pools: [pool({ count: 5, idleSince: idle, allocatedGpus: 17 })] }), NOW);
    expect(summary(some)).toEqual(['aks-westus3-a/gpu1 5->3']);
  });

  it('with two pools and only cluster allocation, assumes the jobs could be on either', () => {
    const plan = planCapacity(input({
      pools: [pool({ name: 'gpu1', count: 4, idleSince: idle }), pool({ name: 'gpu2', count: 4, idleSince: idle })],
      allocatedGpus: new Map([[clusterId('westus3'), 16]]),
    }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 4->2', 'aks-westus3-a/gpu2 4->2']);
  });

  it('waits for the cooldown, the minute since the last PUT, and a terminal state', () => {
    const cases: [Parameters<typeof pool>[0], string][] = [
      [{ idleSince: ago(60_000) }, 'pool gpu1 on aks-westus3-a: not shrunk: idle for 60 s, shrinks after 600 s'],
      [{ idleSince: idle, lastPutAt: ago(10_000) }, 'pool gpu1 on aks-westus3-a: not shrunk: last PUT 10 s ago (1 per 60 s)'],
      [{ idleSince: idle, provisioningState: 'Upgrading' }, 'pool gpu1 on aks-westus3-a: not shrunk: Upgrading (an operation is in progress)'],
    ];
    for (const [over, reason] of cases) {
      const plan = planCapacity(input({ pools: [pool({ count: 3, ...over })] }), NOW);
      expect(plan.resizes).toEqual([]);
      expect(plan.reasons).toEqual([reason]);
    }
    expect(planCapacity(input({ pools: [pool({ count: 3 })] }), NOW).resizes).toEqual([]); // not idle
  });

  it('does not shrink a pool the waiting jobs fit on', () => {
    const plan = planCapacity(input({ pools: [pool({ count: 2, idleSince: idle })], waiting: [job('j', 8)] }), NOW);
    expect(plan.resizes).toEqual([]);
    expect(plan.covered.map((c) => c.jobId)).toEqual(['j']);
  });

  it('lowers an autoscaled pool\'s minCount and leaves the nodes to the autoscaler', () => {
    const plan = planCapacity(input({ pools: [pool({ autoscale: true, count: 4, minCount: 0, maxCount: 8, observedMin: 4, observedMax: 8, idleSince: idle })], allocatedGpus: new Map([[clusterId('westus3'), 8]]) }), NOW);
    expect(summary(plan)).toEqual(['aks-westus3-a/gpu1 min4-max8->min1-max8']);
    expect(plan.resizes[0]!.change).toEqual({ kind: 'autoscaleRange', minCount: 1, maxCount: 8 });
  });
});
