/**
 * `RayJobs` over the Ray Jobs REST API (dashboard, port 8265), with the global `fetch`.
 *
 * `endpoint` is the dashboard's base URL: `http://127.0.0.1:8265`, or a Kubernetes API-server service-proxy
 * URL such as `https://<apiserver>/api/v1/namespaces/ray/services/rc-head-svc:8265/proxy`.
 *
 * - Every request has its own timeout (`AbortSignal.timeout`); a network error, reset or timeout means the
 *   cluster did not answer: `stop`/`get`/`list` return 'unreachable', `submit` throws a retryable
 *   `RayApiError` with status 0 (a timed-out submit may still have been accepted; resubmitting with the same
 *   submission id is harmless because a duplicate counts as success).
 * - A duplicate `submission_id` is recognised by its text, not its status code (400 or 500 depending on the
 *   Ray version), as KubeRay does.
 * - Redirects are never followed (a 3xx is an error); credentials are never sent to another host.
 */
import type { RayJobInfo, RayJobs, RayJobStatus, RaySubmitRequest } from '../../ports/rayJobs.js';

export interface HttpRayJobsOptions {
  /** Per request, including reading the body. Default 3000 ms. */
  timeoutMs?: number;
  /** Extra headers for every request, e.g. `{ authorization: 'Bearer …' }` or `{ 'x-ray-authorization': … }`. */
  headers?: () => Promise<Record<string, string>> | Record<string, string>;
}

/** An answer from the Ray dashboard (or the proxy in front of it) that the adapter cannot turn into a result. */
export class RayApiError extends Error {
  override readonly name = 'RayApiError';
  /** HTTP status; 0 when no response arrived (network error, reset, timeout). */
  readonly status: number;
  /** Response body text (Ray sends errors as text/plain tracebacks); '' when there was none. */
  readonly body: string;
  /** true when the same call may succeed later: no response, "No available agent", 429, 502/503/504. */
  readonly retryable: boolean;

  constructor(message: string, init: { status: number; body: string; retryable: boolean; cause?: unknown }) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.body = init.body;
    this.retryable = init.retryable;
  }
}

const DEFAULT_TIMEOUT_MS = 3000;
const STATUSES: ReadonlySet<string> = new Set(['PENDING', 'RUNNING', 'STOPPED', 'SUCCEEDED', 'FAILED']);
/** Statuses where the dashboard itself did not answer (a proxy or load balancer in front of it did). */
const GATEWAY_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);
const MAX_ERROR_BODY_IN_MESSAGE = 500;

/** Ray's duplicate-submission text: "Job with submission_id X already exists. Please use a different submission_id." */
export function isDuplicateSubmissionText(body: string): boolean {
  return body.includes('Please use a different submission_id') || /submission_id \S+ already exists/.test(body);
}

function isNoAgentText(body: string): boolean {
  return body.includes('No available agent');
}

