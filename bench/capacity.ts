/**
 * Capacity planning and placement at DESIGN §8 scale, in process: a synthetic fleet of 20 regions,
 * 200 clusters, 2,000 GPU nodes and 10,000 jobs (most running, some waiting).
 *  - planCapacity: median of 15 plans (after 3 warm-ups). Target ≤ 50 ms.
 *  - place() (shared/planner/placement.ts) on a FleetSnapshot of that size: placements per second,
 *    median of 15 rounds of placing every waiting job. Target ≥ 50,000/s.
 * Deterministic (seeded); reports figures, asserts nothing about time.
 */
import { DEFAULT_POLICY, type ClusterLedger, type ClusterSpec, type JobRecord, type RegionHealth } from '../shared/fleet/types.js';
import type { JobMessage } from '../shared/jobs/jobSpec.js';
import { place } from '../shared/planner/placement.js';
import type { FleetSnapshot } from '../shared/planner/snapshot.js';
import { ledgerOf, type Reservation, type UsageRead } from '../shared/capacity/ledger.js';
import { planCapacity, type CapacityInput, type CapacityPool, type WaitingJob } from '../shared/capacity/planCapacity.js';
import type { CapacityBlock } from '../shared/capacity/capacityErrors.js';
import { DEFAULT_CATALOGUE, lookupVmSize } from '../shared/capacity/vmSizes.js';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

