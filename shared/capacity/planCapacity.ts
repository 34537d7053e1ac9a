/**
 * Capacity plan (DESIGN §5): which GPU pools to grow for the jobs that fit nowhere, and which idle pools to
 * shrink. Pure and deterministic: same input, same `now`, same plan.
 *
 * Up: waiting jobs, highest priority first, each needing one pool with enough GPUs (a job's GPUs are
 * fungible across the nodes of one pool). A job goes first where GPUs are free or already coming, else to
 * the eligible pool that needs the fewest vCPUs of quota to take it (a locality hook ranks before cost).
 * Growth is capped by the pool's maxCount and by the quota headroom of every bucket it draws on, spent
 * once across the whole plan (two pools in one region × family share it). A pool is grown at most once per
 * plan, and not within `putIntervalMs` of its last PUT (AKS refills one PUT per pool per minute); busy,
 * throttled, capacity-blocked or unhealthy-region pools are not grown. Partial fill: a pool grows by what
 * the headroom allows, in whole nodes and whole jobs; every job left waiting says why.
 *
 * In flight: each scale-up's reservation names its pool, the counts and the jobs it is for. Planning again
 * before it lands counts those jobs as served by the coming nodes and keeps those nodes (and the free GPUs
 * the jobs were to use) away from everyone else, so the same signals twice ask for nothing new.
 *
 * Down: a pool idle for `scaleDownCooldownMs` goes down to max(minCount, nodes its allocated GPUs need),
 * never below what running jobs use. Autoscaled pools only ever get a new minCount/maxCount, never a count.
 */
import { acceptsWork } from '../fleet/regionHealth.js';
import type { RegionHealth, RegionName } from '../fleet/types.js';
import type { PoolChange, PoolState } from '../ports/nodePools.js';
import { isBlocked, isPoolBlocked, type CapacityBlock } from './capacityErrors.js';
import type { PoolSpec } from './fleetPools.js';
import { bucketKey, bucketRoom, bucketsFor, describeRoom, liveReservations, reservedByBucket, type BucketRoom, type QuotaLedger, type Reservation } from './ledger.js';
import { lookupVmSize, type VmCatalogue, type VmSize } from './vmSizes.js';
import { isAtRest } from './poolStates.js';

export interface CapacityPolicy {
  /** At most one PUT per pool in this window (AKS: 1 per minute per pool). */
  readonly putIntervalMs: number;
  /** A pool must have been idle this long before it shrinks. */
  readonly scaleDownCooldownMs: number;
  /** How long a scale-up's reservation holds quota if nobody settles or releases it. */
  readonly reservationTtlMs: number;
}

export const DEFAULT_CAPACITY_POLICY: CapacityPolicy = {
  putIntervalMs: 60_000,
  scaleDownCooldownMs: 10 * 60_000,
  reservationTtlMs: 20 * 60_000,
};

/** One managed pool: what the fleet file declares and what ARM last said. */
export interface CapacityPool {
  readonly clusterId: string;
  readonly region: RegionName;
  readonly spec: PoolSpec;
  /** Undefined until the pool has been read: then it is neither grown nor shrunk. */
  readonly observed?: PoolState;
  /** ISO time of the last PUT sent for this pool (successful or not). */
  readonly lastPutAt?: string;
  /** ISO time since which the pool has had more nodes than its allocated GPUs need; absent: not idle. */
  readonly idleSince?: string;
  /**
   * GPUs in use on this pool, when known. Otherwise all of the cluster's allocated GPUs are assumed to
   * be on this pool's nodes (capped at their capacity; nodes an in-flight scale-up adds are free): never
   * shrinks under a running job; with several pools in one cluster it may grow a little early.
   */
  readonly allocatedGpus?: number;
}

export interface WaitingJob {
  readonly jobId: string;
  readonly gpus: number;
  /** Higher first; default 0. */
  readonly priority?: number;
  /** Matched case-insensitively against the VM size's `gpuType`. */
  readonly gpuType?: string;
  readonly allowedRegions?: readonly RegionName[];
  /** Regions the job was moved away from: used only when nothing else can take it (as placement does). */
  readonly excludeRegions?: readonly RegionName[];
  /** ISO; first come first served within a priority. */
  readonly waitingSince?: string;
}

