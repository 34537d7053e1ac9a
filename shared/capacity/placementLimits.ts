/** Helpers for intake placement: GPU capacity from pools, and what is blocked in a region (for reasons). */
import type { CapacityBlock } from './capacityErrors.js';
import { lookupVmSize, type VmCatalogue } from './vmSizes.js';

/** GPUs per node of a size; 0 when the size is not in the catalogue. */
export const gpusPerNode = (catalogue: VmCatalogue, vmSize: string): number => lookupVmSize(catalogue, vmSize)?.gpus ?? 0;

/** count × GPUs per node. */
export const poolGpus = (catalogue: VmCatalogue, pool: { readonly vmSize: string; readonly count: number }): number =>
  Math.max(0, pool.count) * gpusPerNode(catalogue, pool.vmSize);

/** A cluster's GPU capacity: the sum over its GPU pools (observed counts). */
export const clusterGpuCapacity = (catalogue: VmCatalogue, pools: readonly { readonly vmSize: string; readonly count: number }[]): number =>
  pools.reduce((sum, p) => sum + poolGpus(catalogue, p), 0);

export interface BlockedFamily {
  readonly family: string;
  readonly errorClass: 'quotaExceeded' | 'capacityUnavailable';
  readonly code: string;
  readonly until: string;
  readonly reason: string;
}

/** Region × family blocks in force in `region` at `now`, soonest to lift first. */
export function blockedFamilies(entries: readonly CapacityBlock[], region: string, now: Date): BlockedFamily[] {
  const t = now.getTime();
  const r = region.toLowerCase();
  return entries
    .filter((e): e is Extract<CapacityBlock, { scope: 'regionFamily' }> => e.scope === 'regionFamily' && e.region.toLowerCase() === r && Date.parse(e.until) > t)
    .map((e) => ({ family: e.family, errorClass: e.errorClass, code: e.code, until: e.until, reason: e.reason }))
    .sort((a, b) => a.until.localeCompare(b.until) || a.family.localeCompare(b.family));
}
