/**
 * The fleet twin's world: regions, AKS clusters with GPUs, and Ray jobs that run, write checkpoints
 * to Blob Storage the way Ray Train does, and resume from the checkpoint they are given. It ticks on
 * a clock; faces (Ray Jobs API per cluster) are views onto it. Outages freeze a region: its clusters
 * stop answering and its jobs stop making progress; when the region comes back, the pods that ran
 * there are gone and those jobs have failed.
 */
import { EventEmitter } from 'node:events';
import { rayJobIdHex, type RayBackend, type RayJobDetails, type RaySubmitToBackend } from './ray/rayBackend.js';

export interface WorldCluster {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly gpus: number;
}

export interface WorldRegion {
  readonly name: string;
  /** The Service Health display name ("East US 2"). */
  readonly displayName: string;
}

/** Where checkpoints go: Blob Storage in the twin (Azurite). */
export interface CheckpointSink {
  write(path: string, content: string): Promise<void>;
}

export interface TwinJob {
  readonly submissionId: string;
  /** Ray's driver job id (hex), unique in the world. */
  readonly rayJobId: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly clusterId: string;
  readonly gpus: number;
  readonly totalSteps: number;
  readonly checkpointEvery: number;
  readonly prefix?: string;
  readonly startStep: number;
  step: number;
  status: RayJobDetails['status'];
  message: string;
  startTime: number | null;
  endTime: number | null;
  readonly request: RaySubmitToBackend;
  /** Serialises this job's checkpoint uploads so the snapshot never points backwards. */
  writes: Promise<void>;
  lastCompleteCheckpoint?: string;
}

export interface WorldStats {
  /** Ticks in which two attempts of one job made progress at the same time. Must stay 0. */
  readonly doubleRunTicks: number;
  readonly jobsSucceeded: number;
}

export interface WorldEvents {
  jobStarted: [TwinJob];
  jobEnded: [TwinJob];
  checkpoint: [TwinJob, string];
  regionDown: [string];
  regionUp: [string];
}

