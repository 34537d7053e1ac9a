/**
 * The fleet twin's world: regions, AKS clusters with GPU nodes, and Ray jobs that run on those nodes, write
 * checkpoints to Blob Storage the way Ray Train does, and resume from the checkpoint they are given. It ticks on
 * a clock (`now` is injected, `tick()` is public, so it also runs on a virtual clock); faces (Ray Jobs API,
 * Kubernetes API) are views onto it.
 *
 * - Outages freeze a region: its clusters stop answering and nothing there moves; when the region comes back,
 *   the jobs that ran there have failed.
 * - Each cluster's nodes, pods, RayCluster, PodDisruptionBudget and Ray nodes live in a `KubeCluster`
 *   (`kubernetes/kubeCluster.ts`). A job that starts takes its GPUs on placeable nodes (schedulable, Ready,
 *   healthy GPUs, a live worker pod) and runs one Ray Train worker actor per node; it waits PENDING while
 *   they do not have room.
 * - Node faults: a NotReady node or one with a GPU XID stalls its jobs; after `failJobsAfterTicks` ticks of
 *   that they fail, as Ray Train gives up. A Spot eviction takes the VM at its deadline, a lost node at once:
 *   its pods go and the jobs on them fail. A worker pod that is evicted or deleted fails its jobs when it is
 *   gone; a lost head pod fails every running job of its cluster.
 */
import { EventEmitter } from 'node:events';
import { KubeCluster, type KubeEvents } from './kubernetes/kubeCluster.js';
import type { NodeRemovalReason, TwinNode, TwinPod, WorldPool } from './kubernetes/model.js';
import { kubeUid } from './kubernetes/names.js';
import { ClusterBackend } from './ray/clusterBackend.js';
import { rayJobIdHex, type RayBackend, type RayJobDetails, type RaySubmitToBackend } from './ray/rayBackend.js';

export type { WorldPool } from './kubernetes/model.js';

export interface WorldCluster {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  /** GPUs declared for the cluster; without `pools`, one pool `gpu` of this many single-GPU nodes. */
  readonly gpus: number;
  /** GPU node pools (the system pool with the Ray head is added on its own). */
  readonly pools?: readonly WorldPool[];
  /** `maxUnavailable` of the `ray-workers` PodDisruptionBudget. Default 1. */
  readonly pdbMaxUnavailable?: number;
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

export interface WorldOptions {
  /** Ticks a NotReady or GPU-faulted node stalls its jobs before they fail. Default 30. */
  readonly failJobsAfterTicks?: number;
  /** Ticks a deleted pod lingers (its grace period). Default 1. */
  readonly terminationTicks?: number;
}

/** Where a running job has its GPUs: one Ray Train worker actor per node. */
export interface JobPlacement {
  readonly node: string;
  readonly pod: string;
  readonly gpus: number;
  readonly actorId: string;
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
  /** Set when the job starts; kept after it ends. */
  placement: readonly JobPlacement[];
  /** Steps done since the last complete checkpoint when the job failed: work to redo. */
  lostSteps?: number;
  readonly rayNamespace: string;
}

export interface WorldStats {
  /** Ticks in which two attempts of one job made progress at the same time. Must stay 0. */
  readonly doubleRunTicks: number;
  readonly jobsSucceeded: number;
}

export interface WorldEvents extends KubeEvents {
  jobStarted: [TwinJob];
  jobEnded: [TwinJob];
  checkpoint: [TwinJob, string];
  regionDown: [string];
  regionUp: [string];
  nodeNotReady: [clusterId: string, node: string];
  nodeReady: [clusterId: string, node: string];
  gpuXid: [clusterId: string, node: string, xid: number];
  /** The VM will be evicted at `deadlineMs` (the Scheduled Events `Preempt` notice). */
  spotEvictionNotice: [clusterId: string, node: string, deadlineMs: number];
}

const POD_GONE: Record<string, string> = {
  evicted: 'was evicted',
  deleted: 'was deleted',
  workersToDelete: 'was scaled in by KubeRay',
  surplus: 'was scaled in by KubeRay',
  nodeRemoved: 'was lost with its node',
};

export class FleetWorld extends EventEmitter<WorldEvents> {
  readonly clusters: ReadonlyMap<string, WorldCluster>;
  readonly failJobsAfterTicks: number;
  private readonly down = new Set<string>();
  private readonly kubes = new Map<string, KubeCluster>();
  /** By cluster and submission id: like real Ray, each cluster only knows its own submissions. */
  private readonly jobs = new Map<string, TwinJob>();
  /** PENDING and RUNNING jobs, in submission order: what a tick looks at. */
  private readonly active = new Set<TwinJob>();
  /** GPUs held by RUNNING jobs, by `<cluster>|<node>`. */
  private readonly usedGpus = new Map<string, number>();
  private ticks = 0;
  private doubleRunTicks = 0;
  private jobsSucceeded = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly regions: readonly WorldRegion[],
    clusters: readonly WorldCluster[],
    private readonly sink: CheckpointSink,
    private readonly now: () => number = Date.now,
    options: WorldOptions = {},
  ) {
    super();
    this.clusters = new Map(clusters.map((c) => [c.id, c]));
    this.failJobsAfterTicks = options.failJobsAfterTicks ?? 30;
    const hooks = {
      now: () => this.now(),
      tick: () => this.ticks,
      emit: <K extends keyof KubeEvents>(event: K, ...args: KubeEvents[K]) => {
        (this.emit as (e: K, ...a: KubeEvents[K]) => boolean)(event, ...args);
      },
    };
    for (const c of clusters) {
      const pools = c.pools ?? [{ name: 'gpu', gpusPerNode: 1, count: c.gpus }];
      this.kubes.set(c.id, new KubeCluster(c, pools, {
        ...(c.pdbMaxUnavailable !== undefined ? { pdbMaxUnavailable: c.pdbMaxUnavailable } : {}),
        ...(options.terminationTicks !== undefined ? { terminationTicks: options.terminationTicks } : {}),
      }, hooks));
    }
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
    return new ClusterBackend(this, this.cluster(clusterId));
  }

