/** Capacity planning sees failed nodes the way placement does: their GPUs are not free. */
import { describe, expect, it } from 'vitest';
import { ledgerOf } from '../../../shared/capacity/ledger.js';
import { DEFAULT_CATALOGUE } from '../../../shared/capacity/vmSizes.js';
import type { ClusterSpec, JobRecord } from '../../../shared/fleet/types.js';
import type { NodeIncident } from '../../../shared/nodes/nodeIncident.js';
import { planCapacityActions } from '../../../shared/planner/planCapacityActions.js';
import { clusterGpus } from '../../../shared/planner/snapshot.js';
import { NOW, snapshot } from '../../support/builders.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const EAST: ClusterSpec = {
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-eastus2`, name: 'aks-eastus2', region: 'eastus2', gpus: 0,
  rayEndpoint: 'http://ray.invalid', pools: [{ name: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', minCount: 0, maxCount: 10, spot: false, autoscale: false }],
};
const failed = (node: string): NodeIncident => ({
  clusterId: EAST.id, region: 'eastus2', node, pool: 'gpu', cause: 'gpuFault', openedAt: NOW.toISOString(), lastAt: NOW.toISOString(), bad: true,
  flaps: 0, replace: true, detail: 'XID 79', signals: ['s'], drainedAt: NOW.toISOString(),
});
const waiting: JobRecord = { jobId: 'w', spec: { jobId: 'w', entrypoint: 'x', gpus: 2 }, state: 'waiting', attempt: 2, excludeRegions: [], waits: 1, updatedAt: NOW.toISOString(), history: [] };

function fleet(nodes: NodeIncident[]) {
  return snapshot({
    clusters: [EAST], jobs: [waiting], nodes,
    ledgers: new Map([[EAST.id, { clusterId: EAST.id, allocations: { 'r-1': 2 } }]]),
    capacity: {
      catalogue: DEFAULT_CATALOGUE, reservations: [], blocks: [],
      pools: [{ clusterId: EAST.id, pool: 'gpu', observedAt: NOW.toISOString(), observed: { ref: { clusterId: EAST.id, pool: 'gpu' }, vmSize: 'Standard_NC24ads_A100_v4', count: 4, autoscale: false, spot: false, provisioningState: 'Succeeded', eTag: 'e' } }],
      ledger: ledgerOf([{ subscriptionId: SUB, region: 'eastus2', readAt: NOW, usages: [{ name: 'standardNCADSA100v4Family', used: 96, limit: 480 }, { name: 'cores', used: 96, limit: 1000 }] }]),
    },
  });
}

describe('failed nodes in capacity planning', () => {
  it('with nothing failed, the 2 free GPUs serve the waiting job: no resize', () => {
    expect(planCapacityActions(fleet([]), NOW).actions).toEqual([]);
  });

  it('two failed (cordoned) nodes leave no free GPU: the pool grows for the waiting job, as placement would expect', () => {
    const s = fleet([failed('aks-gpu-12345678-vmss000001'), failed('aks-gpu-12345678-vmss000002')]);
    expect(clusterGpus(s, EAST)).toBe(2);
    const [resize] = planCapacityActions(s, NOW).actions;
    expect(resize).toMatchObject({ kind: 'resizePool', decision: { from: 4, to: 6 } });
  });
});
