/**
 * A loopback HTTP face that speaks the Ray Jobs REST API the way a Ray 2.5x dashboard (port 8265) does:
 * routes, trailing slash on `POST /api/jobs/`, JSON bodies, and Ray's text/plain error bodies
 * (`python/ray/dashboard/modules/job/job_head.py`, `common.py`, `utils.py`, `job_manager.py`).
 * State lives behind a `RayBackend`.
 *
 * Also the State API's `GET /api/v0/nodes` and `GET /api/v0/actors` (`rayState.ts`), from the backend's rows.
 *
 * Fault switches (`configure`): the 500 flavour of a duplicate submission (older Ray, where the head wraps
 * the agent's error), "No available agent", and an unreachable cluster (backend `reachable()` false: every
 * connection is reset without an answer).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RayBackend, RayDriverJobDetails, RayJobDetails } from './rayBackend.js';
import { ACTOR_COLUMNS, NODE_COLUMNS, RayStateError, listRayState, rayListOptions, type RayStateEnvelope } from './rayState.js';

/** aiohttp's default `client_max_size`. */
export const RAY_MAX_BODY_BYTES = 1024 * 1024;

export interface RayVersionResponse {
  version: string;
  ray_version: string;
  ray_commit: string;
  session_name: string;
}

export interface RayFaceRequestInfo {
  method: string;
  /** Path relative to the base path, e.g. `/api/jobs/`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RayJobsFaceOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * Serve under a prefix, e.g. `/api/v1/namespaces/ray/services/rc-head-svc:8265/proxy`, as the Kubernetes
   * API-server service proxy does. Requests outside it get 404.
   */
  basePath?: string;
  /** 400 (Ray 2.5x: the head runs the job manager) or 500 (older Ray: the head wraps the agent's error). */
  duplicateStatus?: 400 | 500;
  /** When true, `POST /api/jobs/` answers 500 "No available agent to submit job, please try again later." */
  noAvailableAgent?: boolean;
  /** Plain driver jobs (`ray.init()` scripts) listed after the submission jobs, as Ray does. */
  driverJobs?: RayDriverJobDetails[];
  version?: RayVersionResponse;
  /** Called for every request the face answers (not for the ones it resets). */
  onRequest?: (info: RayFaceRequestInfo) => void;
}

export type RayJobsFaceSettings = Omit<RayJobsFaceOptions, 'port'>;

export interface RayJobsFace {
  /** `http://127.0.0.1:<port>` plus the base path, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Change fault switches and options while running. */
  configure(patch: Partial<RayJobsFaceSettings>): void;
  close(): Promise<void>;
}

const DEFAULT_VERSION: RayVersionResponse = {
  version: '4',
  ray_version: '2.52.0',
  ray_commit: '0000000000000000000000000000000000000000',
  session_name: 'session_2025-11-20_09-58-11_123456_1',
};

const SUBMIT_FIELDS = new Set([
  'entrypoint',
  'submission_id',
  'job_id',
  'runtime_env',
  'metadata',
  'entrypoint_num_cpus',
  'entrypoint_num_gpus',
  'entrypoint_memory',
  'entrypoint_resources',
  'entrypoint_label_selector',
]);

// ---------------------------------------------------------------------------------------------------------
// Ray's error texts

/** `traceback.format_exc()` with the frames elided, as in the captured fixtures. */
export function rayTraceback(exceptionLine: string): string {
  return `Traceback (most recent call last):\n  ...\n${exceptionLine}`;
}

