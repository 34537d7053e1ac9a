/**
 * Where does a job go? All regions are considered at once; each one that is not chosen says why
 * ("why not westus3: 0 free GPUs"). Pure and deterministic: same snapshot, same answer.
 *
 * Fast: the free GPUs of every cluster, grouped by region and sorted, are computed once per snapshot
 * (memoised on the snapshot object), so a placement looks at one candidate per region.
 */
import { acceptsWork } from '../fleet/regionHealth.js';
import type { ClusterSpec, RegionName } from '../fleet/types.js';
import type { JobMessage } from '../jobs/jobSpec.js';
import { allocatedGpus, clusterGpus, type FleetSnapshot } from './snapshot.js';

export interface Rejection {
  readonly region: RegionName;
  readonly why: string;
}

export type Placement =
  | { readonly placed: true; readonly cluster: ClusterSpec; readonly freeGpus: number; readonly why: string; readonly rejected: readonly Rejection[] }
  | { readonly placed: false; readonly why: string; readonly rejected: readonly Rejection[] };

/** `avoidClusters`: clusters that recently refused this job (they are skipped, with the reason given). */
export function place(snapshot: FleetSnapshot, job: JobMessage, avoidClusters: ReadonlySet<string> = new Set()): Placement {
  const first = placeAvoiding(snapshot, job, new Set(job.excludeRegions ?? []), avoidClusters);
  if (first.placed || !job.excludeRegions?.length) return first;
  // A region the job was moved away from is only avoided while something better exists: once it is
  // healthy again (after its hold-down) and nothing else fits, it may take the job back.
  const second = placeAvoiding(snapshot, job, new Set(), avoidClusters);
  if (!second.placed) return first;
  return { ...second, why: `${second.why}; ${second.cluster.region} was excluded for this job but is healthy again and nothing else fits`, rejected: first.rejected.filter((r) => r.region !== second.cluster.region) };
}

/** Free GPUs per cluster, now. */
export function freeGpusOf(snapshot: FleetSnapshot, cluster: ClusterSpec): number {
  return indexOf(snapshot).free.get(cluster.id) ?? clusterGpus(snapshot, cluster) - allocatedGpus(snapshot.ledgers.get(cluster.id));
}

interface Index {
  /** Clusters per region, most free GPUs first, then by id. */
  readonly byRegion: ReadonlyMap<RegionName, readonly ClusterSpec[]>;
  readonly free: ReadonlyMap<string, number>;
}
const indexes = new WeakMap<FleetSnapshot, Index>();

function indexOf(snapshot: FleetSnapshot): Index {
  let index = indexes.get(snapshot);
  if (index) return index;
  const byRegion = new Map<RegionName, ClusterSpec[]>();
  const free = new Map<string, number>();
  for (const c of snapshot.clusters) {
    free.set(c.id, clusterGpus(snapshot, c) - allocatedGpus(snapshot.ledgers.get(c.id)));
    const list = byRegion.get(c.region);
    if (list) list.push(c); else byRegion.set(c.region, [c]);
  }
  for (const list of byRegion.values()) list.sort((a, b) => free.get(b.id)! - free.get(a.id)! || a.id.localeCompare(b.id));
  index = { byRegion, free };
  indexes.set(snapshot, index);
  return index;
}

function placeAvoiding(snapshot: FleetSnapshot, job: JobMessage, excluded: ReadonlySet<string>, avoidClusters: ReadonlySet<string>): Placement {
  const { byRegion, free } = indexOf(snapshot);
  const rejected: Rejection[] = [];
  const candidates: Array<{ cluster: ClusterSpec; free: number }> = [];
  const allowed = job.regions ? new Set(job.regions) : undefined;
  for (const region of snapshot.regions) {
    if (allowed && !allowed.has(region)) { rejected.push({ region, why: 'not in the job\'s allowed regions' }); continue; }
    if (excluded.has(region)) { rejected.push({ region, why: 'excluded for this job (it was moved away from here)' }); continue; }
    const health = snapshot.health.get(region);
    if (!acceptsWork(health)) { rejected.push({ region, why: `${health!.state}: ${health!.reason}` }); continue; }
    const inRegion = byRegion.get(region) ?? [];
    // Sorted by free GPUs: the first cluster not avoided is the region's best.
    const best = inRegion.find((c) => !avoidClusters.has(c.id));
    if (inRegion.length > 0 && !best) { rejected.push({ region, why: 'its clusters recently failed to take this job' }); continue; }
    const bestFree = best ? free.get(best.id)! : 0;
    if (!best || bestFree < job.gpus) { rejected.push({ region, why: `${Math.max(0, bestFree)} free GPUs on its best cluster, job needs ${job.gpus}` }); continue; }
    candidates.push({ cluster: best, free: bestFree });
  }
  if (candidates.length === 0) {
    return { placed: false, why: `no healthy cluster has ${job.gpus} free GPUs`, rejected };
  }
  // Most free GPUs first spreads load and leaves the tightest clusters for small jobs to fill; id breaks ties.
  candidates.sort((a, b) => b.free - a.free || a.cluster.id.localeCompare(b.cluster.id));
  const chosen = candidates[0]!;
  for (const c of candidates.slice(1)) {
    rejected.push({ region: c.cluster.region, why: `fits, but ${c.free} free GPUs < ${chosen.free} on ${chosen.cluster.name}` });
  }
  return { placed: true, cluster: chosen.cluster, freeGpus: chosen.free, why: `${chosen.cluster.name} in ${chosen.cluster.region} has ${chosen.free} free GPUs`, rejected };
}