export interface PoolPlace {
  readonly clusterId: string;
  readonly region: RegionName;
  readonly pool: string;
}

export interface CapacityInput {
  readonly pools: readonly CapacityPool[];
  readonly catalogue: VmCatalogue;
  readonly ledger: QuotaLedger;
  readonly reservations: readonly Reservation[];
  readonly blocks: readonly CapacityBlock[];
  /** Region health; a region not listed is healthy. Only healthy regions grow. */
  readonly health: ReadonlyMap<RegionName, RegionHealth>;
  /** GPUs allocated per cluster id (the cluster ledgers). */
  readonly allocatedGpus: ReadonlyMap<string, number>;
  readonly waiting: readonly WaitingJob[];
  readonly policy?: Partial<CapacityPolicy>;
  /**
   * Hook for checkpoint locality (no data yet): higher is better for this job. Ranks after "no new node
   * needed" and before quota cost. Default: 0 everywhere.
   */
  readonly locality?: (job: WaitingJob, where: PoolPlace) => number;
}

export interface NodeRange {
  readonly minCount: number;
  readonly maxCount: number;
}

interface ResizeCommon {
  /** Deterministic action key: two planners deciding the same resize from the same state agree on it. */
  readonly key: string;
  readonly clusterId: string;
  readonly region: RegionName;
  readonly subscriptionId: string;
  readonly pool: string;
  readonly vmSize: string;
  readonly direction: 'up' | 'down';
  /** Nodes added (up) or removed (down). */
  readonly nodes: number;
  /** What to send through the NodePools port. */
  readonly change: PoolChange;
  /** Up only: the quota this resize holds until it settles or expires. */
  readonly reservation?: Reservation;
  /** Up only: the waiting jobs it is for. */
  readonly jobs: readonly string[];
  readonly reason: string;
}

export type ResizeDecision =
  | (ResizeCommon & { readonly mode: 'count'; readonly from: number; readonly to: number })
  | (ResizeCommon & { readonly mode: 'autoscaleRange'; readonly count: number; readonly fromRange: NodeRange; readonly toRange: NodeRange });

export interface CoveredJob {
  readonly jobId: string;
  readonly clusterId: string;
  readonly pool: string;
  /** True when a resize in this plan makes the room. */
  readonly byResize: boolean;
  readonly why: string;
}

export interface CapacityPlan {
  readonly resizes: readonly ResizeDecision[];
  /** The reservations of the resizes (write them before acting). */
  readonly reservations: readonly Reservation[];
  /** Waiting jobs this plan (or an in-flight resize) makes room for. */
  readonly covered: readonly CoveredJob[];
  /** Waiting jobs it cannot make room for, and why. */
  readonly unserved: readonly { readonly jobId: string; readonly why: string }[];
  /** Everything done and not done, human-readable. */
  readonly reasons: readonly string[];
}

const MAX_WHY_PER_JOB = 6;

export const subscriptionOf = (clusterId: string): string | undefined => /^\/subscriptions\/([^/]+)\//i.exec(clusterId)?.[1];
const clusterName = (clusterId: string): string => clusterId.slice(clusterId.lastIndexOf('/') + 1);
const seconds = (ms: number): string => `${Math.max(0, Math.round(ms / 1000))} s`;

interface PoolWork {
  readonly input: CapacityPool;
  readonly key: string;
  readonly label: string;
  readonly region: string;
  readonly subscriptionId: string | undefined;
  readonly size: VmSize | undefined;
  readonly spot: boolean;
  readonly autoscale: boolean;
  /** Observed count, 0 when unread. */
  readonly count: number;
  /** Nodes there or coming: max(count, in-flight target, autoscale minCount). */
  readonly effective: number;
  readonly maxCount: number;
  readonly healthWhy: string | undefined;
  /** Why it cannot be grown at all in this plan (static), if so. */
  readonly growWhyNot: string | undefined;
  readonly bucketKeys: readonly string[];
  readonly bucketNames: readonly string[];
  /** The ledger's room in each bucket before this plan (aligned with bucketKeys). */
  readonly rooms: readonly BucketRoom[];
  /** An unexpired reservation grew it (in flight or landed): not shrunk meanwhile. */
  readonly growing: boolean;
  /** GPUs in use (attributed, see CapacityPool.allocatedGpus). */
  readonly usedGpus: number;
  /** GPUs free for the next job: actualFree + comingFree + growthFree. */
  free: number;
  /** Free on nodes that were there before any in-flight scale-up. */
  actualFree: number;
  /** Free on nodes coming that no in-flight scale-up earmarked. */
  comingFree: number;
  /** Free on nodes this plan adds. */
  growthFree: number;
  /** GPUs this plan's jobs for the pool's growth take from actualFree and comingFree. */
  fromFree: number;
  added: number;
  assignedGpus: number;
  readonly jobs: string[];
}

