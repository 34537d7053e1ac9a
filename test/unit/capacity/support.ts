/** Builders for capacity tests: pools, usages, inputs. */
import type { RegionHealth } from '../../../shared/fleet/types.js';
import type { PoolState } from '../../../shared/ports/nodePools.js';
import type { QuotaUsage } from '../../../shared/ports/quota.js';
import type { PoolSpec } from '../../../shared/capacity/fleetPools.js';
import { ledgerOf, type UsageRead } from '../../../shared/capacity/ledger.js';
import type { CapacityInput, CapacityPool } from '../../../shared/capacity/planCapacity.js';
import { DEFAULT_CATALOGUE } from '../../../shared/capacity/vmSizes.js';

export const NOW = new Date('2026-11-28T12:00:00.000Z');
export const ago = (ms: number, now = NOW): string => new Date(now.getTime() - ms).toISOString();
export const SUB = 'sub-1';

export const H100 = 'Standard_ND96isr_H100_v5'; // 96 vCPU, 8 GPUs, standardNDSH100v5Family
export const A100 = 'Standard_NC24ads_A100_v4'; // 24 vCPU, 1 GPU, StandardNCADSA100v4Family
export const A100x4 = 'Standard_NC96ads_A100_v4'; // 96 vCPU, 4 GPUs, StandardNCADSA100v4Family

export const clusterId = (region: string, suffix = 'a', sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/rg-${region}/providers/Microsoft.ContainerService/managedClusters/aks-${region}-${suffix}`;

export interface PoolOpts {
  region?: string; cluster?: string; sub?: string; name?: string; vmSize?: string; count?: number; minCount?: number; maxCount?: number;
  spot?: boolean; autoscale?: boolean; provisioningState?: string; lastPutAt?: string; idleSince?: string; allocatedGpus?: number;
  observedMin?: number; observedMax?: number; unread?: boolean;
}

export function pool(o: PoolOpts = {}): CapacityPool {
  const region = o.region ?? 'westus3';
  const id = clusterId(region, o.cluster ?? 'a', o.sub ?? SUB);
  const spec: PoolSpec = {
    name: o.name ?? 'gpu1', vmSize: o.vmSize ?? H100, minCount: o.minCount ?? 0, maxCount: o.maxCount ?? 10,
    spot: o.spot ?? false, autoscale: o.autoscale ?? false,
  };
  const observed: PoolState = {
    ref: { clusterId: id, pool: spec.name }, vmSize: spec.vmSize, count: o.count ?? 0, autoscale: spec.autoscale, spot: spec.spot,
    provisioningState: o.provisioningState ?? 'Succeeded', eTag: '"1"',
    ...(spec.autoscale ? { minCount: o.observedMin ?? spec.minCount, maxCount: o.observedMax ?? spec.maxCount } : {}),
  };
  return {
    clusterId: id, region, spec,
    ...(o.unread ? {} : { observed }),
    ...(o.lastPutAt ? { lastPutAt: o.lastPutAt } : {}),
    ...(o.idleSince ? { idleSince: o.idleSince } : {}),
    ...(o.allocatedGpus !== undefined ? { allocatedGpus: o.allocatedGpus } : {}),
  };
}

export const usage = (name: string, used: number, limit: number): QuotaUsage => ({ name, used, limit });

/** A usages read with `cores`, `lowPriorityCores` and the given families (name → [used, limit]). */
export function read(region: string, families: Record<string, [number, number]>, cores: [number, number] = [0, 10_000], low: [number, number] = [0, 10_000], sub = SUB, readAt = ago(60_000)): UsageRead {
  return {
    subscriptionId: sub, region, readAt,
    usages: [usage('cores', ...cores), usage('lowPriorityCores', ...low), ...Object.entries(families).map(([n, [u, l]]) => usage(n, u, l))],
  };
}

export function input(over: Partial<CapacityInput> & { reads?: UsageRead[] }): CapacityInput {
  const { reads, ...rest } = over;
  return {
    pools: [], catalogue: DEFAULT_CATALOGUE, ledger: ledgerOf(reads ?? []), reservations: [], blocks: [],
    health: new Map<string, RegionHealth>(), allocatedGpus: new Map(), waiting: [],
    ...rest,
  };
}

export const impaired = (region: string): RegionHealth => ({ region, state: 'impaired', since: NOW.toISOString(), reason: 'incident TRK-1 active', incidents: {} });
