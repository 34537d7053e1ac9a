/**
 * Watches the game day from outside the autopilot, with the world as the ground truth: which job made progress
 * twice in one tick, what each disruption interrupted and when every interrupted job ran again, and samples of the
 * fleet over time for the report (GPUs per region, the queue, job states as the autopilot records them).
 */
import type { JobRecord } from '../../shared/fleet/types.js';
import type { Harness } from './harness.js';
import type { TwinNode } from '../twin/kubernetes/model.js';
import type { TwinJob } from '../twin/world.js';

export interface Disruption {
  readonly id: string;
  readonly kind: 'regionDown' | 'nodeFault';
  readonly label: string;
  readonly at: number;
  readonly regions: readonly string[];
  /** Job id → the attempt that was running (or pending) there when the fault hit. */
  readonly affected: ReadonlyMap<string, number>;
  /** GPUs of the interrupted work did not fit in what was free elsewhere: new nodes were needed. */
  readonly needsCapacity: boolean;
  /** When the autopilot first heard of it (the first delivery of its alert). */
  detectedAt?: number;
  /** Job id → when a later attempt of it started running. */
  readonly recoveredAt: Map<string, number>;
}

export interface Sample {
  readonly t: number;
  /** Per region: GPUs its clusters have, GPUs running jobs use, and whether it is down. */
  readonly regions: Readonly<Record<string, { readonly gpus: number; readonly busy: number; readonly down: boolean }>>;
  readonly queue: { readonly active: number; readonly scheduled: number; readonly inFlight: number };
  /** Job records by state, as the autopilot has them. */
  readonly jobs: Readonly<Record<string, number>>;
}

export class Observer {
  readonly disruptions: Disruption[] = [];
  readonly samples: Sample[] = [];
  /** Job id → ticks in which two of its attempts both made progress. */
  readonly doubleRunTicks = new Map<string, number>();
  private steps = new Map<TwinJob, number>();

  constructor(private readonly h: Harness) {
    h.world.on('jobStarted', (job) => {
      for (const d of this.disruptions) {
        const was = d.affected.get(job.jobId);
        if (was !== undefined && job.attempt > was && !d.recoveredAt.has(job.jobId)) d.recoveredAt.set(job.jobId, h.time.ms());
      }
    });
  }

  beforeTick(): void {
    this.steps = new Map(this.h.world.allJobs().filter((j) => j.status === 'RUNNING').map((j) => [j, j.step]));
  }

  afterTick(): void {
    const progressed = new Map<string, number>();
    for (const [job, step] of this.steps) if (job.step > step) progressed.set(job.jobId, (progressed.get(job.jobId) ?? 0) + 1);
    for (const [jobId, n] of progressed) if (n > 1) this.doubleRunTicks.set(jobId, (this.doubleRunTicks.get(jobId) ?? 0) + 1);
  }

  /** Call just before the fault changes the world: what runs in `regions` now is what the fault interrupts. */
  regionDown(label: string, regions: readonly string[]): Disruption {
    const world = this.h.world;
    const inRegions = (j: TwinJob) => regions.includes(world.clusters.get(j.clusterId)!.region);
    const live = world.allJobs().filter((j) => j.status === 'RUNNING' || j.status === 'PENDING');
    const affected = new Map(live.filter(inRegions).map((j) => [j.jobId, j.attempt]));
    const d: Disruption = {
      id: `d${this.disruptions.length + 1}`, kind: 'regionDown', label, at: this.h.time.ms(), regions,
      affected, needsCapacity: !fitsElsewhere(live.filter(inRegions).map((j) => j.gpus), this.freeOutside(regions, live)), recoveredAt: new Map(),
    };
    this.disruptions.push(d);
    return d;
  }

