import { describe, expect, it } from 'vitest';
import type { ClusterLedger, RegionHealth } from '../../../shared/fleet/types.js';
import { place } from '../../../shared/planner/placement.js';
import { cluster, NOW, snapshot } from '../../support/builders.js';

const clusters = [cluster('eastus2', 'a', 8), cluster('swedencentral', 'a', 8), cluster('westus3', 'a', 4)];
const impaired = (region: string): RegionHealth => ({ region, state: 'impaired', since: NOW.toISOString(), reason: 'incident TRK-1 active', incidents: {} });
const job = { jobId: 'j', entrypoint: 'python train.py', gpus: 4 };

describe('place', () => {
  it('picks the cluster with most free GPUs and says why the others were not chosen', () => {
    const ledgers = new Map([[clusters[0]!.id, { clusterId: clusters[0]!.id, allocations: { 'x-1': 6 } }]]);
    const p = place(snapshot({ clusters, ledgers }), job);
    expect(p.placed && p.cluster.name).toBe('aks-swedencentral-a');
    expect(p.rejected).toEqual([
      { region: 'eastus2', why: '2 free GPUs on its best cluster, job needs 4' },
      { region: 'westus3', why: 'fits, but 4 free GPUs < 8 on aks-swedencentral-a' },
    ]);
  });

  it('never places in an impaired region or one the job is excluded from', () => {
    const health = new Map([['swedencentral', impaired('swedencentral')]]);
    const p = place(snapshot({ clusters, health }), { ...job, excludeRegions: ['eastus2'] });
    expect(p.placed && p.cluster.region).toBe('westus3');
    expect(p.rejected.map((r) => r.region).sort()).toEqual(['eastus2', 'swedencentral']);
    expect(p.rejected.find((r) => r.region === 'swedencentral')?.why).toBe('impaired: incident TRK-1 active');
  });

  it('takes a job back into a region it was excluded from only once that region is healthy and nothing else fits', () => {
    const full = new Map<string, ClusterLedger>([[clusters[1]!.id, { clusterId: clusters[1]!.id, allocations: { 'x-1': 8 } }], [clusters[2]!.id, { clusterId: clusters[2]!.id, allocations: { 'y-1': 4 } }]]);
    const back = place(snapshot({ clusters, ledgers: full }), { ...job, excludeRegions: ['eastus2'] });
    expect(back.placed && back.cluster.region).toBe('eastus2');
    expect(back.placed && back.why).toContain('was excluded for this job but is healthy again');
    const stillDown = place(snapshot({ clusters, ledgers: full, health: new Map([['eastus2', impaired('eastus2')]]) }), { ...job, excludeRegions: ['eastus2'] });
    expect(stillDown.placed).toBe(false);
  });

  it('respects the job\'s allowed regions', () => {
    const p = place(snapshot({ clusters }), { ...job, regions: ['westus3'] });
    expect(p.placed && p.cluster.region).toBe('westus3');
  });

  it('waits when nothing fits, with a reason for every region', () => {
    const p = place(snapshot({ clusters }), { ...job, gpus: 16 });
    expect(p.placed).toBe(false);
    expect(p.why).toBe('no healthy cluster has 16 free GPUs');
    expect(p.rejected).toHaveLength(3);
  });

  it('is deterministic: equal clusters tie-break by id', () => {
    const twins = [cluster('eastus2', 'b', 8), cluster('eastus2', 'a', 8)];
    const a = place(snapshot({ clusters: twins }), job);
    const b = place(snapshot({ clusters: [...twins].reverse() }), job);
    expect(a.placed && a.cluster.name).toBe('aks-eastus2-a');
    expect(b.placed && b.cluster.name).toBe('aks-eastus2-a');
  });
});