export const rayErrorText = {
  notFound: (id: string): string => `Job ${id} does not exist`,
  notSubmissionJobStop: 'Can only stop submission type jobs',
  notSubmissionJobDelete: 'Can only delete submission type jobs',
  notSubmissionJobLogs: 'Can only get logs of submission type jobs',
  noAgent: 'No available agent to submit job, please try again later.',
  duplicate400: (id: string): string =>
    rayTraceback(`ValueError: Job with submission_id ${id} already exists. Please use a different submission_id.`),
  /** Older Ray: the agent answered 400 and the head re-raised it as a RuntimeError → 500. */
  duplicate500: (id: string): string =>
    rayTraceback(`RuntimeError: Request failed with status code 400: ${rayErrorText.duplicate400(id)}.`),
  deleteNotTerminal: (id: string, status: string): string =>
    rayTraceback(`RuntimeError: Attempted to delete job '${id}', but it is in a non-terminal state ${status}.`),
  bodyTooLarge: (size: number): string =>
    `Maximum request body size ${RAY_MAX_BODY_BYTES} exceeded, actual body size ${size}`,
  /** aiohttp's answer when a handler raises (e.g. `req.json()` on a body that is not JSON). */
  internal: '500 Internal Server Error\n\nServer got itself in trouble',
  routeNotFound: '404: Not Found',
  methodNotAllowed: '405: Method Not Allowed',
} as const;

/** What `type(value)` prints in Python for a JSON value. */
function pythonType(value: unknown): string {
  if (value === null) return "<class 'NoneType'>";
  if (typeof value === 'string') return "<class 'str'>";
  if (typeof value === 'boolean') return "<class 'bool'>";
  if (typeof value === 'number') return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>";
  if (Array.isArray(value)) return "<class 'list'>";
  return "<class 'dict'>";
}

const isDict = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): boolean => typeof v === 'number' || typeof v === 'boolean'; // bool is an int in Python

/**
 * `JobSubmitRequest(**json)` with its `__post_init__` checks (`common.py`), after Ray strips top-level
 * nulls (`utils.py` `strip_keys_with_value_none`). Returns the TypeError line, or undefined when valid.
 */
function validateSubmit(json: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(json)) {
    if (!SUBMIT_FIELDS.has(key)) {
      return `TypeError: JobSubmitRequest.__init__() got an unexpected keyword argument '${key}'`;
    }
  }
  if (!('entrypoint' in json)) {
    return "TypeError: JobSubmitRequest.__init__() missing 1 required positional argument: 'entrypoint'";
  }
  const { entrypoint, submission_id, job_id, runtime_env, metadata } = json;
  if (typeof entrypoint !== 'string') return `TypeError: entrypoint must be a string, got ${pythonType(entrypoint)}`;
  if (submission_id !== undefined && typeof submission_id !== 'string') {
    return `TypeError: submission_id must be a string if provided, got ${pythonType(submission_id)}`;
  }
  if (job_id !== undefined && typeof job_id !== 'string') {
    return `TypeError: job_id must be a string if provided, got ${pythonType(job_id)}`;
  }
  if (runtime_env !== undefined && !isDict(runtime_env)) {
    return `TypeError: runtime_env must be a dict, got ${pythonType(runtime_env)}`;
  }
  if (metadata !== undefined) {
    if (!isDict(metadata)) return `TypeError: metadata must be a dict, got ${pythonType(metadata)}`;
    for (const v of Object.values(metadata)) {
      if (typeof v !== 'string') return `TypeError: metadata values must be strings, got ${pythonType(v)}`;
    }
  }
  for (const field of ['entrypoint_num_cpus', 'entrypoint_num_gpus'] as const) {
    const v = json[field];
    if (v !== undefined && !isNumber(v)) return `TypeError: ${field} must be a number, got ${pythonType(v)}`;
  }
  const memory = json['entrypoint_memory'];
  if (memory !== undefined && !(Number.isInteger(memory) || typeof memory === 'boolean')) {
    return `TypeError: entrypoint_memory must be an integer, got ${pythonType(memory)}`;
  }
  const resources = json['entrypoint_resources'];
  if (resources !== undefined) {
    if (!isDict(resources)) return `TypeError: entrypoint_resources must be a dict, got ${pythonType(resources)}`;
    for (const v of Object.values(resources)) {
      if (!isNumber(v)) return `TypeError: entrypoint_resources values must be numbers, got ${pythonType(v)}`;
    }
  }
  return undefined;
}

/** `raysubmit_` + 16 characters, as `ray.dashboard.modules.job.common.generate_job_id` does. */
function generateSubmissionId(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(16);
  let id = '';
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return `raysubmit_${id}`;
}