/** `base` + `/api/...`, without doubling or dropping slashes; keeps any path prefix (e.g. `/proxy`). */
export function joinRayUrl(endpoint: string, path: string): string {
  const url = new URL(endpoint); // throws TypeError on a malformed endpoint: a configuration error, not unreachability
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Ray endpoint must be http(s): ${endpoint}`);
  }
  url.search = '';
  url.hash = '';
  const base = url.toString().replace(/\/+$/, '');
  return `${base}/${path.replace(/^\/+/, '')}`;
}

type Outcome = { kind: 'response'; status: number; body: string } | { kind: 'unreachable'; cause: unknown };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export class HttpRayJobs implements RayJobs {
  private readonly timeoutMs: number;
  private readonly headersHook: HttpRayJobsOptions['headers'];

  constructor(options: HttpRayJobsOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.headersHook = options.headers;
  }

  async submit(endpoint: string, request: RaySubmitRequest): Promise<'submitted' | 'duplicate'> {
    const url = joinRayUrl(endpoint, '/api/jobs/');
    const payload = {
      entrypoint: request.entrypoint,
      submission_id: request.submissionId,
      runtime_env: request.runtimeEnv,
      metadata: request.metadata,
      entrypoint_num_gpus: request.entrypointNumGpus,
    };
    const outcome = await this.send('POST', url, JSON.stringify(payload));
    if (outcome.kind === 'unreachable') {
      throw new RayApiError(`Ray submit ${request.submissionId}: no answer from ${url}`, {
        status: 0,
        body: '',
        retryable: true,
        cause: outcome.cause,
      });
    }
    const { status, body } = outcome;
    if (status >= 200 && status < 300) {
      const parsed = this.parse(status, body, url);
      if (!isRecord(parsed) || parsed['submission_id'] !== request.submissionId) {
        throw this.error('unexpected submit response', status, body, url);
      }
      return 'submitted';
    }
    if (isDuplicateSubmissionText(body)) return 'duplicate';
    throw this.error('submit failed', status, body, url);
  }

  async stop(endpoint: string, submissionId: string): Promise<'stopped' | 'alreadyStopped' | 'notFound' | 'unreachable'> {
    const url = joinRayUrl(endpoint, `/api/jobs/${encodeURIComponent(submissionId)}/stop`);
    const outcome = await this.send('POST', url);
    if (outcome.kind === 'unreachable') return 'unreachable';
    const { status, body } = outcome;
    if (status === 404) return 'notFound';
    if (GATEWAY_STATUSES.has(status)) return 'unreachable';
    if (status >= 200 && status < 300) {
      const parsed = this.parse(status, body, url);
      if (isRecord(parsed) && typeof parsed['stopped'] === 'boolean') {
        return parsed['stopped'] ? 'stopped' : 'alreadyStopped';
      }
      throw this.error('unexpected stop response', status, body, url);
    }
    throw this.error('stop failed', status, body, url);
  }

  async get(endpoint: string, submissionId: string): Promise<RayJobInfo | 'notFound' | 'unreachable'> {
    const url = joinRayUrl(endpoint, `/api/jobs/${encodeURIComponent(submissionId)}`);
    const outcome = await this.send('GET', url);
    if (outcome.kind === 'unreachable') return 'unreachable';
    const { status, body } = outcome;
    if (status === 404) return 'notFound';
    if (GATEWAY_STATUSES.has(status)) return 'unreachable';
    if (status < 200 || status >= 300) throw this.error('get failed', status, body, url);
    const parsed = this.parse(status, body, url);
    // The id matched a plain driver job (by its hex job id), not a submission: no such submission.
    if (isRecord(parsed) && parsed['type'] === 'DRIVER') return 'notFound';
    const info = toJobInfo(parsed);
    if (!info) throw this.error('unexpected job details', status, body, url);
    return info;
  }

  async list(endpoint: string): Promise<RayJobInfo[] | 'unreachable'> {
    const url = joinRayUrl(endpoint, '/api/jobs/');
    const outcome = await this.send('GET', url);
    if (outcome.kind === 'unreachable') return 'unreachable';
    const { status, body } = outcome;
    if (GATEWAY_STATUSES.has(status)) return 'unreachable';
    if (status < 200 || status >= 300) throw this.error('list failed', status, body, url);
    const parsed = this.parse(status, body, url);
    if (!Array.isArray(parsed)) throw this.error('job list is not an array', status, body, url);
    const jobs: RayJobInfo[] = [];
    for (const item of parsed) {
      if (!isRecord(item) || item['type'] !== 'SUBMISSION') continue;
      const info = toJobInfo(item);
      if (!info) throw this.error('unexpected job details in list', status, body, url);
      jobs.push(info);
    }
    return jobs;
  }

  // -------------------------------------------------------------------------------------------------------

  private async send(method: 'GET' | 'POST', url: string, body?: string): Promise<Outcome> {
    // The hook runs outside the network try: a failure to get a token is not the cluster being down.
    const extra = this.headersHook ? await this.headersHook() : {};
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await fetch(url, {
        method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The same signal bounds reading the body.
      const text = await response.text();
      return { kind: 'response', status: response.status, body: text };
    } catch (cause) {
      return { kind: 'unreachable', cause };
    }
  }

  private parse(status: number, body: string, url: string): unknown {
    try {
      return JSON.parse(body) as unknown;
    } catch (cause) {
      throw this.error('response is not JSON', status, body, url, cause);
    }
  }

  private error(what: string, status: number, body: string, url: string, cause?: unknown): RayApiError {
    const retryable = GATEWAY_STATUSES.has(status) || status === 429 || isNoAgentText(body);
    const excerpt = body.length > MAX_ERROR_BODY_IN_MESSAGE ? `${body.slice(0, MAX_ERROR_BODY_IN_MESSAGE)}…` : body;
    const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
    return new RayApiError(`Ray ${what}: HTTP ${status} from ${url}${redirect}: ${excerpt}`, {
      status,
      body,
      retryable,
      cause,
    });
  }
}

function toJobInfo(value: unknown): RayJobInfo | undefined {
  if (!isRecord(value)) return undefined;
  const submissionId = value['submission_id'];
  const status = value['status'];
  if (typeof submissionId !== 'string' || typeof status !== 'string' || !STATUSES.has(status)) return undefined;
  const info: { submissionId: string; status: RayJobStatus; message?: string; metadata?: Record<string, string> } = {
    submissionId,
    status: status as RayJobStatus,
  };
  const message = value['message'];
  if (typeof message === 'string') info.message = message;
  const metadata = stringRecord(value['metadata']);
  if (metadata) info.metadata = metadata;
  return info;
}
