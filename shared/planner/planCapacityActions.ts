/**
 * Capacity, as part of a plan: jobs that wait because nothing fits make the best pools grow within
 * quota; pools idle past their cool-down shrink. Pure: it adapts the snapshot to planCapacity and turns
 * its decisions into actions (each with the decision's deterministic key).
 */
import { planCapacity, type CapacityPool, type WaitingJob } from '../capacity/planCapacity.js';
import type { Action } from './plan.js';
import { allocatedGpus, lostNodes, type FleetSnapshot } from './snapshot.js';
import { gpusPerNode } from '../capacity/placementLimits.js';
import type { ClusterSpec, JobRecord } from '../fleet/types.js';

const PENDING: ReadonlySet<string> = new Set(['waiting', 'queued', 'requeued']);

export function planCapacityActions(snapshot: FleetSnapshot, now: Date): { actions: Action[]; reasons: string[] } {
  const capacity = snapshot.capacity;
  if (!capacity) return { actions: [], reasons: [] };
  const records = new Map(capacity.pools.map((p) => [`${p.clusterId}|${p.pool}`, p]));
  const pools: CapacityPool[] = snapshot.clusters.flatMap((c) => c.pools.map((spec) => {
    const record = records.get(`${c.id}|${spec.name}`);
    return {
      clusterId: c.id, region: c.region, spec,
      // A pool whose last read failed is treated as unread: neither grown nor shrunk on stale data.
      ...(record?.observed && !record.readFailedAt ? { observed: record.observed } : {}),
      ...(record?.lastPutAt ? { lastPutAt: record.lastPutAt } : {}),
      ...(record?.idleSince ? { idleSince: record.idleSince } : {}),
    };
  }));
  // Jobs on their way to placement (queued, requeued by a move) count as well as those already waiting: planning
  // for one of them at a time would grow pools piecemeal, each pool then busy for minutes. planCapacity fits them into free GPUs first, so this never grows a
  // pool for a job that fits as things are.
  // So do jobs still running where they are about to be moved from (an impaired region, a node being drained):
  // the first of them admitted elsewhere must not grow pools for itself alone.
  const impaired = new Set([...snapshot.health.values()].filter((h) => h.state === 'impaired').map((h) => h.region));
  const leaving = (j: JobRecord) => j.state === 'running' && (!!j.drainingFrom || (j.region !== undefined && impaired.has(j.region)));
  const waiting: WaitingJob[] = snapshot.jobs.filter((j) => PENDING.has(j.state) || leaving(j)).map((j) => ({
    jobId: j.jobId, gpus: j.spec.gpus, ...(j.spec.priority !== undefined ? { priority: j.spec.priority } : {}),
    ...(j.spec.gpuType ? { gpuType: j.spec.gpuType } : {}), ...(j.spec.regions ? { allowedRegions: j.spec.regions } : {}),
    ...(j.excludeRegions.length ? { excludeRegions: j.excludeRegions } : {}), waitingSince: j.updatedAt,
  }));
  const plan = planCapacity({
    pools, catalogue: capacity.catalogue, ledger: capacity.ledger, reservations: capacity.reservations, blocks: capacity.blocks,
    // A failed node is still counted by ARM but offers nothing: its GPUs count as taken, as placement sees it
    // (clusterGpus), so the planner grows the pool instead of waiting on capacity that is not there.
    health: snapshot.health, allocatedGpus: new Map(snapshot.clusters.map((c) => [c.id, allocatedGpus(snapshot.ledgers.get(c.id)) + failedGpus(snapshot, c)])),
    waiting, policy: { scaleDownCooldownMs: snapshot.policy.scaleDownCooldownMs },
  }, now);
  return {
    actions: plan.resizes.map((decision) => ({ kind: 'resizePool', key: decision.key, decision, reason: decision.reason })),
    reasons: [...plan.reasons],
  };
}

/** GPUs on a cluster's nodes in an open failure episode (of its managed pools). */
function failedGpus(snapshot: FleetSnapshot, cluster: ClusterSpec): number {
  const catalogue = snapshot.capacity!.catalogue;
  return lostNodes(snapshot, cluster.id).reduce((n, f) => {
    const spec = cluster.pools.find((p) => p.name === (f.pool ?? cluster.pools[0]?.name));
    const record = snapshot.capacity!.pools.find((p) => p.clusterId === cluster.id && p.pool === spec?.name);
    return n + (spec ? gpusPerNode(catalogue, record?.observed?.vmSize ?? spec.vmSize) : 0);
  }, 0);
}