  /** A cluster's Kubernetes state (nodes, pods, RayCluster, PDB, Ray nodes and actors). */
  kube(clusterId: string): KubeCluster {
    const kube = this.kubes.get(clusterId);
    if (!kube) throw new Error(`no cluster ${clusterId}`);
    return kube;
  }

  /** World ticks so far. */
  get tickCount(): number {
    return this.ticks;
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

  // ------------------------------------------------------------------------------------------------ capacity

  /**
   * A pool's node count (the ARM twin's `poolScaled`): adds nodes, or removes idle ones first; jobs on removed
   * nodes fail. The Ray worker group follows (see `KubeCluster.setPoolNodes`).
   */
  setPoolNodes(clusterId: string, pool: string, count: number, gpusPerNode = 1, vmSize?: string): void {
    const kube = this.kube(clusterId);
    const busy = (node: string): boolean => this.runningOn(clusterId).some((j) => j.placement.some((p) => p.node === node));
    this.podsGone(clusterId, kube.setPoolNodes(pool, count, gpusPerNode, busy, vmSize));
  }

  /** GPUs a cluster's pools offer now, as nodes of its first GPU pool (a thin wrapper over `setPoolNodes`). */
  setClusterGpus(clusterId: string, gpus: number): void {
    const pool = this.kube(clusterId).gpuPools()[0] ?? { name: 'gpu', gpusPerNode: 1 };
    const perNode = Math.max(1, pool.gpusPerNode);
    this.setPoolNodes(clusterId, pool.name, Math.ceil(gpus / perNode), perNode);
  }

  /** GPUs on the cluster's nodes, whatever their state. */
  clusterGpus(clusterId: string): number {
    return this.kube(clusterId).gpuNodes().reduce((n, node) => n + node.gpus, 0);
  }

  /** GPUs a new job could take now: free GPUs on placeable nodes. */
  freeGpus(clusterId: string): number {
    const kube = this.kube(clusterId);
    return kube.gpuNodes().filter((n) => kube.placeable(n)).reduce((sum, n) => sum + this.freeOn(clusterId, n), 0);
  }

  // ------------------------------------------------------------------------------------------------ node faults

  /** The kubelet stops posting status: jobs on the node stall, and fail after `failJobsAfterTicks`. */
  nodeNotReady(clusterId: string, node: string): void {
    this.requireNode(clusterId, node);
    this.kube(clusterId).setReady(node, false);
    this.emit('nodeNotReady', clusterId, node);
  }

  nodeReady(clusterId: string, node: string): void {
    this.requireNode(clusterId, node);
    this.kube(clusterId).setReady(node, true);
    this.emit('nodeReady', clusterId, node);
  }

  /** An NVIDIA XID: the node stays Ready, its jobs stall and fail after `failJobsAfterTicks`; it takes no new work. */
  gpuXid(clusterId: string, node: string, xid: number): void {
    this.requireNode(clusterId, node);
    this.kube(clusterId).setXid(node, xid);
    this.emit('gpuXid', clusterId, node, xid);
  }

  /** The GPUs are healthy again (a reset or reboot fixed them). */
  clearGpuFault(clusterId: string, node: string): void {
    this.requireNode(clusterId, node);
    this.kube(clusterId).setXid(node, undefined);
  }

  /** Spot eviction: the node works until `noticeMs` from now, then its VM is gone. */
  spotEvict(clusterId: string, node: string, noticeMs: number): void {
    const n = this.requireNode(clusterId, node);
    n.spotDeadline = this.now() + noticeMs;
    this.emit('spotEvictionNotice', clusterId, node, n.spotDeadline);
  }

  /** The VM is gone now: the node and its pods disappear, the jobs on them fail. */
  nodeGone(clusterId: string, node: string): void {
    this.requireNode(clusterId, node);
    this.removeNode(clusterId, node, 'gone');
  }

  cordon(clusterId: string, node: string): void {
    this.requireNode(clusterId, node);
    this.kube(clusterId).setUnschedulable(node, true);
  }

  uncordon(clusterId: string, node: string): void {
    this.requireNode(clusterId, node);
    this.kube(clusterId).setUnschedulable(node, false);
  }

  /** Jobs running with GPUs on a node. */
  jobsOnNode(clusterId: string, node: string): TwinJob[] {
    return this.runningOn(clusterId).filter((j) => j.placement.some((p) => p.node === node));
  }

  // ------------------------------------------------------------------------------------------------ time

  allJobs(): readonly TwinJob[] { return [...this.jobs.values()]; }

  stats(): WorldStats { return { doubleRunTicks: this.doubleRunTicks, jobsSucceeded: this.jobsSucceeded }; }

  /** One step of the world. Public so tests can drive it without timers. */
  tick(): void {
    this.ticks++;
    for (const cluster of this.clusters.values()) {
      if (this.down.has(cluster.region)) continue;
      const kube = this.kube(cluster.id);
      for (const node of [...kube.nodes.values()]) {
        if (node.spotDeadline !== undefined && node.spotDeadline <= this.now()) this.removeNode(cluster.id, node.name, 'spotEvicted');
      }
      this.podsGone(cluster.id, kube.reconcile());
      for (const node of kube.faultTick(this.failJobsAfterTicks)) {
        const why = node.ready ? `GPU XID ${node.xid} on node ${node.name}` : `node ${node.name} is NotReady`;
        this.failWhere(cluster.id, (p) => p.node === node.name, `Job failed: a Ray Train worker died (${why}) and the run ran out of retries.`);
      }
    }
    const progressed = new Map<string, number>();
    for (const job of this.active) {
      const cluster = this.clusters.get(job.clusterId)!;
      if (this.down.has(cluster.region)) continue;
      if (job.status === 'PENDING') this.tryStart(job);
      if (job.status !== 'RUNNING' || !this.canProgress(job)) continue;
      job.step++;
      progressed.set(job.jobId, (progressed.get(job.jobId) ?? 0) + 1);
      if (job.prefix && job.step % job.checkpointEvery === 0) this.checkpoint(job);
      if (job.step >= job.totalSteps) this.end(job, 'SUCCEEDED', 'Job finished successfully.');
    }
    for (const n of progressed.values()) if (n > 1) this.doubleRunTicks++;
  }

  // ------------------------------------------------------------------------------------------------ jobs

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
      startTime: null, endTime: null, request, writes: Promise.resolve(), placement: [],
      rayNamespace: kubeUid(`namespace|${cluster.id}|${request.submissionId}`),
    };
    this.jobs.set(jobKey(cluster.id, job.submissionId), job);
    this.active.add(job);
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

