/**
 * State behind the Ray Jobs face (`rayJobsFace.ts`). The twin's in-memory world implements `RayBackend`;
 * `InMemoryRayBackend` is a small reference implementation used by the contract test.
 *
 * Shapes follow Ray's `JobDetails` (`python/ray/dashboard/modules/job/pydantic_models.py`) and `JobInfo`
 * (`common.py`); semantics follow `job_manager.py` (`stop_job` returns whether the job was still running,
 * `delete_job` only for terminal jobs, a terminal status never changes).
 */
import type { RayActorState, RayNodeState } from './rayState.js';

export type RayJobDetailsStatus = 'PENDING' | 'RUNNING' | 'STOPPED' | 'SUCCEEDED' | 'FAILED';

export interface RayDriverInfo {
  id: string;
  node_ip_address: string;
  /** Ray sends the pid as a string. */
  pid: string;
}

/** One submission job as `GET /api/jobs/{id}` returns it. */
export interface RayJobDetails {
  type: 'SUBMISSION';
  /** The driver's job id (hex, e.g. "02000000"); null until the driver has started. */
  job_id: string | null;
  submission_id: string;
  status: RayJobDetailsStatus;
  entrypoint: string;
  message: string;
  error_type: string | null;
  /** Unix milliseconds. */
  start_time: number | null;
  end_time: number | null;
  metadata: Record<string, string>;
  runtime_env: Record<string, unknown>;
  entrypoint_num_gpus?: number;
  driver_info: RayDriverInfo | null;
  driver_exit_code: number | null;
  /** Optional here; the face sends null when absent, as Ray does. */
  driver_agent_http_address?: string | null;
  driver_node_id?: string | null;
}

/** A plain driver job (`ray.init()` without the Jobs API); only ever listed, never stored by the backend. */
export interface RayDriverJobDetails {
  type: 'DRIVER';
  job_id: string;
  submission_id: null;
  status: 'RUNNING' | 'SUCCEEDED';
  entrypoint: string;
  message: string | null;
  error_type: null;
  start_time: number | null;
  end_time: number | null;
  metadata: Record<string, string>;
  runtime_env: Record<string, unknown>;
  driver_info: RayDriverInfo | null;
  driver_agent_http_address: null;
  driver_node_id: null;
  driver_exit_code: null;
}

export interface RaySubmitToBackend {
  entrypoint: string;
  submissionId: string;
  runtimeEnv: Record<string, unknown>;
  metadata: Record<string, string>;
  /** 0 when the request did not set it. */
  entrypointNumGpus: number;
}

export interface RayBackend {
  /** false while the cluster's region is down: the face then resets every connection without answering, as a dead host would. */
  reachable(): boolean;
  submit(request: RaySubmitToBackend): 'ok' | 'duplicate';
  get(submissionId: string): RayJobDetails | undefined;
  list(): RayJobDetails[];
  /** true: was PENDING/RUNNING and is now stopping (or stopped); false: already terminal. */
  stop(submissionId: string): boolean | 'notFound';
  remove(submissionId: string): 'deleted' | 'notFound' | 'notTerminal';
  /** Ray State API rows for `GET /api/v0/nodes`, detail columns included (the face picks the columns). */
  nodes(): RayNodeState[];
  /** Ray State API rows for `GET /api/v0/actors`, detail columns included. */
  actors(): RayActorState[];
}

/** Ray's JobID: 4 bytes, little-endian, as hex (job 1 → "01000000", job 2 → "02000000"). */
export function rayJobIdHex(n: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(n >>> 0);
  return bytes.toString('hex');
}

const TERMINAL: ReadonlySet<RayJobDetailsStatus> = new Set(['STOPPED', 'SUCCEEDED', 'FAILED']);

/** Ray's default `JobInfo.message` for a status (`common.py` `JobInfo.__post_init__`). */
export function defaultRayMessage(
  status: RayJobDetailsStatus,
  job: { entrypoint_num_gpus?: number; runtime_env?: Record<string, unknown> } = {},
): string {
  switch (status) {
    case 'PENDING': {
      let message = 'Job has not started yet.';
      if ((job.entrypoint_num_gpus ?? 0) > 0) {
        message += ' It may be waiting for resources (CPUs, GPUs, memory, custom resources) to become available.';
      }
      if (job.runtime_env && Object.keys(job.runtime_env).length > 0) {
        message += ' It may be waiting for the runtime environment to be set up.';
      }
      return message;
    }
    case 'RUNNING':
      return 'Job is currently running.';
    case 'STOPPED':
      return 'Job was intentionally stopped.';
    case 'SUCCEEDED':
      return 'Job finished successfully.';
    case 'FAILED':
      return 'Job failed.';
  }
}

export interface InMemoryRayBackendOptions {
  /** Status a job takes on submit. Default 'RUNNING' (the driver starts at once). */
  initialStatus?: 'PENDING' | 'RUNNING';
  /** Unix ms; default Date.now. */
  now?: () => number;
  /** Driver node IP shown in `driver_info`. */
  nodeIp?: string;
}

