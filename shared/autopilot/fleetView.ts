/** What `GET /api/fleet` shows: regions with health, their clusters, and jobs by state. */
import type { Ports } from '../executor/ports.js';
import type { JobState, RegionHealthState } from '../fleet/types.js';
import { reservedByBucket } from '../capacity/ledger.js';
import { NO_TRANSITION } from '../fleet/regionHealth.js';
import { allocatedGpus, clusterGpus, failedNodes } from '../planner/snapshot.js';

export interface FleetView {
  readonly generatedAt: string;
  readonly dryRun: boolean;
  /** While frozen, nothing disruptive runs automatically; the reason says why and who. */
  readonly freeze: { readonly frozen: boolean; readonly reason: string; readonly since: string; readonly by: string };
  readonly holds: ReadonlyArray<{ readonly id: string; readonly scope: string; readonly target: string; readonly until: string; readonly reason: string; readonly by: string }>;
  readonly regions: ReadonlyArray<{
    readonly region: string;
    readonly health: RegionHealthState;
    /** null: never changed state. */
    readonly since: string | null;
    readonly reason: string;
    readonly clusters: ReadonlyArray<{
      readonly name: string; readonly id: string; readonly gpus: number; readonly gpusAllocated: number; readonly jobsRunning: number;
      /** Nodes in an open failure episode (cordoned or about to be): what failed, whether drained and replaced. */
      readonly failedNodes: ReadonlyArray<{ readonly node: string; readonly cause: string; readonly since: string; readonly fine: boolean; readonly flaps: number; readonly drained?: string; readonly replacement?: string; readonly detail: string }>;
      readonly pools: ReadonlyArray<{ readonly name: string; readonly vmSize: string; readonly count?: number; readonly minCount: number; readonly maxCount: number; readonly provisioningState?: string; readonly autoscale: boolean; readonly lastPutAt?: string }>;
    }>;
    /** vCPU quota per bucket as last read, with what in-flight scale-ups hold. */
    readonly quota: ReadonlyArray<{ readonly name: string; readonly used: number; readonly limit: number; readonly reserved: number; readonly headroom: number; readonly readAt: string }>;
    /** Families (or pools) that recently failed with a capacity or quota error, until when. */
    readonly unavailable: ReadonlyArray<{ readonly what: string; readonly until: string; readonly why: string }>;
  }>;
  readonly jobs: {
    readonly byState: Readonly<Partial<Record<JobState, number>>>;
    readonly items: ReadonlyArray<{ readonly jobId: string; readonly state: JobState; readonly attempt: number; readonly region?: string; readonly cluster?: string; readonly resumeFrom?: string }>;
  };
}

export async function fleetView(ports: Ports): Promise<FleetView> {
  const now = ports.clock.now();
  const snap = await ports.state.snapshot(now);
  const byState: Partial<Record<JobState, number>> = {};
  for (const j of snap.jobs) byState[j.state] = (byState[j.state] ?? 0) + 1;
  const names = new Map(snap.clusters.map((c) => [c.id, c.name]));
  return {
    generatedAt: now.toISOString(),
    dryRun: snap.policy.dryRun,
    freeze: snap.ops?.freeze ?? { frozen: false, reason: 'never frozen', since: NO_TRANSITION, by: 'autopilot' },
    holds: (snap.ops?.holds ?? []).map((h) => ({ id: h.id, scope: h.scope, target: h.target, until: h.until, reason: h.reason, by: h.by })),
    regions: snap.regions.map((region) => {
      const h = snap.health.get(region)!;
      return {
        region, health: h.state, since: h.since === NO_TRANSITION ? null : h.since, reason: h.reason,
        clusters: snap.clusters.filter((c) => c.region === region).map((c) => ({
          name: c.name, id: c.id, gpus: clusterGpus(snap, c), gpusAllocated: allocatedGpus(snap.ledgers.get(c.id)),
          jobsRunning: snap.jobs.filter((j) => j.state === 'running' && j.clusterId === c.id).length,
          failedNodes: failedNodes(snap, c.id).sort((a, b) => a.openedAt.localeCompare(b.openedAt)).map((n) => ({
            node: n.node, cause: n.cause, since: n.openedAt, fine: !n.bad, flaps: n.flaps, detail: n.detail,
            ...(n.drainOutcome ? { drained: n.drainOutcome } : {}), ...(n.replacement ? { replacement: n.replacement.outcome } : {}),
          })),
          pools: c.pools.map((p) => {
            const record = snap.capacity?.pools.find((r) => r.clusterId === c.id && r.pool === p.name);
            return {
              name: p.name, vmSize: p.vmSize, minCount: p.minCount, maxCount: p.maxCount, autoscale: p.autoscale,
              ...(record?.observed ? { count: record.observed.count, provisioningState: record.observed.provisioningState } : {}),
              ...(record?.lastPutAt ? { lastPutAt: record.lastPutAt } : {}),
            };
          }),
        })),
        quota: quotaOf(snap, region, now),
        unavailable: (snap.capacity?.blocks ?? []).flatMap((b) => {
          if (b.scope === 'regionFamily') return b.region.toLowerCase() === region ? [{ what: b.family, until: b.until, why: b.reason }] : [];
          const cluster = snap.clusters.find((c) => c.id.toLowerCase() === b.clusterId.toLowerCase());
          return cluster?.region === region ? [{ what: `${cluster.name}/${b.pool}`, until: b.until, why: b.reason }] : [];
        }),
      };
    }),
    jobs: {
      byState,
      items: [...snap.jobs].sort((a, b) => a.jobId.localeCompare(b.jobId)).map((j) => ({
        jobId: j.jobId, state: j.state, attempt: j.attempt,
        ...(j.region ? { region: j.region } : {}), ...(j.clusterId ? { cluster: names.get(j.clusterId) ?? j.clusterId } : {}),
        ...(j.resumeFrom ? { resumeFrom: j.resumeFrom } : {}),
      })),
    },
  };
}

function quotaOf(snap: Awaited<ReturnType<Ports['state']['snapshot']>>, region: string, now: Date) {
  const capacity = snap.capacity;
  if (!capacity) return [];
  const reserved = reservedByBucket(capacity.ledger, capacity.reservations, now);
  return [...capacity.ledger.buckets.entries()].filter(([, b]) => b.region === region).map(([key, b]) => {
    const held = reserved.get(key) ?? 0;
    return { name: b.name, used: b.used, limit: b.limit, reserved: held, headroom: Math.max(0, b.limit - b.used - held), readAt: b.readAt };
  }).sort((a, b) => a.name.localeCompare(b.name));
}