/** The JSON Ray sends for a submission job (all `JobDetails` fields, nulls included). */
function toWire(job: RayJobDetails): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    type: job.type,
    job_id: job.job_id,
    submission_id: job.submission_id,
    driver_info: job.driver_info,
    status: job.status,
    entrypoint: job.entrypoint,
    message: job.message,
    error_type: job.error_type,
    start_time: job.start_time,
    end_time: job.end_time,
    metadata: job.metadata,
    runtime_env: job.runtime_env,
    driver_agent_http_address: job.driver_agent_http_address ?? null,
    driver_node_id: job.driver_node_id ?? null,
    driver_exit_code: job.driver_exit_code,
  };
  if (job.entrypoint_num_gpus !== undefined) wire['entrypoint_num_gpus'] = job.entrypoint_num_gpus;
  return wire;
}

// ---------------------------------------------------------------------------------------------------------

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...extra });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

type BodyResult = { ok: true; body: string } | { ok: false; size: number };

function readBody(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= RAY_MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0; // keep draining, drop the data
    });
    req.on('end', () =>
      resolve(size > RAY_MAX_BODY_BYTES ? { ok: false, size } : { ok: true, body: Buffer.concat(chunks).toString('utf8') }),
    );
    req.on('error', reject);
  });
}

function normaliseBasePath(basePath: string | undefined): string {
  if (!basePath) return '';
  const trimmed = basePath.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

export async function startRayJobsFace(backend: RayBackend, options: RayJobsFaceOptions = {}): Promise<RayJobsFace> {
  const { port: requestedPort = 0, ...initial } = options;
  const settings: RayJobsFaceSettings = { ...initial };

  const findAny = (id: string): RayJobDetails | RayDriverJobDetails | undefined => {
    const byDriverId = (settings.driverJobs ?? []).find((d) => d.job_id === id);
    if (byDriverId) return byDriverId;
    return backend.get(id) ?? backend.list().find((j) => j.job_id === id);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const base = normaliseBasePath(settings.basePath);
    const rawPath = new URL(req.url ?? '/', 'http://face.invalid').pathname;

    // Bodies: refuse early on a declared oversize body, otherwise read (and drain) it.
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > RAY_MAX_BODY_BYTES) {
      req.resume();
      sendText(res, 413, rayErrorText.bodyTooLarge(declared), { connection: 'close' });
      return;
    }
    const read = await readBody(req);
    if (!read.ok) {
      sendText(res, 413, rayErrorText.bodyTooLarge(read.size), { connection: 'close' });
      return;
    }
    const body = read.body;

    if (base && rawPath !== base && !rawPath.startsWith(`${base}/`)) {
      sendText(res, 404, rayErrorText.routeNotFound);
      return;
    }
    const path = rawPath.slice(base.length) || '/';
    settings.onRequest?.({ method, path, headers: req.headers, body });

    // Route like aiohttp: `{id}` is one non-empty path segment, match_info is percent-decoded.
    const segments = path.split('/');
    const allow = (methods: string[]): boolean => {
      if (methods.includes(method)) return true;
      sendText(res, 405, rayErrorText.methodNotAllowed, { allow: methods.join(',') });
      return false;
    };

    if (path === '/api/version') {
      if (allow(['GET'])) sendJson(res, 200, settings.version ?? DEFAULT_VERSION);
      return;
    }
    if (path === '/api/v0/nodes' || path === '/api/v0/actors') {
      if (!allow(['GET'])) return;
      const query = new URL(req.url ?? '/', 'http://face.invalid').searchParams;
      const nodes = path === '/api/v0/nodes';
      try {
        const options = rayListOptions(query);
        const data = nodes ? listRayState(backend.nodes(), NODE_COLUMNS, options) : listRayState(backend.actors(), ACTOR_COLUMNS, options);
        sendJson(res, 200, { result: true, msg: '', data: { result: data } } satisfies RayStateEnvelope<unknown>);
      } catch (error) {
        if (!(error instanceof RayStateError)) throw error;
        sendJson(res, 500, { result: false, msg: error.message, data: { result: null } } satisfies RayStateEnvelope<unknown>);
      }
      return;
    }
    if (path === '/api/jobs/') {
      if (!allow(['GET', 'POST'])) return;
      if (method === 'GET') {
        sendJson(res, 200, [...backend.list().map(toWire), ...(settings.driverJobs ?? [])]);
      } else {
        submit(body, res);
      }
      return;
    }
    if (segments.length >= 4 && segments.length <= 5 && segments[1] === 'api' && segments[2] === 'jobs' && segments[3]) {
      let id: string;
      try {
        id = decodeURIComponent(segments[3]);
      } catch {
        sendText(res, 404, rayErrorText.routeNotFound);
        return;
      }
      const action = segments[4];
      if (action === undefined) {
        if (!allow(['GET', 'DELETE'])) return;
        const job = findAny(id);
        if (!job) return sendText(res, 404, rayErrorText.notFound(id));
        if (method === 'GET') return sendJson(res, 200, job.type === 'SUBMISSION' ? toWire(job) : job);
        if (job.type !== 'SUBMISSION') return sendText(res, 400, rayErrorText.notSubmissionJobDelete);
        const outcome = backend.remove(job.submission_id);
        if (outcome === 'notFound') return sendText(res, 404, rayErrorText.notFound(id));
        if (outcome === 'notTerminal') {
          return sendText(res, 500, rayErrorText.deleteNotTerminal(job.submission_id, job.status));
        }
        return sendJson(res, 200, { deleted: true });
      }
      if (action === 'stop') {
        if (!allow(['POST'])) return;
        const job = findAny(id);
        if (!job) return sendText(res, 404, rayErrorText.notFound(id));
        if (job.type !== 'SUBMISSION') return sendText(res, 400, rayErrorText.notSubmissionJobStop);
        const outcome = backend.stop(job.submission_id);
        if (outcome === 'notFound') return sendText(res, 404, rayErrorText.notFound(id));
        return sendJson(res, 200, { stopped: outcome });
      }
      if (action === 'logs') {
        if (!allow(['GET'])) return;
        const job = findAny(id);
        if (!job) return sendText(res, 404, rayErrorText.notFound(id));
        if (job.type !== 'SUBMISSION') return sendText(res, 400, rayErrorText.notSubmissionJobLogs);
        return sendJson(res, 200, { logs: '' });
      }
    }
    sendText(res, 404, rayErrorText.routeNotFound);
  }

  function submit(body: string, res: ServerResponse): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return sendText(res, 500, rayErrorText.internal);
    }
    if (!isDict(parsed)) return sendText(res, 500, rayErrorText.internal); // `.items()` on a list/str raises
    const json = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== null));
    const invalid = validateSubmit(json);
    if (invalid) return sendText(res, 400, rayTraceback(invalid));
    if (settings.noAvailableAgent) return sendText(res, 500, rayErrorText.noAgent);

    const submissionId =
      (json['submission_id'] as string | undefined) ?? (json['job_id'] as string | undefined) ?? generateSubmissionId();
    const gpus = json['entrypoint_num_gpus'];
    const outcome = backend.submit({
      entrypoint: json['entrypoint'] as string,
      submissionId,
      runtimeEnv: (json['runtime_env'] as Record<string, unknown> | undefined) ?? {},
      metadata: (json['metadata'] as Record<string, string> | undefined) ?? {},
      entrypointNumGpus: typeof gpus === 'number' ? gpus : 0,
    });
    if (outcome === 'duplicate') {
      return (settings.duplicateStatus ?? 400) === 500
        ? sendText(res, 500, rayErrorText.duplicate500(submissionId))
        : sendText(res, 400, rayErrorText.duplicate400(submissionId));
    }
    sendJson(res, 200, { job_id: submissionId, submission_id: submissionId });
  }

  const server = createServer((req, res) => {
    if (!backend.reachable()) {
      req.socket.destroy();
      return;
    }
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const line = error instanceof Error ? `${error.name}: ${error.message}` : `Exception: ${String(error)}`;
      sendText(res, 500, rayTraceback(line));
    });
  });
  server.on('connection', (socket: Socket) => {
    if (!backend.reachable()) socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('Ray Jobs face: no TCP address');
  const port = address.port;

  return {
    get url() {
      return `http://127.0.0.1:${port}${normaliseBasePath(settings.basePath)}`;
    },
    port,
    configure(patch) {
      Object.assign(settings, patch);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
