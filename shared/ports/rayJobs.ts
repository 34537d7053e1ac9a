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
  /** 'duplicate' when a job with this submission id already exists: a repeat is harmless. */
  submit(endpoint: string, request: RaySubmitRequest): Promise<'submitted' | 'duplicate'>;
  /** 'unreachable' when the cluster does not answer in time (its region may be down). */
  stop(endpoint: string, submissionId: string): Promise<'stopped' | 'alreadyStopped' | 'notFound' | 'unreachable'>;
  get(endpoint: string, submissionId: string): Promise<RayJobInfo | 'notFound' | 'unreachable'>;
  list(endpoint: string): Promise<RayJobInfo[] | 'unreachable'>;
}

export const TERMINAL_RAY_STATUSES: ReadonlySet<RayJobStatus> = new Set(['STOPPED', 'SUCCEEDED', 'FAILED']);
