import type { CapacityBlock } from '../capacity/capacityErrors.js';
import type { QuotaLedger, Reservation } from '../capacity/ledger.js';
import { gpusPerNode } from '../capacity/placementLimits.js';
import type { VmCatalogue } from '../capacity/vmSizes.js';
import type { ClusterLedger, ClusterSpec, JobRecord, Policy, RegionHealth, RegionName } from '../fleet/types.js';
import type { PoolRecord } from '../state/capacityState.js';
import { isOpen, type NodeIncident } from '../nodes/nodeIncident.js';
import type { Approval, Failover, Freeze, Hold } from '../state/opsState.js';

/** Observed capacity: pools as ARM reports them, the quota ledger, reservations, capacity blocks. */
export interface CapacitySnapshot {
  readonly catalogue: VmCatalogue;
  readonly pools: readonly PoolRecord[];
  readonly ledger: QuotaLedger;
  readonly reservations: readonly Reservation[];
  readonly blocks: readonly CapacityBlock[];
}

/** What the planner sees: the declared fleet plus observed state, read just before planning. */
export interface FleetSnapshot {
  readonly regions: readonly RegionName[];
  readonly clusters: readonly ClusterSpec[];
  readonly health: ReadonlyMap<RegionName, RegionHealth>;
  readonly jobs: readonly JobRecord[];
  readonly ledgers: ReadonlyMap<string, ClusterLedger>;
  readonly policy: Policy;
  /** Absent in plans that do not concern capacity (and in small unit tests). */
  readonly capacity?: CapacitySnapshot;
  /** Node failure episodes (absent in small unit tests: no node is failing). */
  readonly nodes?: readonly NodeIncident[];
  /** The operator's levers: absent means not frozen, no holds. */
  readonly ops?: { readonly freeze: Freeze; readonly holds: readonly Hold[]; readonly failovers?: readonly Failover[]; readonly approvals?: readonly Approval[] };
}

export const allocatedGpus = (ledger: ClusterLedger | undefined): number =>
  ledger ? Object.values(ledger.allocations).reduce((a, b) => a + b, 0) : 0;

/**
 * GPUs a cluster offers now: for managed pools, count × GPUs per node as ARM last reported them (a pool
 * not read yet counts its minCount, a pool being shrunk its target); otherwise the declared `gpus`.
 * Nodes in an open failure episode offer nothing (ARM still counts them until AKS repairs or deletes them).
 */
export function clusterGpus(snapshot: FleetSnapshot, cluster: ClusterSpec): number {
  const failed = lostNodes(snapshot, cluster.id);
  if (cluster.pools.length === 0 || !snapshot.capacity) return Math.max(0, cluster.gpus - failed.length); // node sizes unknown: at least one GPU each
  const { catalogue, pools } = snapshot.capacity;
  let gpus = 0;
  for (const spec of cluster.pools) {
    const record = pools.find((p) => p.clusterId === cluster.id && p.pool === spec.name);
    // Until a pool is first read, assume its floor; while it shrinks, count only what it shrinks to.
    const nodes = record?.observed ? Math.min(record.observed.count, record.shrinkingTo ?? Infinity) : spec.minCount;
    const lost = failed.filter((n) => (n.pool ?? cluster.pools[0]!.name) === spec.name).length;
    gpus += Math.max(0, nodes - lost) * gpusPerNode(catalogue, record?.observed?.vmSize ?? spec.vmSize);
  }
  return gpus;
}

/**
 * Failed nodes that still take a node off what ARM counts: those in an open episode, and those whose episode closed
 * with the node left cordoned (a GPU fault: until someone uncordons it) — not those whose VM is gone (ARM no longer
 * counts them, so subtracting them again would count one failure twice).
 */
export function lostNodes(snapshot: FleetSnapshot, clusterId: string): NodeIncident[] {
  return (snapshot.nodes ?? []).filter((n) => (!n.closedAt || n.leftCordoned) && !n.goneAt && n.clusterId.toLowerCase() === clusterId.toLowerCase());
}

/** Nodes of a cluster in an open failure episode: cordoned (or about to be) until the episode closes. */
export function failedNodes(snapshot: FleetSnapshot, clusterId: string): NodeIncident[] {
  return (snapshot.nodes ?? []).filter((n) => isOpen(n) && n.clusterId.toLowerCase() === clusterId.toLowerCase());
}
