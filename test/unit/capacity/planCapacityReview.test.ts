/** Review of planCapacity with queued jobs as demand and settled scale-ups: growth the jobs can use, no more. */
import { describe, expect, it } from 'vitest';
import { planCapacity, type WaitingJob } from '../../../shared/capacity/planCapacity.js';
import type { Reservation } from '../../../shared/capacity/ledger.js';
import { A100, ago, clusterId, input, NOW, pool, read, SUB } from './support.js';

const A = 'StandardNCADSA100v4Family';
const H = 'standardNDSH100v5Family';
const job = (jobId: string, gpus: number, over: Partial<WaitingJob> = {}): WaitingJob => ({ jobId, gpus, waitingSince: NOW.toISOString(), ...over });

describe('a job whose scale-up landed while others took its nodes', () => {
  // westus3-a grew 8 → 10 single-A100 nodes for j1 (2 GPUs); the scale-up settled, but a job placed while the nodes
  // were provisioning runs on them, and j1 still waits.
  const landed: Reservation = {
    key: 'r1', subscriptionId: SUB, region: 'westus3', family: A, spot: false, vcpus: 48, expiresAt: new Date(NOW.getTime() + 15 * 60_000).toISOString(),
    clusterId: clusterId('westus3'), pool: 'gpu1', fromCount: 8, targetCount: 10, nodes: 2, jobs: ['j1'], gpusFromFree: 0, settledAt: ago(60_000),
  };

  it('is planned for again, not told for the rest of the reservation that it fits on nodes "already coming for it"', () => {
    const plan = planCapacity(input({
      pools: [pool({ vmSize: A100, count: 10, maxCount: 16, lastPutAt: ago(5 * 60_000) })],
      reads: [read('westus3', { [A]: [240, 1000] })], reservations: [landed],
      allocatedGpus: new Map([[clusterId('westus3'), 10]]),
      waiting: [job('j1', 2)],
    }), NOW);
    expect(plan.covered.find((c) => c.jobId === 'j1')?.why ?? '').not.toMatch(/already coming/);
    expect(plan.resizes).toEqual([expect.objectContaining({ from: 10, to: 12, jobs: ['j1'] })]);
  });

  it('still takes the new nodes when they are free (no growth)', () => {
    const plan = planCapacity(input({
      pools: [pool({ vmSize: A100, count: 10, maxCount: 16, lastPutAt: ago(5 * 60_000) })],
      reads: [read('westus3', { [A]: [240, 1000] })], reservations: [landed],
      allocatedGpus: new Map([[clusterId('westus3'), 8]]),
      waiting: [job('j1', 2)],
    }), NOW);
    expect(plan.resizes).toEqual([]);
    expect(plan.covered).toEqual([expect.objectContaining({ jobId: 'j1', byResize: false })]);
  });
});

describe('a pool whose scale-up just landed', () => {
  it('is not shrunk while that scale-up\'s reservation lives, even idle past the cool-down (the nodes just came)', () => {
    const grown: Reservation = {
      key: 'r2', subscriptionId: SUB, region: 'westus3', family: A, spot: false, vcpus: 72, expiresAt: new Date(NOW.getTime() + 10 * 60_000).toISOString(),
      clusterId: clusterId('westus3'), pool: 'gpu1', fromCount: 9, targetCount: 12, nodes: 3, jobs: [], settledAt: ago(60_000),
    };
    const plan = planCapacity(input({
      pools: [pool({ vmSize: A100, count: 12, maxCount: 16, lastPutAt: ago(6 * 60_000), idleSince: ago(11 * 60_000) })],
      reads: [read('westus3', { [A]: [288, 1000] })], reservations: [grown],
      allocatedGpus: new Map([[clusterId('westus3'), 8]]),
    }), NOW);
    expect(plan.resizes).toEqual([]);
    expect(plan.reasons).toContain('pool gpu1 on aks-westus3-a: not shrunk: a scale-up is in flight or just landed');
  });
});

describe('a queued job that may go back to a region it was moved away from', () => {
  it('needs no growth when that region has free GPUs now and no other does (placement takes them)', () => {
    const pools = [pool({ region: 'eastus2', count: 1 }), pool({ region: 'westus3', count: 0 })];
    const reads = [read('eastus2', { [H]: [96, 960] }), read('westus3', { [H]: [0, 960] })];
    const plan = planCapacity(input({ pools, reads, waiting: [job('j', 8, { excludeRegions: ['eastus2'] })] }), NOW);
    expect(plan.resizes).toEqual([]);
    expect(plan.covered).toEqual([expect.objectContaining({ jobId: 'j', clusterId: clusterId('eastus2'), byResize: false })]);
  });

  it('still grows outside the excluded region rather than in it, when both need new nodes', () => {
    const pools = [pool({ region: 'eastus2', count: 1 }), pool({ region: 'westus3', count: 0 })];
    const reads = [read('eastus2', { [H]: [96, 960] }), read('westus3', { [H]: [0, 960] })];
    const plan = planCapacity(input({ pools, reads, allocatedGpus: new Map([[clusterId('eastus2'), 8]]), waiting: [job('j', 8, { excludeRegions: ['eastus2'] })] }), NOW);
    expect(plan.resizes.map((r) => r.region)).toEqual(['westus3']);
  });
});
