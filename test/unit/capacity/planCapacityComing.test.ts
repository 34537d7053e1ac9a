/** Nodes a settled scale-up brought are not free again once the jobs it was for run on them. */
import { describe, expect, it } from 'vitest';
import { planCapacity, type WaitingJob } from '../../../shared/capacity/planCapacity.js';
import type { Reservation } from '../../../shared/capacity/ledger.js';
import { A100, clusterId, input, NOW, pool, read, SUB } from './support.js';

const FAM = 'StandardNCADSA100v4Family';
const job = (jobId: string, gpus: number): WaitingJob => ({ jobId, gpus, waitingSince: NOW.toISOString() });
// westus3-a grew 6 → 10 single-A100 nodes for j1 and j2 (2 GPUs each); both run there now.
const grown: Reservation = {
  key: 'r1', subscriptionId: SUB, region: 'westus3', family: FAM, spot: false, vcpus: 96, expiresAt: new Date(NOW.getTime() + 600_000).toISOString(),
  clusterId: clusterId('westus3'), pool: 'gpu1', fromCount: 6, targetCount: 10, nodes: 4, jobs: ['j1', 'j2'], gpusFromFree: 0, settledAt: NOW.toISOString(),
};

describe('coming nodes already in use', () => {
  it('a job arriving after the grown-for jobs were placed does not "fit on nodes already coming": the pool grows again', () => {
    const plan = planCapacity(input({
      pools: [pool({ vmSize: A100, count: 10, maxCount: 16, lastPutAt: new Date(NOW.getTime() - 120_000).toISOString() })],
      reads: [read('westus3', { [FAM]: [240, 1000] })], reservations: [grown],
      allocatedGpus: new Map([[clusterId('westus3'), 10]]), // 6 jobs' GPUs on the old nodes + j1 and j2 on the new ones
      waiting: [job('late', 2)],
    }), NOW);
    expect(plan.covered.find((c) => c.jobId === 'late')?.why ?? '').not.toMatch(/already coming/);
    expect(plan.resizes).toEqual([expect.objectContaining({ from: 10, to: 12, jobs: ['late'] })]);
  });

  it('with the coming nodes still free (the jobs they were for went elsewhere), a late job takes them', () => {
    const plan = planCapacity(input({
      pools: [pool({ vmSize: A100, count: 10, maxCount: 16, lastPutAt: new Date(NOW.getTime() - 120_000).toISOString() })],
      reads: [read('westus3', { [FAM]: [240, 1000] })], reservations: [grown],
      allocatedGpus: new Map([[clusterId('westus3'), 6]]),
      waiting: [job('late', 2)],
    }), NOW);
    expect(plan.resizes).toEqual([]);
    // Settled: the nodes are there, free like any other (not "coming").
    expect(plan.covered).toEqual([expect.objectContaining({ jobId: 'late', byResize: false, why: expect.stringMatching(/GPUs free/) })]);
  });
});