/**
 * A reference backend: a map of jobs. On submit a job goes PENDING→RUNNING at once (or stays PENDING with
 * `initialStatus: 'PENDING'`); `stop` moves a non-terminal job straight to STOPPED. Tests drive other
 * transitions with `setStatus`, `seed` and `setReachable`.
 */
export class InMemoryRayBackend implements RayBackend {
  private readonly jobs = new Map<string, RayJobDetails>();
  private readonly rayNodes = new Map<string, RayNodeState>();
  private readonly rayActors = new Map<string, RayActorState>();
  private isReachable = true;
  private nextDriver = 1;
  private readonly initialStatus: 'PENDING' | 'RUNNING';
  private readonly now: () => number;
  private readonly nodeIp: string;

  constructor(options: InMemoryRayBackendOptions = {}) {
    this.initialStatus = options.initialStatus ?? 'RUNNING';
    this.now = options.now ?? Date.now;
    this.nodeIp = options.nodeIp ?? '10.244.0.10';
  }

  reachable(): boolean {
    return this.isReachable;
  }

  setReachable(reachable: boolean): void {
    this.isReachable = reachable;
  }

  submit(request: RaySubmitToBackend): 'ok' | 'duplicate' {
    if (this.jobs.has(request.submissionId)) return 'duplicate';
    const job: RayJobDetails = {
      type: 'SUBMISSION',
      job_id: null,
      submission_id: request.submissionId,
      status: 'PENDING',
      entrypoint: request.entrypoint,
      message: '',
      error_type: null,
      start_time: this.now(),
      end_time: null,
      metadata: { ...request.metadata },
      runtime_env: structuredClone(request.runtimeEnv),
      driver_info: null,
      driver_exit_code: null,
      driver_agent_http_address: null,
      driver_node_id: null,
    };
    if (request.entrypointNumGpus > 0) job.entrypoint_num_gpus = request.entrypointNumGpus;
    job.message = defaultRayMessage('PENDING', job);
    this.jobs.set(request.submissionId, job);
    if (this.initialStatus === 'RUNNING') this.setStatus(request.submissionId, 'RUNNING');
    return 'ok';
  }

  get(submissionId: string): RayJobDetails | undefined {
    const job = this.jobs.get(submissionId);
    return job ? structuredClone(job) : undefined;
  }

  list(): RayJobDetails[] {
    return [...this.jobs.values()].map((job) => structuredClone(job));
  }

  stop(submissionId: string): boolean | 'notFound' {
    const job = this.jobs.get(submissionId);
    if (!job) return 'notFound';
    if (TERMINAL.has(job.status)) return false;
    this.setStatus(submissionId, 'STOPPED');
    return true;
  }

  remove(submissionId: string): 'deleted' | 'notFound' | 'notTerminal' {
    const job = this.jobs.get(submissionId);
    if (!job) return 'notFound';
    if (!TERMINAL.has(job.status)) return 'notTerminal';
    this.jobs.delete(submissionId);
    return 'deleted';
  }

  nodes(): RayNodeState[] {
    return [...this.rayNodes.values()].map((n) => structuredClone(n));
  }

  actors(): RayActorState[] {
    return [...this.rayActors.values()].map((a) => structuredClone(a));
  }

  /** Put a Ray node in place (State API row), replacing any node with the same id. */
  seedNode(node: RayNodeState): void {
    this.rayNodes.set(node.node_id, structuredClone(node));
  }

  /** Put an actor in place (State API row), replacing any actor with the same id. */
  seedActor(actor: RayActorState): void {
    this.rayActors.set(actor.actor_id, structuredClone(actor));
  }

  /** Put a job in place as given (e.g. a fixture), replacing any job with the same submission id. */
  seed(job: RayJobDetails): void {
    this.jobs.set(job.submission_id, structuredClone(job));
  }

  /**
   * Move a job to a new status, as Ray's job manager would. Throws if the job is terminal and the status
   * differs (Ray asserts "Attempted to change job status from a terminal state.").
   */
  setStatus(
    submissionId: string,
    status: RayJobDetailsStatus,
    extra: { message?: string; errorType?: string | null; exitCode?: number | null } = {},
  ): void {
    const job = this.jobs.get(submissionId);
    if (!job) throw new Error(`no Ray job ${submissionId}`);
    if (job.status !== status && TERMINAL.has(job.status)) {
      throw new Error('Attempted to change job status from a terminal state.');
    }
    if (status !== 'PENDING' && job.job_id === null) {
      const id = rayJobIdHex(this.nextDriver);
      this.nextDriver += 1;
      job.job_id = id;
      job.driver_info = { id, node_ip_address: this.nodeIp, pid: String(1000 + this.nextDriver) };
      job.driver_agent_http_address = `http://${this.nodeIp}:52365`;
      job.driver_node_id = 'f'.repeat(56);
    }
    job.status = status;
    job.message = extra.message ?? defaultRayMessage(status, job);
    if (extra.errorType !== undefined) job.error_type = extra.errorType;
    if (extra.exitCode !== undefined) job.driver_exit_code = extra.exitCode;
    if (TERMINAL.has(status)) job.end_time = this.now();
  }
}
