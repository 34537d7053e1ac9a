/**
 * `RayJobs` over the Ray Jobs REST API and the Ray State API (dashboard, port 8265).
 *
 * `endpoint` is `ClusterSpec.rayEndpoint`: the dashboard's base URL (`http://127.0.0.1:8265`), or whatever the
 * `router` resolves — with `ServiceProxyRouter`, an `aks-service-proxy:` reference becomes the AKS API server's
 * service proxy with the cluster's CA and an Entra bearer token; a 401 there gets a fresh token and one retry.
 *
 * - Every request has its own timeout (`AbortSignal.timeout`); a network error, reset or timeout means the
 *   cluster did not answer: `stop`/`get`/`list` return 'unreachable', `submit` throws a retryable
 *   `RayApiError` with status 0 (a timed-out submit may still have been accepted; resubmitting with the same
 *   submission id is harmless because a duplicate counts as success).
 * - A duplicate `submission_id` is recognised by its text, not its status code (400 or 500 depending on the
 *   Ray version), as KubeRay does.
 * - Redirects are never followed (a 3xx is an error); credentials are never sent to another host.
 * - A 404 that is a Kubernetes `Status` came from the API server in front of Ray (no such Service or namespace, e.g.
 *   while the RayCluster is recreated), not from Ray: the cluster is unreachable, the job is not "not found".
 * - A route that cannot be resolved for a reason that may pass (ARM or the token service not answering) is
 *   'unreachable' like a network failure; one that can never work (bad reference, refused) throws.
 */
import type { RayJobInfo, RayJobs, RayJobStatus, RaySubmitRequest } from '../../ports/rayJobs.js';
import { directRouter, type RayRoute, type RayRouter } from './rayRoutes.js';
import { stateListPath, stateRows, stringColumn } from './rayStateApi.js';

export interface HttpRayJobsOptions {
  /** Per request, including reading the body. Default 3000 ms. */
  timeoutMs?: number;
  /**
   * After a cluster did not answer (timeout, reset, refused), further calls to it fail fast as 'unreachable' for
   * this long instead of each waiting out its own timeout: a region that went dark must not cost one timeout
   * per job of an evacuation. Any answer from the cluster closes the breaker. Default 5000 ms; 0 turns it off.
   */
  breakerMs?: number;
  /** Wall clock for the breaker (tests). */
  now?: () => number;
  /** Extra headers for every request, e.g. `{ 'x-ray-authorization': … }`. */
  headers?: () => Promise<Record<string, string>> | Record<string, string>;
  /** Resolves endpoints that are not base URLs. Default: every endpoint is a base URL. */
  router?: RayRouter;
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

type Outcome = { kind: 'response'; url: string; status: number; body: string } | { kind: 'unreachable'; url: string; cause: unknown };

/** A Kubernetes `Status` body: the answer of an API server proxying to Ray, not of Ray. */
function isKubernetesStatus(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as unknown;
    return isRecord(parsed) && parsed['kind'] === 'Status' && parsed['apiVersion'] === 'v1';
  } catch {
    return false;
  }
}