export class FleetWorld extends EventEmitter<WorldEvents> {
  readonly clusters: ReadonlyMap<string, WorldCluster>;
  private readonly down = new Set<string>();
  /** GPUs per cluster when pools changed them (otherwise the declared `gpus`). */
  private readonly capacity = new Map<string, number>();
  /** By cluster and submission id: like real Ray, each cluster only knows its own submissions. */
  private readonly jobs = new Map<string, TwinJob>();
  private doubleRunTicks = 0;
  private jobsSucceeded = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly regions: readonly WorldRegion[], clusters: readonly WorldCluster[], private readonly sink: CheckpointSink, private readonly now: () => number = Date.now) {
    super();
    this.clusters = new Map(clusters.map((c) => [c.id, c]));
  }

  /** Advance the world every `stepMs` (one training step per tick for every running job). */
  start(stepMs: number): void {
    this.timer = setInterval(() => this.tick(), stepMs);
    this.timer.unref();
  }

  /** Stops the clock; lets checkpoint uploads in flight finish, but waits for them only briefly. */
  async stop(graceMs = 1000): Promise<void> {
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.jobs.values()].map((j) => j.writes)),
      new Promise<void>((r) => { timer = setTimeout(r, graceMs); }),
    ]);
    clearTimeout(timer);
  }

  backend(clusterId: string): RayBackend {
    const cluster = this.clusters.get(clusterId);
    if (!cluster) throw new Error(`no cluster ${clusterId}`);
    return new ClusterBackend(this, cluster);
  }

  isDown(region: string): boolean { return this.down.has(region); }

  regionDown(region: string): void {
    this.down.add(region);
    this.emit('regionDown', region);
  }

  /** The region is back; the pods of jobs that ran there died with it. */
  regionUp(region: string): void {
    this.down.delete(region);
    for (const job of this.jobs.values()) {
      if (this.clusters.get(job.clusterId)!.region === region && (job.status === 'RUNNING' || job.status === 'PENDING')) {
        this.end(job, 'FAILED', 'Job failed: the node running the driver was lost during a region outage');
      }
    }
    this.emit('regionUp', region);
  }

  /** GPUs a cluster's pools offer now; the ARM twin calls this when a pool's new count takes effect. */
  setClusterGpus(clusterId: string, gpus: number): void {
    if (!this.clusters.has(clusterId)) throw new Error(`no cluster ${clusterId}`);
    this.capacity.set(clusterId, gpus);
  }

  clusterGpus(clusterId: string): number {
    return this.capacity.get(clusterId) ?? this.clusters.get(clusterId)!.gpus;
  }

  freeGpus(clusterId: string): number {
    let used = 0;
    for (const j of this.jobs.values()) if (j.clusterId === clusterId && j.status === 'RUNNING') used += j.gpus;
    return this.clusterGpus(clusterId) - used;
  }

  allJobs(): readonly TwinJob[] { return [...this.jobs.values()]; }

  stats(): WorldStats { return { doubleRunTicks: this.doubleRunTicks, jobsSucceeded: this.jobsSucceeded }; }

  /** One step of the world. Public so tests can drive it without timers. */
  tick(): void {
    const progressed = new Map<string, number>();
    for (const job of this.jobs.values()) {
      const cluster = this.clusters.get(job.clusterId)!;
      if (this.down.has(cluster.region)) continue;
      if (job.status === 'PENDING' && this.freeGpus(job.clusterId) >= job.gpus) {
        job.status = 'RUNNING';
        job.message = 'Job is currently running.';
        job.startTime = this.now();
        this.emit('jobStarted', job);
      }
      if (job.status !== 'RUNNING') continue;
      job.step++;
      progressed.set(job.jobId, (progressed.get(job.jobId) ?? 0) + 1);
      if (job.prefix && job.step % job.checkpointEvery === 0) this.checkpoint(job);
      if (job.step >= job.totalSteps) this.end(job, 'SUCCEEDED', 'Job finished successfully.');
    }
    for (const n of progressed.values()) if (n > 1) this.doubleRunTicks++;
  }

  submit(cluster: WorldCluster, request: RaySubmitToBackend): 'ok' | 'duplicate' {
    if (this.jobs.has(jobKey(cluster.id, request.submissionId))) return 'duplicate';
    const env = (request.runtimeEnv.env_vars ?? {}) as Record<string, string>;
    const resumeFrom = env.AUTOPILOT_RESUME_FROM;
    const startStep = resumeFrom ? Number(/checkpoint_(\d+)/.exec(resumeFrom)?.[1] ?? 0) : 0;
    const job: TwinJob = {
      submissionId: request.submissionId, rayJobId: rayJobIdHex(this.jobs.size + 1),
      jobId: request.metadata.autopilotJobId ?? request.submissionId,
      attempt: Number(request.metadata.autopilotAttempt ?? 1),
      clusterId: cluster.id, gpus: request.entrypointNumGpus,
      totalSteps: Number(env.TOTAL_STEPS ?? 200), checkpointEvery: Number(env.CHECKPOINT_EVERY ?? 20),
      ...(env.AUTOPILOT_CHECKPOINT_PREFIX ? { prefix: env.AUTOPILOT_CHECKPOINT_PREFIX } : {}),
      startStep, step: startStep, status: 'PENDING', message: 'Job has not started yet. It may be waiting for resources (CPUs, GPUs, memory, custom resources) to become available.',
      startTime: null, endTime: null, request, writes: Promise.resolve(),
    };
    this.jobs.set(jobKey(cluster.id, job.submissionId), job);
    return 'ok';
  }

  stopJob(clusterId: string, submissionId: string): boolean | 'notFound' {
    const job = this.jobs.get(jobKey(clusterId, submissionId));
    if (!job) return 'notFound';
    if (job.status !== 'PENDING' && job.status !== 'RUNNING') return false;
    this.end(job, 'STOPPED', 'Job was intentionally stopped.');
    return true;
  }

  job(clusterId: string, submissionId: string): TwinJob | undefined { return this.jobs.get(jobKey(clusterId, submissionId)); }

  private end(job: TwinJob, status: 'SUCCEEDED' | 'FAILED' | 'STOPPED', message: string): void {
    job.status = status;
    job.message = message;
    job.endTime = this.now();
    if (status === 'SUCCEEDED') this.jobsSucceeded++;
    this.emit('jobEnded', job);
  }

  /** Like Ray Train V2: upload the checkpoint directory, then register it in the manager snapshot. */
  private checkpoint(job: TwinJob): void {
    const dir = `checkpoint_${String(job.step).padStart(6, '0')}`;
    const step = job.step;
    const prefix = job.prefix!;
    job.writes = job.writes.then(async () => {
      await this.sink.write(`${prefix}${dir}/model.pt`, `weights of ${job.jobId} at step ${step}`);
      const snapshot = {
        ray_version: '2.52.0',
        checkpoint_results: [{ version: 0, checkpoint_dir_name: dir, metrics: { step } }],
        latest_checkpoint_result: { version: 0, checkpoint_dir_name: dir, metrics: { step } },
      };
      await this.sink.write(`${prefix}checkpoint_manager_snapshot.json`, JSON.stringify(snapshot));
      job.lastCompleteCheckpoint = `${prefix}${dir}`;
      this.emit('checkpoint', job, `${prefix}${dir}`);
    }).catch(() => { /* a failed upload leaves the previous checkpoint as the latest complete one */ });
  }
}

const jobKey = (clusterId: string, submissionId: string) => `${clusterId}|${submissionId}`;

class ClusterBackend implements RayBackend {
  constructor(private readonly world: FleetWorld, private readonly cluster: WorldCluster) {}
  reachable(): boolean { return !this.world.isDown(this.cluster.region); }
  submit(request: RaySubmitToBackend): 'ok' | 'duplicate' { return this.world.submit(this.cluster, request); }
  get(submissionId: string): RayJobDetails | undefined {
    const job = this.world.job(this.cluster.id, submissionId);
    return job ? details(job) : undefined;
  }
  list(): RayJobDetails[] { return this.world.allJobs().filter((j) => j.clusterId === this.cluster.id).map(details); }
  stop(submissionId: string): boolean | 'notFound' {
    return this.world.stopJob(this.cluster.id, submissionId);
  }
  remove(submissionId: string): 'deleted' | 'notFound' | 'notTerminal' {
    const job = this.world.job(this.cluster.id, submissionId);
    if (!job) return 'notFound';
    return job.status === 'PENDING' || job.status === 'RUNNING' ? 'notTerminal' : 'deleted';
  }
}

function details(job: TwinJob): RayJobDetails {
  return {
    type: 'SUBMISSION', job_id: job.startTime ? job.rayJobId : null,
    submission_id: job.submissionId, status: job.status, entrypoint: job.request.entrypoint, message: job.message,
    error_type: job.status === 'FAILED' ? 'JOB_SUPERVISOR_ACTOR_DIED' : null, start_time: job.startTime, end_time: job.endTime,
    metadata: job.request.metadata, runtime_env: job.request.runtimeEnv, entrypoint_num_gpus: job.gpus,
    driver_info: null, driver_exit_code: job.status === 'SUCCEEDED' ? 0 : null,
  };
}