  /** Call just before a node fault: the jobs with work on these nodes are what it interrupts. */
  nodeFault(label: string, clusterId: string, nodes: readonly string[]): Disruption {
    const world = this.h.world;
    const hit = new Set(nodes);
    const live = world.allJobs().filter((j) => j.status === 'RUNNING' || j.status === 'PENDING');
    const interrupted = live.filter((j) => j.status === 'RUNNING' && j.clusterId === clusterId && j.placement.some((p) => hit.has(p.node)));
    const region = world.clusters.get(clusterId)!.region;
    const d: Disruption = {
      id: `d${this.disruptions.length + 1}`, kind: 'nodeFault', label, at: this.h.time.ms(), regions: [region],
      affected: new Map(interrupted.map((j) => [j.jobId, j.attempt])),
      needsCapacity: !fitsElsewhere(interrupted.map((j) => j.gpus), this.freeExcept(clusterId, hit, live, new Set(interrupted))), recoveredAt: new Map(),
    };
    this.disruptions.push(d);
    return d;
  }

  detected(d: Disruption): void {
    d.detectedAt ??= this.h.time.ms();
  }

  async sample(): Promise<void> {
    const { world, queue, store } = this.h;
    const regions: Record<string, { gpus: number; busy: number; down: boolean }> = {};
    for (const r of world.regions) regions[r.name] = { gpus: 0, busy: 0, down: world.isDown(r.name) };
    for (const c of world.clusters.values()) {
      const r = regions[c.region]!;
      r.gpus += world.clusterGpus(c.id);
      r.busy += world.clusterGpus(c.id) - world.freeGpus(c.id);
    }
    const jobs: Record<string, number> = {};
    for (const { value } of await store.list<JobRecord>('job')) jobs[value.state] = (jobs[value.state] ?? 0) + 1;
    this.samples.push({ t: this.h.time.ms(), regions, queue: queue.depth(), jobs });
  }

  /** GPUs free right now on each cluster outside `regions` (pending work counted as taken). */
  private freeOutside(regions: readonly string[], live: readonly TwinJob[]): number[] {
    const world = this.h.world;
    return freeSlots(this.h, live, (clusterId) => regions.includes(world.clusters.get(clusterId)!.region));
  }

  private freeExcept(clusterId: string, nodes: ReadonlySet<string>, live: readonly TwinJob[], moving: ReadonlySet<TwinJob>): number[] {
    return freeSlots(this.h, live, (c, n) => c === clusterId && nodes.has(n), moving);
  }
}

/**
 * GPUs a job could take now on each cluster, leaving out some nodes of one cluster (they are failing); the GPUs the
 * interrupted jobs hold on healthy nodes count as free (they are given back when those jobs move).
 */
function freeSlots(h: Harness, live: readonly TwinJob[], skip: (clusterId: string, node: string) => boolean, moving: ReadonlySet<TwinJob> = new Set()): number[] {
  const world = h.world;
  return [...world.clusters.values()].filter((c) => !world.isDown(c.region)).map((c) => {
    const kube = world.kube(c.id);
    const used = (node: string) => world.jobsOnNode(c.id, node).filter((j) => !moving.has(j))
      .reduce((u, j) => u + j.placement.filter((p) => p.node === node).reduce((g, p) => g + p.gpus, 0), 0);
    // Nodes that exist and can take work (a node just added gets its Ray worker pod on the next tick: it counts).
    const usable = (n: TwinNode) => n.ready && !n.unschedulable && n.xid === undefined && n.spotDeadline === undefined && !skip(c.id, n.name);
    const onNodes = kube.gpuNodes().filter(usable).reduce((sum, n) => sum + n.gpus - used(n.name), 0);
    return onNodes - live.filter((j) => j.status === 'PENDING' && j.clusterId === c.id).reduce((n, j) => n + j.gpus, 0);
  });
}

/** First fit, largest first: could these jobs run in these free slots without new nodes? */
export function fitsElsewhere(jobs: readonly number[], free: readonly number[]): boolean {
  const slots = [...free];
  for (const gpus of [...jobs].sort((a, b) => b - a)) {
    const i = slots.findIndex((f) => f >= gpus);
    if (i < 0) return false;
    slots[i]! -= gpus;
  }
  return true;
}