/** mulberry32: a small seeded PRNG, so every run builds the same fleet. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticFleet {
  readonly capacity: CapacityInput;
  readonly snapshot: FleetSnapshot;
  readonly waiting: readonly JobMessage[];
  readonly stats: { regions: number; clusters: number; pools: number; nodes: number; gpus: number; running: number; waiting: number };
}

export function syntheticFleet(opts: { regions?: number; clustersPerRegion?: number; jobs?: number; waitingShare?: number; seed?: number } = {}): SyntheticFleet {
  const R = opts.regions ?? 20;
  const C = opts.clustersPerRegion ?? 10;
  const J = opts.jobs ?? 10_000;
  const random = rng(opts.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const now = new Date('2026-11-28T12:00:00.000Z');
  const iso = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();
  const regions = Array.from({ length: R }, (_, i) => `region${String(i).padStart(2, '0')}`);
  // Two GPU pools per cluster, five nodes each: 20 × 10 × 2 × 5 = 2,000 nodes.
  const POOLS = [
    { name: 'h100', vmSize: 'Standard_ND96isr_H100_v5', count: 5 },
    { name: 'a100', vmSize: 'Standard_NC96ads_A100_v4', count: 5 },
  ];
  const clusters: ClusterSpec[] = [];
  const pools: CapacityPool[] = [];
  const reads: UsageRead[] = [];
  let nodes = 0;
  for (const [ri, region] of regions.entries()) {
    const sub = `sub-${ri % 4}`;
    let regionVcpus = 0;
    const familyUsed = new Map<string, number>();
    for (let c = 0; c < C; c++) {
      const id = `/subscriptions/${sub}/resourceGroups/rg-${region}/providers/Microsoft.ContainerService/managedClusters/aks-${region}-${c}`;
      let gpus = 0;
      for (const p of POOLS) {
        const size = lookupVmSize(DEFAULT_CATALOGUE, p.vmSize)!;
        const count = p.count;
        nodes += count;
        gpus += count * size.gpus;
        regionVcpus += count * size.vcpus;
        familyUsed.set(size.family, (familyUsed.get(size.family) ?? 0) + count * size.vcpus);
        const r = random();
        pools.push({
          clusterId: id, region,
          spec: { name: p.name, vmSize: p.vmSize, minCount: 1, maxCount: 12, spot: false, autoscale: r < 0.2 },
          observed: {
            ref: { clusterId: id, pool: p.name }, vmSize: p.vmSize, count, autoscale: r < 0.2, spot: false,
            provisioningState: random() < 0.05 ? 'Scaling' : 'Succeeded', eTag: `"${c}"`,
            ...(r < 0.2 ? { minCount: 1, maxCount: 12 } : {}),
          },
          ...(random() < 0.1 ? { lastPutAt: iso(random() * 120_000) } : {}),
          ...(random() < 0.3 ? { idleSince: iso(random() * 1_800_000) } : {}),
        });
      }
      clusters.push({ id, name: `aks-${region}-${c}`, region, gpus, pools: [], rayEndpoint: `http://ray-${region}-${c}.invalid` });
    }
    // Quota: most regions have room for a few more nodes; a quarter are full in one family.
    const tight = ri % 4 === 0;
    reads.push({
      subscriptionId: sub, region, readAt: iso(120_000),
      usages: [
        { name: 'cores', used: regionVcpus, limit: regionVcpus + 2_000 },
        { name: 'lowPriorityCores', used: 0, limit: 1_000 },
        ...[...familyUsed].map(([name, used]) => ({ name, used, limit: tight && name.startsWith('standardNDSH') ? used : used + 960 })),
      ],
    });
  }
  // Jobs: most running (1–2 GPUs each, so clusters end up ~80% allocated), some waiting (1–16 GPUs).
  const waitingCount = Math.round(J * (opts.waitingShare ?? 0.06));
  const ledgers = new Map<string, ClusterLedger>();
  const allocatedGpus = new Map<string, number>();
  const jobs: JobRecord[] = [];
  const waiting: JobMessage[] = [];
  const waitingJobs: WaitingJob[] = [];
  for (let i = 0; i < J; i++) {
    const jobId = `job-${i}`;
    if (i < J - waitingCount) {
      const cluster = clusters[i % clusters.length]!;
      const gpus = random() < 0.2 ? 2 : 1;
      const submissionId = `${jobId}-1`;
      const ledger = ledgers.get(cluster.id) ?? { clusterId: cluster.id, allocations: {} };
      ledgers.set(cluster.id, { clusterId: cluster.id, allocations: { ...ledger.allocations, [submissionId]: gpus } });
      allocatedGpus.set(cluster.id, (allocatedGpus.get(cluster.id) ?? 0) + gpus);
      jobs.push({
        jobId, spec: { jobId, entrypoint: 'python train.py', gpus }, state: 'running', attempt: 1, region: cluster.region, clusterId: cluster.id,
        submissionId, excludeRegions: [], waits: 0, updatedAt: iso(60_000), history: [],
      });
    } else {
      const gpus = pick([1, 2, 4, 8, 8, 16, 32]);
      const priority = Math.floor(random() * 4);
      const allowed = random() < 0.2 ? [pick(regions), pick(regions)] : undefined;
      waiting.push({ jobId, entrypoint: 'python train.py', gpus, priority, ...(allowed ? { regions: allowed } : {}) });
      waitingJobs.push({ jobId, gpus, priority, ...(allowed ? { allowedRegions: allowed } : {}), waitingSince: iso(random() * 600_000) });
      jobs.push({ jobId, spec: { jobId, entrypoint: 'python train.py', gpus, priority }, state: 'waiting', attempt: 1, excludeRegions: [], waits: 1, updatedAt: iso(1000), history: [] });
    }
  }
  const impaired: RegionHealth = { region: regions[3]!, state: 'impaired', since: iso(300_000), reason: 'incident BENCH-1 active', incidents: {} };
  const health = new Map<string, RegionHealth>([[impaired.region, impaired]]);
  const reservations: Reservation[] = Array.from({ length: 50 }, (_, i) => ({
    key: `bench-r${i}`, subscriptionId: `sub-${i % 4}`, region: regions[i % R]!, family: 'StandardNCADSA100v4Family', spot: false, vcpus: 96,
    expiresAt: new Date(now.getTime() + 600_000).toISOString(),
  }));
  const blocks: CapacityBlock[] = [
    { scope: 'regionFamily', region: regions[5]!, family: 'standardNDSH100v5Family', errorClass: 'capacityUnavailable', code: 'ZonalAllocationFailed', reason: 'bench', until: new Date(now.getTime() + 300_000).toISOString() },
  ];
  // Per-pool allocation (each cluster's running GPUs split over its pools by size), as the intake can
  // record once it reserves GPUs per pool; with cluster totals only, the planner assumes the worst per pool.
  const perPool = pools.map((p): CapacityPool => {
    const size = lookupVmSize(DEFAULT_CATALOGUE, p.spec.vmSize)!;
    const share = (p.observed!.count * size.gpus) / clusters.find((c) => c.id === p.clusterId)!.gpus;
    return { ...p, allocatedGpus: Math.round((allocatedGpus.get(p.clusterId) ?? 0) * share) };
  });
  const capacity: CapacityInput = {
    pools: perPool, catalogue: DEFAULT_CATALOGUE, ledger: ledgerOf(reads), reservations, blocks, health, allocatedGpus, waiting: waitingJobs,
  };
  const snapshot: FleetSnapshot = { regions, clusters, health, jobs, ledgers, policy: DEFAULT_POLICY };
  return {
    capacity, snapshot, waiting,
    stats: { regions: R, clusters: clusters.length, pools: pools.length, nodes, gpus: clusters.reduce((s, c) => s + c.gpus, 0), running: J - waitingCount, waiting: waitingCount },
  };
}

export function capacityBench(): string[] {
  const fleet = syntheticFleet();
  const now = new Date('2026-11-28T12:00:00.000Z');
  const s = fleet.stats;

  for (let i = 0; i < 3; i++) planCapacity(fleet.capacity, now);
  const planMs: number[] = [];
  let plan = planCapacity(fleet.capacity, now);
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    plan = planCapacity(fleet.capacity, now);
    planMs.push(performance.now() - t0);
  }
  const up = plan.resizes.filter((r) => r.direction === 'up');
  const down = plan.resizes.filter((r) => r.direction === 'down');

  // Placement: every waiting job, one after another, on the same snapshot (place() is pure).
  for (let i = 0; i < 200; i++) place(fleet.snapshot, fleet.waiting[i % fleet.waiting.length]!);
  const rates: number[] = [];
  let placed = 0;
  for (let round = 0; round < 15; round++) {
    const t0 = performance.now();
    placed = 0;
    for (const job of fleet.waiting) if (place(fleet.snapshot, job).placed) placed++;
    rates.push(fleet.waiting.length / ((performance.now() - t0) / 1000));
  }
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    `capacity (in process; ${s.regions} regions, ${s.clusters} clusters, ${s.pools} pools, ${fmt(s.nodes)} GPU nodes, ${fmt(s.gpus)} GPUs, ${fmt(s.running)} running + ${s.waiting} waiting jobs):`,
    `  planCapacity: median ${median(planMs).toFixed(1)} ms over 15 plans [min ${Math.min(...planMs).toFixed(1)}, max ${Math.max(...planMs).toFixed(1)}] (target ≤ 50 ms); ${up.length} scale-ups (+${up.reduce((a, r) => a + r.nodes, 0)} nodes), ${down.length} scale-downs, ${plan.covered.length} jobs covered, ${plan.unserved.length} waiting with reasons`,
    `  place() on that snapshot: median ${fmt(median(rates))} placements/s over 15 rounds of ${s.waiting} jobs [min ${fmt(Math.min(...rates))}, max ${fmt(Math.max(...rates))}] (target ≥ 50,000/s); ${placed}/${s.waiting} placed`,
  ];
}
