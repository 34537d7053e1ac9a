/** Small builders for fleet snapshots and signals, so planner tests read as tables. */
import { DEFAULT_POLICY, type ClusterSpec, type JobRecord, type Policy, type RegionHealth } from '../../shared/fleet/types.js';
import type { FleetSnapshot } from '../../shared/planner/snapshot.js';
import type { RegionOutageSignal } from '../../shared/signals/types.js';

export const NOW = new Date('2026-11-28T12:00:00.000Z');

export const cluster = (region: string, suffix: string, gpus = 8): ClusterSpec => ({
  id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${region}-${suffix}`,
  name: `aks-${region}-${suffix}`, region, gpus, pools: [], rayEndpoint: `http://ray-${region}-${suffix}.invalid`,
});

export function runningJob(jobId: string, c: ClusterSpec, over: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId, spec: { jobId, entrypoint: 'python train.py', gpus: 2, checkpointPrefix: `runs/${jobId}/` }, state: 'running', attempt: 1,
    region: c.region, clusterId: c.id, submissionId: `${jobId}-1`, excludeRegions: [], waits: 0,
    updatedAt: NOW.toISOString(), history: [], ...over,
  };
}

export function snapshot(over: Partial<FleetSnapshot> & { clusters: ClusterSpec[] }, policy: Partial<Policy> = {}): FleetSnapshot {
  return {
    regions: [...new Set(over.clusters.map((c) => c.region))],
    health: new Map<string, RegionHealth>(),
    jobs: [],
    ledgers: new Map(),
    policy: { ...DEFAULT_POLICY, ...policy },
    ...over,
  };
}

export function outage(regions: string[], stage: 'active' | 'resolved' = 'active', over: Partial<RegionOutageSignal> = {}): RegionOutageSignal {
  return {
    kind: 'regionOutage', id: `alert-${regions.join('-')}:${stage === 'active' ? 'Fired' : 'Resolved'}`, source: 'commonAlert',
    observedAt: NOW.toISOString(), regions, services: ['Virtual Machines'], trackingId: 'TRK-1', stage, ...over,
  };
}
