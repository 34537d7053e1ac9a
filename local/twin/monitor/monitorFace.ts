/**
 * The HTTPS face of Azure Monitor's query APIs on 127.0.0.1, for the real `@azure/monitor-query-logs` and
 * `@azure/monitor-query-metrics` clients (trusting the local certificate through `new https.Agent({ ca })`):
 *
 * - POST /v1/workspaces/{workspaceId}/query                     Log Analytics query (logsAnswer.ts)
 * - POST /{region}/subscriptions/{sub}/metrics:getBatch?…        metrics batch; `/{region}` stands for the regional
 *                                                               host `{region}.metrics.monitor.azure.com` (metricsAnswer.ts)
 *
 * Anything else is 404. Every request needs a bearer token for its API's audience (monitorAuth.ts). Answers come
 * from a `MonitorNodeSource`; faults can be injected per API (monitorFaults.ts). Local development and tests only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerLogsQuery, type FaceReply } from './logsAnswer.js';
import { answerMetricsBatch, metricsError } from './metricsAnswer.js';
import { checkToken, type MonitorApi } from './monitorAuth.js';
import { MonitorFaults } from './monitorFaults.js';
import type { MonitorNodeSource } from './nodeSource.js';
import { INVALID_JSON, readJsonBody } from '../jsonBody.js';

export interface MonitorFaceOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** The one Log Analytics workspace the face serves; others are 404. */
  workspaceId: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The face's clock (ms); default Date.now. */
  now?: () => number;
}

export interface MonitorFaceRequest {
  readonly api: MonitorApi | 'unknown';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The KQL text of a logs query, as received. */
  readonly query?: string;
}

export interface MonitorFace {
  /** `https://127.0.0.1:<port>`: the logs endpoint (the adapter adds `/v1`). */
  readonly url: string;
  /** `https://127.0.0.1:<port>/{region}`: the metrics endpoint template. */
  readonly metricsEndpointTemplate: string;
  readonly faults: MonitorFaults;
  /** Requests answered, oldest first (capped at 1000). */
  readonly requests: MonitorFaceRequest[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_LOG = 1000;
const LOGS_QUERY = /^\/v1\/workspaces\/([^/]+)\/query\/?$/i;
const METRICS_BATCH = /^\/([a-z0-9]+)\/subscriptions\/([^/]+)\/metrics(?::|%3a)getbatch\/?$/i;

const logsError = (status: number, code: string, message: string): FaceReply => ({ status, body: { error: { message, code } } });

export async function startMonitorFace(source: MonitorNodeSource, options: MonitorFaceOptions): Promise<MonitorFace> {
  const now = options.now ?? Date.now;
  const faults = new MonitorFaults();
  const requests: MonitorFaceRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    void handle(req, res).catch((e: unknown) => send(req, res, 'unknown', logsError(500, 'InternalServerError', `The twin failed: ${(e as Error).message}`)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const logs = LOGS_QUERY.exec(url.pathname);
    const metrics = METRICS_BATCH.exec(url.pathname);
    const api: MonitorApi | undefined = logs ? 'logs' : metrics ? 'metrics' : undefined;
    if (!api) {
      send(req, res, 'unknown', logsError(404, 'PathNotFoundError', 'The requested path does not exist (the Monitor twin serves /v1/workspaces/{id}/query and /{region}/subscriptions/{sub}/metrics:getBatch only; not /v1/$batch, which the adapter does not use).'));
      return;
    }
    if (req.method !== 'POST') {
      send(req, res, api, logsError(405, 'MethodNotAllowed', `The requested method '${req.method}' is not allowed.`));
      return;
    }
    let body: unknown;
    try {
      body = await readJsonBody(req, MAX_BODY_BYTES);
    } catch {
      send(req, res, api, logsError(413, 'RequestEntityTooLarge', `The request body is larger than ${MAX_BODY_BYTES} bytes.`));
      return;
    }
    const query = api === 'logs' ? (body as { query?: unknown } | undefined)?.query : undefined;
    const extra = typeof query === 'string' ? { query } : {};
    const refusal = checkToken(api, req, now());
    if (refusal) {
      send(req, res, api, api === 'logs' ? logsError(refusal.status, refusal.code, refusal.message) : metricsError(refusal.status, refusal.code, refusal.message), extra);
      return;
    }
    if (body === INVALID_JSON) {
      send(req, res, api, logsError(400, 'BadArgumentError', 'The request body is not valid JSON.'), extra);
      return;
    }
    const fault = faults.take(api);
    if (fault?.kind === 'hang') return; // never answered; close() destroys the socket
    if (fault?.kind === 'throttle') {
      const after = String(fault.retryAfterSeconds ?? 30);
      // The body's code for a throttled query is not published for this API; only the status and Retry-After matter.
      const reply = api === 'logs'
        ? { ...logsError(429, 'ThrottledError', 'Too many requests. Please retry after some time.'), headers: { 'retry-after': after } }
        : { ...metricsError(429, 'TooManyRequests', 'Too many requests. Please retry after some time.'), headers: { 'retry-after': after } };
      send(req, res, api, reply, extra);
      return;
    }
    if (fault?.kind === 'serverError') {
      send(req, res, api, api === 'logs' ? logsError(500, 'InternalServerError', 'An unexpected error occurred.') : metricsError(500, 'InternalServerError', 'An unexpected error occurred.'), extra);
      return;
    }
    if (fault?.kind === 'slow') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { timers.delete(t); resolve(); }, fault.delayMs);
        timers.add(t);
      });
      if (res.destroyed || res.writableEnded) return;
    }
    const partial = fault?.kind === 'partial';
    let reply: FaceReply;
    if (logs) {
      reply = decodeURIComponent(logs[1]!).toLowerCase() === options.workspaceId.toLowerCase()
        ? answerLogsQuery(source, body, now(), { partial })
        : logsError(404, 'WorkspaceNotFoundError', `Workspace ${decodeURIComponent(logs[1]!)} was not found.`);
    } else {
      reply = answerMetricsBatch(source, { region: metrics![1]!.toLowerCase(), subscriptionId: decodeURIComponent(metrics![2]!), query: url.searchParams, body }, now(), { partial });
    }
    send(req, res, api, reply, extra);
  }

  function send(req: IncomingMessage, res: ServerResponse, api: MonitorFaceRequest['api'], reply: FaceReply, extra: { query?: string } = {}): void {
    if (res.destroyed || res.headersSent) return;
    const text = JSON.stringify(reply.body);
    requests.push({ api, method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'https://127.0.0.1').pathname, status: reply.status, ...extra });
    if (requests.length > MAX_LOG) requests.shift();
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'x-ms-request-id': randomUUID(),
      ...(reply.headers ?? {}),
    });
    res.end(text);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    metricsEndpointTemplate: `${url}/{region}`,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}


