/**
 * Replacement capacity for failed nodes: their pool grows by one node per failed node, within maxCount and
 * quota, in one resize per pool (several nodes failing together are one PUT). Pure.
 *
 * The resize key has planCapacity's format, so when both planners want the same growth from the same
 * observed pool they agree on one action and one PUT.
 */
import { acceptsWork } from '../fleet/regionHealth.js';
import type { ClusterSpec, RegionName } from '../fleet/types.js';
import type { FleetSnapshot } from '../planner/snapshot.js';
import { headroomVcpus, type Reservation } from '../capacity/ledger.js';
import { isPoolBlocked } from './capacityErrors.js';
import { blockedFamilies } from './placementLimits.js';
import { subscriptionOf, DEFAULT_CAPACITY_POLICY, type ResizeDecision } from './planCapacity.js';
import { lookupVmSize } from './vmSizes.js';
import { isAtRest } from './poolStates.js';

export interface FailedNodeRef {
  readonly clusterId: string;
  readonly node: string;
  readonly pool?: string;
  readonly openedAt: string;
}

export type ReplacementPlan =
  | { readonly kind: 'resize'; readonly decision: ResizeDecision; readonly nodes: readonly FailedNodeRef[] }
  /** Cannot be done, and planning again will not change that soon: record why. */
  | { readonly kind: 'impossible'; readonly why: string; readonly nodes: readonly FailedNodeRef[] }
  /** Not now (a PUT within the minute, an operation in progress, pool not read yet): reconcile tries again. */
  | { readonly kind: 'later'; readonly why: string; readonly nodes: readonly FailedNodeRef[] };

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

export function planReplacements(snapshot: FleetSnapshot, failed: readonly FailedNodeRef[], now: Date): ReplacementPlan[] {
  const byPool = new Map<string, { cluster: ClusterSpec | undefined; pool: string | undefined; nodes: FailedNodeRef[] }>();
  for (const f of failed) {
    const cluster = snapshot.clusters.find((c) => c.id.toLowerCase() === f.clusterId.toLowerCase());
    const key = `${f.clusterId.toLowerCase()}|${f.pool ?? ''}`;
    const entry = byPool.get(key) ?? { cluster, pool: f.pool, nodes: [] };
    entry.nodes.push(f);
    byPool.set(key, entry);
  }
  return [...byPool.values()].map(({ cluster, pool, nodes }) => planPool(snapshot, cluster, pool, nodes, now));
}

function planPool(snapshot: FleetSnapshot, cluster: ClusterSpec | undefined, poolName: string | undefined, nodes: readonly FailedNodeRef[], now: Date): ReplacementPlan {
  const impossible = (why: string): ReplacementPlan => ({ kind: 'impossible', why, nodes });
  const later = (why: string): ReplacementPlan => ({ kind: 'later', why, nodes });
  if (!cluster) return impossible('the cluster is no longer in the fleet');
  const spec = cluster.pools.find((p) => p.name === poolName);
  if (!spec) return impossible(`pool ${poolName ?? '(unknown)'} of ${cluster.name} is not managed by the autopilot: AKS or an operator replaces the node`);
  const label = `${cluster.name}/${spec.name}`;
  const record = snapshot.capacity?.pools.find((p) => p.clusterId === cluster.id && p.pool === spec.name);
  const observed = record?.observed;
  if (!observed || record.readFailedAt) return later(`${label} not read yet; replaced once it is`);
  if (!acceptsWork(snapshot.health.get(cluster.region))) return impossible(`${cluster.region} is ${snapshot.health.get(cluster.region)!.state}: not growing there; the moved jobs find room elsewhere`);
  if (observed.autoscale) return impossible(`${label} is autoscaled: the cluster autoscaler replaces the node when pods wait for it`);
  if (!isAtRest(observed.provisioningState)) return later(`${label} is ${observed.provisioningState}; replaced after the operation ends`);
  const lastPut = record.lastPutAt ? Date.parse(record.lastPutAt) : undefined;
  if (lastPut !== undefined && now.getTime() - lastPut < DEFAULT_CAPACITY_POLICY.putIntervalMs) {
    return later(`${label}: last PUT ${seconds(now.getTime() - lastPut)} ago (1 per ${seconds(DEFAULT_CAPACITY_POLICY.putIntervalMs)}); replaced on the next pass`);
  }
  const size = snapshot.capacity ? lookupVmSize(snapshot.capacity.catalogue, observed.vmSize) : undefined;
  const sub = subscriptionOf(cluster.id);
  if (!size || !sub) return impossible(`${label}: VM size ${observed.vmSize} or the subscription is unknown`);
  const room = spec.maxCount - observed.count;
  if (room <= 0) return impossible(`${label} is at maxCount ${spec.maxCount}`);
  const poolBlock = isPoolBlocked(snapshot.capacity!.blocks, cluster.id, spec.name, now);
  if (poolBlock.blocked) return later(`${label}: ${poolBlock.reason}`);
  const blocked = blockedFamilies(snapshot.capacity!.blocks, cluster.region, now).find((b) => b.family.toLowerCase() === size.family.toLowerCase());
  if (blocked) return later(`${size.family} in ${cluster.region} blocked until ${blocked.until} (${blocked.code})`);
  const headroom = headroomVcpus(snapshot.capacity!.ledger, { subscriptionId: sub, region: cluster.region, family: size.family, spot: observed.spot }, snapshot.capacity!.reservations, now);
  const add = Math.min(nodes.length, room, Math.floor(headroom.vcpus / size.vcpus));
  if (add <= 0) return impossible(`${label}: no quota for a replacement: ${headroom.reason}`);
  const from = observed.count;
  const to = from + add;
  const key = `resize:${cluster.id}/${spec.name}:${from}->${to}:after:${record.lastPutAt ?? 'none'}`;
  const reservation: Reservation = {
    key, subscriptionId: sub, region: cluster.region as RegionName, family: size.family, spot: observed.spot, vcpus: add * size.vcpus,
    expiresAt: new Date(now.getTime() + DEFAULT_CAPACITY_POLICY.reservationTtlMs).toISOString(),
    clusterId: cluster.id, pool: spec.name, fromCount: from, targetCount: to, nodes: add, jobs: [],
  };
  const names = nodes.slice(0, add).map((n) => n.node);
  const reason = `replace failed node${add === 1 ? '' : 's'} ${names.join(', ')}: grow ${label} ${from} → ${to} (${size.name}, +${add * size.vcpus} vCPU; ${headroom.reason})${add < nodes.length ? `; ${nodes.length - add} not replaced: ${to >= spec.maxCount ? `maxCount ${spec.maxCount}` : 'quota'}` : ''}`;
  return {
    kind: 'resize', nodes,
    decision: {
      key, clusterId: cluster.id, region: cluster.region, subscriptionId: sub, pool: spec.name, vmSize: size.name, direction: 'up', nodes: add,
      change: { kind: 'count', count: to }, reservation, jobs: [], reason, mode: 'count', from, to,
    },
  };
}