const LIVE_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'RUNNING']);

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
  private readonly router: RayRouter;
  private readonly breakerMs: number;
  private readonly now: () => number;
  /** Endpoint → until when it is treated as unreachable without asking. */
  private readonly down = new Map<string, number>();

  constructor(options: HttpRayJobsOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.breakerMs = options.breakerMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.headersHook = options.headers;
    this.router = options.router ?? directRouter;
  }

  async submit(endpoint: string, request: RaySubmitRequest): Promise<'submitted' | 'duplicate'> {
    const payload = {
      entrypoint: request.entrypoint,
      submission_id: request.submissionId,
      runtime_env: request.runtimeEnv,
      metadata: request.metadata,
      entrypoint_num_gpus: request.entrypointNumGpus,
    };
    const outcome = await this.send(endpoint, 'POST', '/api/jobs/', JSON.stringify(payload));
    if (outcome.kind === 'unreachable') {
      throw new RayApiError(`Ray submit ${request.submissionId}: no answer from ${outcome.url}`, {
        status: 0,
        body: '',
        retryable: true,
        cause: outcome.cause,
      });
    }
    const { url, status, body } = outcome;
    if (status >= 200 && status < 300) {
      const parsed = this.parse(status, body, url);
      if (!isRecord(parsed) || parsed['submission_id'] !== request.submissionId) {
        throw this.error('unexpected submit response', status, body, url);
      }
      return 'submitted';
    }
    if (isDuplicateSubmissionText(body)) return 'duplicate';
    if (isProxyOwnAnswer(status, body)) {
      throw new RayApiError(`Ray submit ${request.submissionId}: the API server in front of Ray answered ${status} from ${url}`, { status, body, retryable: true });
    }
    throw this.error('submit failed', status, body, url);
  }

  async stop(endpoint: string, submissionId: string): Promise<'stopped' | 'alreadyStopped' | 'notFound' | 'unreachable'> {
    const outcome = await this.send(endpoint, 'POST', `/api/jobs/${encodeURIComponent(submissionId)}/stop`);
    if (outcome.kind === 'unreachable') return 'unreachable';
    const { url, status, body } = outcome;
    if (isProxyOwnAnswer(status, body) || GATEWAY_STATUSES.has(status)) return 'unreachable';
    if (status === 404) return 'notFound';
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
    const outcome = await this.send(endpoint, 'GET', `/api/jobs/${encodeURIComponent(submissionId)}`);
    if (outcome.kind === 'unreachable') return 'unreachable';
    const { url, status, body } = outcome;
    if (isProxyOwnAnswer(status, body) || GATEWAY_STATUSES.has(status)) return 'unreachable';
    if (status === 404) return 'notFound';
    if (status < 200 || status >= 300) throw this.error('get failed', status, body, url);
    const parsed = this.parse(status, body, url);
    // The id matched a plain driver job (by its hex job id), not a submission: no such submission.
    if (isRecord(parsed) && parsed['type'] === 'DRIVER') return 'notFound';
    const info = toJobInfo(parsed);
    if (!info) throw this.error('unexpected job details', status, body, url);
    return info;
  }

  async list(endpoint: string): Promise<RayJobInfo[] | 'unreachable'> {
    const details = await this.jobDetails(endpoint);
    if (details === 'unreachable') return details;
    const jobs: RayJobInfo[] = [];
    for (const item of details.items) {
      if (!isRecord(item) || item['type'] !== 'SUBMISSION') continue;
      const info = toJobInfo(item);
      if (!info) throw this.error('unexpected job details in list', details.status, details.body, details.url);
      jobs.push(info);
    }
    return jobs;
  }

  /**
   * Ray nodes at these IPs (`/api/v0/nodes`, matched locally on `node_ip`: one call, alive or dead, since a pod IP
   * may have served a node that died) → for each, its ALIVE actors (`/api/v0/actors` filtered on `node_id` and
   * `state` by Ray: small answers, one per node) → their `job_id`s → the submissions (`/api/jobs/`) of those jobs, plus
   * those whose driver runs at one of these IPs, that are still PENDING or RUNNING (finished jobs need no move).
   */
  async jobsOnNodes(endpoint: string, nodeIps: readonly string[]): Promise<readonly string[] | 'unreachable'> {
    const ips = new Set(nodeIps);
    if (!ips.size) return [];
    const nodes = await this.stateList(endpoint, stateListPath('nodes'));
    if (nodes === 'unreachable') return nodes;
    const nodeIds = new Set(nodes.filter((n) => ips.has(stringColumn(n, 'node_ip') ?? '')).map((n) => stringColumn(n, 'node_id')).filter((id): id is string => id !== undefined));
    const jobIds = new Set<string>();
    for (const nodeId of nodeIds) {
      const actors = await this.stateList(endpoint, stateListPath('actors', [['node_id', '=', nodeId], ['state', '=', 'ALIVE']]));
      if (actors === 'unreachable') return actors;
      for (const actor of actors) {
        // Ray filters already; checked again so a server that ignored a filter cannot widen the answer.
        const jobId = stringColumn(actor, 'job_id');
        if (jobId && stringColumn(actor, 'node_id') === nodeId && stringColumn(actor, 'state') === 'ALIVE') jobIds.add(jobId);
      }
    }
    const details = await this.jobDetails(endpoint);
    if (details === 'unreachable') return details;
    const submissions: string[] = [];
    for (const item of details.items) {
      if (!isRecord(item) || item['type'] !== 'SUBMISSION' || !LIVE_STATUSES.has(String(item['status']))) continue;
      const submissionId = stringColumn(item, 'submission_id');
      const jobId = stringColumn(item, 'job_id');
      const driver = item['driver_info'];
      const driverIp = isRecord(driver) ? stringColumn(driver, 'node_ip_address') : undefined;
      const driverNode = stringColumn(item, 'driver_node_id');
      const onNodes = (jobId !== undefined && jobIds.has(jobId)) || (driverIp !== undefined && ips.has(driverIp)) || (driverNode !== undefined && nodeIds.has(driverNode));
      if (submissionId && onNodes && !submissions.includes(submissionId)) submissions.push(submissionId);
    }
    return submissions;
  }

  // -------------------------------------------------------------------------------------------------------

  /** `GET /api/jobs/`: every job, submissions and drivers. */
  private async jobDetails(endpoint: string): Promise<{ items: unknown[]; url: string; status: number; body: string } | 'unreachable'> {
    const outcome = await this.send(endpoint, 'GET', '/api/jobs/');
    if (outcome.kind === 'unreachable') return 'unreachable';
    const { url, status, body } = outcome;
    if (isProxyOwnAnswer(status, body) || GATEWAY_STATUSES.has(status)) return 'unreachable';
    if (status < 200 || status >= 300) throw this.error('list failed', status, body, url);
    const parsed = this.parse(status, body, url);
    if (!Array.isArray(parsed)) throw this.error('job list is not an array', status, body, url);
    return { items: parsed, url, status, body };
  }

  private async stateList(endpoint: string, path: string): Promise<readonly Record<string, unknown>[] | 'unreachable'> {
    const outcome = await this.send(endpoint, 'GET', path);
    if (outcome.kind === 'unreachable') return 'unreachable';
    const { url, status, body } = outcome;
    if (isProxyOwnAnswer(status, body) || GATEWAY_STATUSES.has(status)) return 'unreachable';
    if (status < 200 || status >= 300) throw this.error('State API call failed', status, body, url);
    const rows = stateRows(this.parse(status, body, url));
    if (!rows.ok) throw this.error(rows.problem, status, body, url);
    return rows.rows;
  }

  private async send(endpoint: string, method: 'GET' | 'POST', path: string, body?: string): Promise<Outcome> {
    const downUntil = this.down.get(endpoint);
    if (downUntil !== undefined && downUntil > this.now()) {
      return { kind: 'unreachable', url: endpoint, cause: new Error(`${endpoint} did not answer moments ago; not asked again until ${new Date(downUntil).toISOString()}`) };
    }
    const outcome = await this.sendRouted(endpoint, method, path, body);
    if (outcome.kind === 'unreachable' && this.breakerMs > 0) this.down.set(endpoint, this.now() + this.breakerMs);
    else if (outcome.kind === 'response') this.down.delete(endpoint);
    return outcome;
  }

  private async sendRouted(endpoint: string, method: 'GET' | 'POST', path: string, body?: string): Promise<Outcome> {
    let route: RayRoute;
    try {
      route = await this.router.route(endpoint);
    } catch (cause) {
      // ARM or the token service not answering now is the cluster being out of reach; anything else is a fault.
      if (isRetryable(cause)) return { kind: 'unreachable', url: endpoint, cause };
      throw cause;
    }
    let outcome = await this.sendOnce(route, method, path, body);
    if (outcome.kind === 'response' && outcome.status === 401 && route.refreshed) {
      try {
        route = await route.refreshed();
      } catch (cause) {
        if (isRetryable(cause)) return { kind: 'unreachable', url: outcome.url, cause };
        throw cause;
      }
      outcome = await this.sendOnce(route, method, path, body);
    }
    return outcome;
  }

  private async sendOnce(route: RayRoute, method: 'GET' | 'POST', path: string, body?: string): Promise<Outcome> {
    const url = joinRayUrl(route.baseUrl, path);
    // The hook runs outside the network try: a failure to get a header is not the cluster being down.
    const extra = this.headersHook ? await this.headersHook() : {};
    const headers: Record<string, string> = { accept: 'application/json', ...extra, ...route.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const send = route.fetch ?? (fetch as unknown as NonNullable<RayRoute['fetch']>);
    try {
      const response = await send(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The same signal bounds reading the body.
      const text = await response.text();
      return { kind: 'response', url, status: response.status, body: text };
    } catch (cause) {
      route.failed?.(cause);
      return { kind: 'unreachable', url, cause };
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

/** A 404 the API server proxying to Ray sent itself (no such Service or namespace). */
function isProxyOwnAnswer(status: number, body: string): boolean {
  return status === 404 && isKubernetesStatus(body);
}

const isRetryable = (e: unknown): boolean => typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === true;

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