  private cluster(clusterId: string): WorldCluster {
    const cluster = this.clusters.get(clusterId);
    if (!cluster) throw new Error(`no cluster ${clusterId}`);
    return cluster;
  }

  private requireNode(clusterId: string, node: string): TwinNode {
    const n = this.kube(clusterId).node(node);
    if (!n) throw new Error(`no node ${node} in ${clusterId}`);
    return n;
  }

  private runningOn(clusterId: string): TwinJob[] {
    return [...this.active].filter((j) => j.clusterId === clusterId && j.status === 'RUNNING');
  }

  private freeOn(clusterId: string, node: TwinNode): number {
    return node.gpus - (this.usedGpus.get(`${clusterId}|${node.name}`) ?? 0);
  }

  private holdGpus(job: TwinJob, sign: 1 | -1): void {
    for (const p of job.placement) {
      const key = `${job.clusterId}|${p.node}`;
      const held = (this.usedGpus.get(key) ?? 0) + sign * p.gpus;
      if (held > 0) this.usedGpus.set(key, held);
      else this.usedGpus.delete(key);
    }
  }

  /** Takes GPUs on placeable nodes in node order; a job that does not fit stays PENDING. */
  private tryStart(job: TwinJob): void {
    const kube = this.kube(job.clusterId);
    const picks: Array<{ node: TwinNode; pod: TwinPod; gpus: number }> = [];
    let need = job.gpus;
    for (const node of kube.gpuNodes()) {
      if (need <= 0) break;
      if (!kube.placeable(node)) continue;
      const take = Math.min(this.freeOn(job.clusterId, node), need);
      if (take <= 0) continue;
      picks.push({ node, pod: kube.activeWorkerPod(node.name)!, gpus: take });
      need -= take;
    }
    if (need > 0) return;
    job.placement = picks.map(({ node, pod, gpus }) => ({
      node: node.name, pod: pod.name, gpus,
      actorId: kube.addActor(pod, job.rayJobId, `${job.submissionId}|${node.name}`, gpus, job.rayNamespace).actor_id,
    }));
    this.holdGpus(job, 1);
    job.status = 'RUNNING';
    job.message = 'Job is currently running.';
    job.startTime = this.now();
    this.emit('jobStarted', job);
  }

