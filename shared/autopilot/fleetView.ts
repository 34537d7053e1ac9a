/** What `GET /api/fleet` shows: regions with health, their clusters, and jobs by state. */
import type { Ports } from '../executor/ports.js';
import type { JobState, RegionHealthState } from '../fleet/types.js';
import { NO_TRANSITION } from '../fleet/regionHealth.js';
import { allocatedGpus, clusterGpus } from '../planner/snapshot.js';

export interface FleetView {
  readonly generatedAt: string;
  readonly dryRun: boolean;
  readonly regions: ReadonlyArray<{
    readonly region: string;
    readonly health: RegionHealthState;
    /** null: never changed state. */
    readonly since: string | null;
    readonly reason: string;
    readonly clusters: ReadonlyArray<{ readonly name: string; readonly id: string; readonly gpus: number; readonly gpusAllocated: number; readonly jobsRunning: number }>;
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
    regions: snap.regions.map((region) => {
      const h = snap.health.get(region)!;
      return {
        region, health: h.state, since: h.since === NO_TRANSITION ? null : h.since, reason: h.reason,
        clusters: snap.clusters.filter((c) => c.region === region).map((c) => ({
          name: c.name, id: c.id, gpus: clusterGpus(snap, c), gpusAllocated: allocatedGpus(snap.ledgers.get(c.id)),
          jobsRunning: snap.jobs.filter((j) => j.state === 'running' && j.clusterId === c.id).length,
        })),
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