export function planCapacity(input: CapacityInput, now: Date): CapacityPlan {
  const policy: CapacityPolicy = { ...DEFAULT_CAPACITY_POLICY, ...input.policy };
  const t = now.getTime();
  const live = liveReservations(input.reservations, now);
  // In-flight scale-ups, per pool: the count they grow it to; the count they grew it from (nodes past that
  // carry no running job yet, even once ARM reports the new count); how many of the coming nodes are
  // earmarked for named jobs (nobody else counts on those); and the GPUs those jobs were to take from
  // the pool's free GPUs besides the new nodes (still held while any of them waits).
  const waitingGpus = new Map(input.waiting.map((j) => [j.jobId, j.gpus]));
  const pendingTarget = new Map<string, number>();
  const pendingFrom = new Map<string, number>();
  const earmarkedNodes = new Map<string, number>();
  const heldFromFree = new Map<string, number>();
  /** jobId → the pool an in-flight scale-up is bringing nodes to for it. */
  const earmarks = new Map<string, { key: string; expiresAt: string }>();
  /** Pools a live scale-up (in flight, or landed within its reservation) grew: not shrunk yet. */
  const grown = new Set<string>();
  for (const r of live) {
    if (r.clusterId === undefined || r.pool === undefined || r.targetCount === undefined) continue;
    grown.add(`${r.clusterId.toLowerCase()}/${r.pool}`);
    // Settled: the nodes are there and count like any other (it still holds quota until a usages read includes them,
    // see reservedByBucket). Counted as coming, its jobs that still wait — others were placed on the new nodes first —
    // were told they "fit on nodes already coming for them" and nothing grew for them until the reservation expired
    // (bad-day: a job waited 38 min for 2 GPUs).
    if (r.settledAt) continue;
    const k = `${r.clusterId.toLowerCase()}/${r.pool}`;
    pendingTarget.set(k, Math.max(pendingTarget.get(k) ?? 0, r.targetCount));
    if (r.fromCount !== undefined) pendingFrom.set(k, Math.min(pendingFrom.get(k) ?? Infinity, r.fromCount));
    const stillWaiting = (r.jobs ?? []).reduce((sum, id) => sum + (waitingGpus.get(id) ?? 0), 0);
    if (stillWaiting === 0) continue; // its jobs are placed (or gone): the coming nodes are anyone's
    earmarkedNodes.set(k, (earmarkedNodes.get(k) ?? 0) + Math.max(0, r.nodes ?? r.targetCount - (r.fromCount ?? 0)));
    heldFromFree.set(k, (heldFromFree.get(k) ?? 0) + Math.min(r.gpusFromFree ?? 0, stillWaiting));
    for (const id of r.jobs!) {
      const known = earmarks.get(id);
      if (!known || r.expiresAt > known.expiresAt) earmarks.set(id, { key: k, expiresAt: r.expiresAt });
    }
  }
  const reserved = reservedByBucket(input.ledger, input.reservations, now);
  const rooms = new Map<string, BucketRoom>();
  const spent = new Map<string, number>();
  const roomOf = (sub: string, region: string, name: string): BucketRoom => {
    const k = bucketKey(sub, region, name);
    let r = rooms.get(k);
    if (!r) { r = bucketRoom(input.ledger, sub, region, name, reserved); rooms.set(k, r); }
    return r;
  };

  const pools = [...input.pools]
    .sort((a, b) => cmp(a.clusterId.toLowerCase(), b.clusterId.toLowerCase()) || cmp(a.spec.name, b.spec.name))
    .map((p) => describePool(p));

  function describePool(p: CapacityPool): PoolWork {
    const key = `${p.clusterId.toLowerCase()}/${p.spec.name}`;
    const label = `pool ${p.spec.name} on ${clusterName(p.clusterId)}`;
    const obs = p.observed;
    const size = lookupVmSize(input.catalogue, obs?.vmSize ?? p.spec.vmSize);
    const spot = obs?.spot ?? p.spec.spot;
    const autoscale = obs?.autoscale ?? p.spec.autoscale;
    const count = obs?.count ?? 0;
    const effective = Math.max(count, pendingTarget.get(key) ?? 0, autoscale ? obs?.minCount ?? 0 : 0);
    const health = input.health.get(p.region);
    const healthWhy = acceptsWork(health) ? undefined : `why not ${p.region}: ${health!.state}: ${health!.reason}`;
    const subscriptionId = subscriptionOf(p.clusterId);
    const gpn = size?.gpus ?? 0;
    const clusterAllocated = input.allocatedGpus.get(p.clusterId) ?? 0;
    const settledNodes = Math.min(count, pendingFrom.get(key) ?? count);
    const usedGpus = p.allocatedGpus ?? Math.min(settledNodes * gpn, clusterAllocated);
    const names = size ? bucketsFor({ family: size.family, spot }) : [];
    let growWhyNot: string | undefined;
    const lastPut = p.lastPutAt ? Date.parse(p.lastPutAt) : undefined;
    if (healthWhy) growWhyNot = healthWhy;
    else if (!size) growWhyNot = `${label}: VM size ${obs?.vmSize ?? p.spec.vmSize} is not in the catalogue`;
    else if (!obs) growWhyNot = `${label}: not read from ARM yet`;
    else if (lookupVmSize(input.catalogue, p.spec.vmSize)?.name !== size.name) growWhyNot = `${label}: the fleet file says ${p.spec.vmSize} but the pool is ${obs.vmSize}`;
    else if (!subscriptionId) growWhyNot = `${label}: no subscription in the cluster id`;
    else if (!isAtRest(obs.provisioningState)) growWhyNot = `${label}: ${obs.provisioningState} (an operation is in progress)`;
    else if (lastPut !== undefined && t - lastPut < policy.putIntervalMs) growWhyNot = `${label}: last PUT ${seconds(t - lastPut)} ago (1 per ${seconds(policy.putIntervalMs)})`;
    else {
      const pb = isPoolBlocked(input.blocks, p.clusterId, p.spec.name, now);
      const rb = pb.blocked ? pb : isBlocked(input.blocks, p.region, size.family, now, { spot, subscriptionId });
      if (pb.blocked) growWhyNot = `${label}: ${pb.reason}`;
      else if (rb.blocked) growWhyNot = `why not ${p.region}: ${rb.reason}`;
      else if (effective >= p.spec.maxCount) growWhyNot = `${label}: maxCount ${p.spec.maxCount} reached`;
    }
    return {
      input: p, key, label, region: p.region, subscriptionId, size, spot, autoscale, count, effective, maxCount: p.spec.maxCount,
      healthWhy, growWhyNot, bucketNames: names, bucketKeys: subscriptionId ? names.map((n) => bucketKey(subscriptionId, p.region, n)) : [],
      rooms: subscriptionId ? names.map((n) => roomOf(subscriptionId, p.region, n)) : [],
      growing: grown.has(key), usedGpus, added: 0, assignedGpus: 0, jobs: [],
      // Jobs already placed on the coming nodes (allocated beyond the nodes that were there) use them up.
      ...freeOf(key, settledNodes, effective, gpn, usedGpus, p.allocatedGpus === undefined ? Math.max(0, Math.min(clusterAllocated, effective * gpn) - settledNodes * gpn) : 0),
    };
  }

  /**
   * Free GPUs others may count on: free GPUs on nodes that were there before any in-flight scale-up, plus
   * the coming nodes unless they are earmarked, less what earmarked jobs still hold (coming nodes first).
   */
  function freeOf(key: string, settledNodes: number, effective: number, gpn: number, usedGpus: number, onComing: number) {
    let actualFree = Math.max(0, settledNodes * gpn - usedGpus);
    const comingNodes = effective - settledNodes;
    let comingFree = Math.max(0, (comingNodes - Math.min(comingNodes, earmarkedNodes.get(key) ?? 0)) * gpn - onComing);
    let held = heldFromFree.get(key) ?? 0;
    const fromComing = Math.min(held, comingFree);
    comingFree -= fromComing;
    held -= fromComing;
    actualFree = Math.max(0, actualFree - held);
    return { actualFree, comingFree, growthFree: 0, fromFree: 0, free: actualFree + comingFree };
  }

  /** The bucket with least room left in this plan (an unknown bucket first). */
  const tightest = (p: PoolWork): { room: number; bucket: BucketRoom } => {
    let best: { room: number; bucket: BucketRoom } | undefined;
    p.bucketKeys.forEach((k, i) => {
      const b = p.rooms[i]!;
      const room = b.known ? Math.max(0, b.remaining - (spent.get(k) ?? 0)) : 0;
      if (!best || (!b.known && best.bucket.known) || (b.known === best.bucket.known && room < best.room)) best = { room, bucket: b };
    });
    return best!;
  };

  type Option = { pool: PoolWork; extra: number; vcpus: number; excluded: boolean; locality: number; onActual: boolean };
  /** Can pool p take job j, and at what cost? A string says why not (only built when `explain`). */
  const evaluate = (j: WaitingJob, p: PoolWork, explain: boolean): Option | string | undefined => {
    const size = p.size;
    if (!size) return explain ? (p.growWhyNot ?? `${p.label}: unknown VM size`) : '';
    if (j.gpuType && j.gpuType.toLowerCase() !== size.gpuType.toLowerCase()) return undefined;
    if (p.healthWhy) return explain ? p.healthWhy : '';
    if (p.free >= j.gpus) return option(j, p, 0, 0, p.actualFree >= j.gpus);
    const most = size.gpus * Math.max(p.maxCount, p.effective);
    if (j.gpus > most) return explain ? `${p.label}: holds at most ${most} GPUs (${Math.max(p.maxCount, p.effective)} × ${size.name}), job needs ${j.gpus}` : '';
    if (p.growWhyNot) return explain ? p.growWhyNot : '';
    const extra = Math.ceil((j.gpus - p.free) / size.gpus);
    const total = p.effective + p.added;
    if (total + extra > p.maxCount) {
      if (!explain) return '';
      return total >= p.maxCount ? `${p.label}: maxCount ${p.maxCount} reached` : `${p.label}: maxCount ${p.maxCount} leaves room for ${p.maxCount - total} more nodes, job needs ${extra}`;
    }
    const vcpus = extra * size.vcpus;
    const { room, bucket } = tightest(p);
    if (room < vcpus) {
      if (!explain) return '';
      const used = bucket.known ? { ...bucket, remaining: room } : bucket;
      return `why not ${p.region}: ${describeRoom(used, p.region)}${room > 0 ? `, job needs ${extra} more node${extra === 1 ? '' : 's'} of ${size.name} (${vcpus} vCPU)` : ''}`;
    }
    return option(j, p, extra, vcpus, false);
  };
  const option = (j: WaitingJob, p: PoolWork, extra: number, vcpus: number, onActual: boolean): Option => ({
    pool: p, extra, vcpus, onActual,
    excluded: j.excludeRegions?.includes(p.region) ?? false,
    locality: input.locality ? input.locality(j, { clusterId: p.input.clusterId, region: p.region, pool: p.input.spec.name }) : 0,
  });
  // Nodes that exist before nodes that are coming, so that planning again while a resize is in flight
  // assigns jobs as before (and asks for nothing new).
  // No new node before the region preference: placement takes free GPUs in a region the job was moved away from
  // when nothing else has room now, rather than wait; growing elsewhere for that job (a queued one, now counted as
  // demand) gave nodes to nobody.
  const better = (a: Option, b: Option): boolean =>
    ((a.extra === 0) !== (b.extra === 0) ? a.extra === 0
      : a.excluded !== b.excluded ? !a.excluded
        : a.onActual !== b.onActual ? a.onActual
          : a.locality !== b.locality ? a.locality > b.locality
            : a.vcpus !== b.vcpus ? a.vcpus < b.vcpus
              : false); // pools are visited in a stable order: the first wins ties

  const jobs = [...input.waiting].sort((a, b) =>
    (b.priority ?? 0) - (a.priority ?? 0)
    || cmp(a.waitingSince ?? '\uffff', b.waitingSince ?? '\uffff')
    || cmp(a.jobId, b.jobId));
  const covered: CoveredJob[] = [];
  const unserved: { jobId: string; why: string }[] = [];
  const reasons: string[] = [];

  const assign = (j: WaitingJob, o: Option): void => {
    const p = o.pool;
    const gpn = p.size!.gpus;
    const freeBefore = p.free;
    if (o.extra > 0) {
      p.added += o.extra;
      p.growthFree += o.extra * gpn;
      for (const k of p.bucketKeys) spent.set(k, (spent.get(k) ?? 0) + o.vcpus);
    }
    // A job the growth is for takes the new nodes first; one that fits on nodes already there takes only
    // those; any other takes coming nodes first. Planning again while the growth is in flight then sees
    // the same free GPUs for everyone else (the new nodes and what its jobs took are held for them).
    const byResize = o.extra > 0 || (!o.onActual && p.added > 0);
    let need = j.gpus;
    const take = (field: 'actualFree' | 'comingFree' | 'growthFree') => { const n = Math.min(need, p[field]); p[field] -= n; need -= n; return n; };
    if (byResize) { take('growthFree'); p.fromFree += take('comingFree') + take('actualFree'); }
    else if (o.onActual) take('actualFree');
    else { take('comingFree'); take('actualFree'); }
    p.free = p.actualFree + p.comingFree + p.growthFree;
    p.assignedGpus += j.gpus;
    if (byResize) p.jobs.push(j.jobId);
    const where = `${p.label} in ${p.region}`;
    const why = o.extra > 0 ? `${where}: grows by ${o.extra} node${o.extra === 1 ? '' : 's'} for it`
      : byResize ? `${where}: fits on nodes this plan adds`
        : o.onActual ? `${where}: ${freeBefore} GPUs free` : `${where}: fits on nodes already coming`;
    covered.push({ jobId: j.jobId, clusterId: p.input.clusterId, pool: p.input.spec.name, byResize, why });
    if (!byResize) reasons.push(`job ${j.jobId} (${j.gpus} GPUs): no resize needed, ${why}`);
  };

  // First the jobs an in-flight scale-up is for: the nodes coming to their pool were sized for them.
  const poolByKey = new Map(pools.map((p) => [p.key, p]));
  const done = new Set<string>();
  for (const j of jobs) {
    const mark = earmarks.get(j.jobId);
    const p = mark && poolByKey.get(mark.key);
    if (!p || !p.size || p.healthWhy || (j.allowedRegions && !j.allowedRegions.includes(p.region))) continue;
    p.assignedGpus += j.gpus;
    done.add(j.jobId);
    const why = `${p.label} in ${p.region}: fits on nodes already coming for it`;
    covered.push({ jobId: j.jobId, clusterId: p.input.clusterId, pool: p.input.spec.name, byResize: false, why });
    reasons.push(`job ${j.jobId} (${j.gpus} GPUs): no resize needed, ${why}`);
  }

  // A job like one that just could not be served, with nothing assigned since, cannot be served either.
  let assignments = 0;
  const cannot = new Map<string, { assignments: number; why: string }>();
  for (const j of jobs) {
    if (done.has(j.jobId)) continue;
    const like = `${j.gpus}|${j.gpuType ?? ''}|${j.allowedRegions?.join(',') ?? '*'}`;
    const known = cannot.get(like);
    if (known && known.assignments === assignments) {
      unserved.push({ jobId: j.jobId, why: known.why });
      reasons.push(`job ${j.jobId} (${j.gpus} GPUs) waits: ${known.why}`);
      continue;
    }
    let best: Option | undefined;
    for (const p of pools) {
      if (j.allowedRegions && !j.allowedRegions.includes(p.region)) continue;
      const o = evaluate(j, p, false);
      if (o && typeof o === 'object' && (!best || better(o, best))) {
        best = o;
        // Nothing can beat free GPUs on nodes already there outside excluded regions (ties go to the first).
        if (!input.locality && !o.excluded && o.extra === 0 && o.onActual) break;
      }
    }
    if (best) { assign(j, best); assignments++; continue; }
    const why = explainWait(j);
    cannot.set(like, { assignments, why });
    unserved.push({ jobId: j.jobId, why });
    reasons.push(`job ${j.jobId} (${j.gpus} GPUs) waits: ${why}`);
  }

  function explainWait(j: WaitingJob): string {
    const whys: string[] = [];
    let more = 0;
    let candidates = 0;
    for (const p of pools) {
      if (j.allowedRegions && !j.allowedRegions.includes(p.region)) continue;
      const o = evaluate(j, p, whys.length < MAX_WHY_PER_JOB);
      if (o === undefined) continue;
      candidates++;
      if (typeof o !== 'string') continue;
      if (whys.length >= MAX_WHY_PER_JOB) { more++; continue; }
      if (!whys.includes(o)) whys.push(o);
    }
    if (candidates === 0) return `no managed pool${j.gpuType ? ` of ${j.gpuType}` : ''}${j.allowedRegions ? ` in ${j.allowedRegions.join(', ')}` : ''}`;
    return whys.join('; ') + (more ? `; and ${more} more pool${more === 1 ? '' : 's'}` : '');
  }

  const resizes: ResizeDecision[] = [];
  const expiresAt = new Date(t + policy.reservationTtlMs).toISOString();
  for (const p of pools) {
    if (p.added === 0) continue;
    const size = p.size!;
    const obs = p.input.observed!;
    const sub = p.subscriptionId!;
    const to = p.effective + p.added;
    const vcpus = p.added * size.vcpus;
    const gpusFromFree = p.fromFree;
    const bucket = p.spot ? p.bucketNames[0]! : `${size.family} + ${p.bucketNames[1]}`;
    const jobsText = `${p.jobs.length} waiting job${p.jobs.length === 1 ? '' : 's'} (${p.jobs.slice(0, 5).join(', ')}${p.jobs.length > 5 ? ', …' : ''})`;
    const base = {
      clusterId: p.input.clusterId, region: p.region, subscriptionId: sub, pool: p.input.spec.name, vmSize: size.name,
      direction: 'up' as const, nodes: p.added, jobs: p.jobs,
    };
    const reservationFor = (key: string): Reservation => ({
      key, subscriptionId: sub, region: p.region, family: size.family, spot: p.spot, vcpus, expiresAt,
      clusterId: p.input.clusterId, pool: p.input.spec.name, fromCount: p.count, targetCount: to, nodes: p.added, jobs: p.jobs, gpusFromFree,
    });
    if (p.autoscale) {
      const fromRange = { minCount: obs.minCount ?? 0, maxCount: obs.maxCount ?? p.maxCount };
      const toRange = { minCount: Math.max(fromRange.minCount, to), maxCount: Math.max(fromRange.maxCount, to) };
      const key = `resize:${p.input.clusterId}/${p.input.spec.name}:min${fromRange.minCount}-max${fromRange.maxCount}->min${toRange.minCount}-max${toRange.maxCount}:after:${p.input.lastPutAt ?? 'none'}`;
      resizes.push({
        ...base, key, mode: 'autoscaleRange', count: obs.count, fromRange, toRange,
        change: { kind: 'autoscaleRange', minCount: toRange.minCount, maxCount: toRange.maxCount },
        reservation: reservationFor(key),
        reason: `grow ${p.label} (autoscaled) to at least ${to} nodes: minCount ${fromRange.minCount} → ${toRange.minCount}, maxCount ${fromRange.maxCount} → ${toRange.maxCount} (${size.name}, +${vcpus} vCPU in ${bucket}) for ${jobsText}`,
      });
    } else {
      const key = `resize:${p.input.clusterId}/${p.input.spec.name}:${obs.count}->${to}:after:${p.input.lastPutAt ?? 'none'}`;
      resizes.push({
        ...base, key, mode: 'count', from: obs.count, to, change: { kind: 'count', count: to }, reservation: reservationFor(key),
        reason: `grow ${p.label} ${obs.count} → ${to} nodes (${size.name}, +${vcpus} vCPU in ${bucket}) for ${jobsText}`,
      });
    }
    reasons.push(resizes[resizes.length - 1]!.reason);
  }

  // Down: idle long enough, nothing waiting for it, nothing growing it, not touched within the minute.
  for (const p of pools) {
    const obs = p.input.observed;
    const idleSince = p.input.idleSince ? Date.parse(p.input.idleSince) : undefined;
    if (!obs || !p.size || idleSince === undefined || p.added > 0 || p.assignedGpus > 0) continue;
    const sub = p.subscriptionId;
    const needed = Math.ceil(Math.min(p.usedGpus, obs.count * p.size.gpus) / p.size.gpus);
    const target = Math.max(p.input.spec.minCount, needed);
    const shrinkable = p.autoscale ? (obs.minCount ?? 0) > target : obs.count > target;
    if (!shrinkable) continue;
    const lastPut = p.input.lastPutAt ? Date.parse(p.input.lastPutAt) : undefined;
    let whyNot: string | undefined;
    if (t - idleSince < policy.scaleDownCooldownMs) whyNot = `idle for ${seconds(t - idleSince)}, shrinks after ${seconds(policy.scaleDownCooldownMs)}`;
    else if (!sub) whyNot = 'no subscription in the cluster id';
    else if (p.growing) whyNot = 'a scale-up is in flight or just landed';
    else if (!isAtRest(obs.provisioningState)) whyNot = `${obs.provisioningState} (an operation is in progress)`;
    else if (lastPut !== undefined && t - lastPut < policy.putIntervalMs) whyNot = `last PUT ${seconds(t - lastPut)} ago (1 per ${seconds(policy.putIntervalMs)})`;
    else {
      const pb = isPoolBlocked(input.blocks, p.input.clusterId, p.input.spec.name, now);
      if (pb.blocked) whyNot = pb.reason;
    }
    if (whyNot) { reasons.push(`${p.label}: not shrunk: ${whyNot}`); continue; }
    const base = {
      clusterId: p.input.clusterId, region: p.region, subscriptionId: sub!, pool: p.input.spec.name, vmSize: p.size.name,
      direction: 'down' as const, jobs: [] as string[],
    };
    const idle = `idle since ${p.input.idleSince}; ${p.usedGpus} GPUs in use need ${needed} node${needed === 1 ? '' : 's'}, minCount ${p.input.spec.minCount}`;
    if (p.autoscale) {
      const fromRange = { minCount: obs.minCount ?? 0, maxCount: obs.maxCount ?? p.maxCount };
      const toRange = { minCount: target, maxCount: Math.max(fromRange.maxCount, obs.count) };
      const key = `resize:${p.input.clusterId}/${p.input.spec.name}:min${fromRange.minCount}-max${fromRange.maxCount}->min${toRange.minCount}-max${toRange.maxCount}:after:${p.input.lastPutAt ?? 'none'}`;
      resizes.push({
        ...base, key, mode: 'autoscaleRange', nodes: Math.max(0, obs.count - target), count: obs.count, fromRange, toRange,
        change: { kind: 'autoscaleRange', minCount: toRange.minCount, maxCount: toRange.maxCount },
        reason: `shrink ${p.label} (autoscaled): minCount ${fromRange.minCount} → ${toRange.minCount}, the autoscaler removes idle nodes (${idle})`,
      });
    } else {
      const key = `resize:${p.input.clusterId}/${p.input.spec.name}:${obs.count}->${target}:after:${p.input.lastPutAt ?? 'none'}`;
      resizes.push({
        ...base, key, mode: 'count', nodes: obs.count - target, from: obs.count, to: target, change: { kind: 'count', count: target },
        reason: `shrink ${p.label} ${obs.count} → ${target} nodes (${idle})`,
      });
    }
    reasons.push(resizes[resizes.length - 1]!.reason);
  }

  const reservations = resizes.flatMap((r) => (r.reservation ? [r.reservation] : []));
  return { resizes, reservations, covered, unserved, reasons };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
