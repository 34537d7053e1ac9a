/** The Ray Jobs REST API of one Ray cluster (dashboard, port 8265). */
export interface RaySubmitRequest {
  readonly entrypoint: string;
  readonly submissionId: string;
  readonly entrypointNumGpus?: number;
  readonly runtimeEnv?: Record<string, unknown>;
  /** Ray requires string values. */
  readonly metadata?: Record<string, string>;
}

export type RayJobStatus = 'PENDING' | 'RUNNING' | 'STOPPED' | 'SUCCEEDED' | 'FAILED';

export interface RayJobInfo {
  readonly submissionId: string;
  readonly status: RayJobStatus;
  readonly message?: string;
  readonly metadata?: Record<string, string>;
}

export interface RayJobs {
  /**
   * 'duplicate' when a job with this submission id already exists on that cluster: a repeat is harmless.
   * Throws an error with `retryable: false` when Ray refuses the request itself (it can never succeed),
   * any other error when the cluster could not take it now.
   */
  submit(endpoint: string, request: RaySubmitRequest): Promise<'submitted' | 'duplicate'>;
  /** 'unreachable' when the cluster does not answer in time (its region may be down). */
  stop(endpoint: string, submissionId: string): Promise<'stopped' | 'alreadyStopped' | 'notFound' | 'unreachable'>;
  get(endpoint: string, submissionId: string): Promise<RayJobInfo | 'notFound' | 'unreachable'>;
  list(endpoint: string): Promise<RayJobInfo[] | 'unreachable'>;
  /**
   * Submission ids of the jobs with work (actors) on the Ray nodes at these IPs (the pod IPs of the Ray worker
   * pods on a failing Kubernetes node), from the Ray State API: nodes by IP → alive actors on them → their
   * driver job ids → submissions.
   */
  jobsOnNodes(endpoint: string, nodeIps: readonly string[]): Promise<readonly string[] | 'unreachable'>;
}

export const TERMINAL_RAY_STATUSES: ReadonlySet<RayJobStatus> = new Set(['STOPPED', 'SUCCEEDED', 'FAILED']);

/** Ray refused the request itself (a 400): retrying the same request cannot succeed. */
export const isPermanentRayError = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === false;