  /** Every node the job uses is Ready and its GPUs are healthy. */
  private canProgress(job: TwinJob): boolean {
    const kube = this.kube(job.clusterId);
    return job.placement.every((p) => {
      const node = kube.node(p.node);
      return node !== undefined && node.ready && node.xid === undefined;
    });
  }

  private removeNode(clusterId: string, node: string, reason: NodeRemovalReason): void {
    this.podsGone(clusterId, this.kube(clusterId).removeNode(node, reason));
  }

  /** Jobs with a worker on a pod that is gone fail (Ray Train loses a worker it cannot replace). */
  private podsGone(clusterId: string, pods: readonly TwinPod[]): void {
    for (const pod of pods) {
      if (pod.role === 'head') {
        // Without GCS fault tolerance every driver dies with the head.
        for (const job of this.runningOn(clusterId)) this.end(job, 'FAILED', `Job failed: the Ray head pod ${pod.name} was lost.`);
        continue;
      }
      const how = POD_GONE[pod.deletionReason ?? 'deleted'] ?? 'went away';
      this.failWhere(clusterId, (p) => p.pod === pod.name,
        `Job failed: a Ray Train worker died (pod ${pod.name} on node ${pod.nodeName} ${how}) and the run ran out of retries.`);
    }
  }

  private failWhere(clusterId: string, where: (p: JobPlacement) => boolean, message: string): void {
    for (const job of this.runningOn(clusterId)) if (job.placement.some(where)) this.end(job, 'FAILED', message);
  }

  private end(job: TwinJob, status: 'SUCCEEDED' | 'FAILED' | 'STOPPED', message: string): void {
    if (job.status === 'RUNNING') this.holdGpus(job, -1);
    this.active.delete(job);
    job.status = status;
    job.message = message;
    job.endTime = this.now();
    if (status === 'SUCCEEDED') this.jobsSucceeded++;
    if (status === 'FAILED') {
      const saved = Number(/checkpoint_(\d+)$/.exec(job.lastCompleteCheckpoint ?? '')?.[1] ?? job.startStep);
      job.lostSteps = Math.max(0, job.step - saved);
    }
    const kube = this.kube(job.clusterId);
    for (const p of job.placement) kube.endActor(p.actorId);
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
