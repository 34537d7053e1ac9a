/**
 * The local host's HTTP front door (node:http on loopback):
 *
 * - `GET /admin/host/status` → `{ state: 'Running' }` (key required);
 * - `POST /admin/functions/<name>` → 202, runs a non-HTTP function now with `{ "input": … }` as its trigger input, as
 *   the Functions host's admin API does (key required; a timer runs through its singleton lock);
 * - `/runtime/webhooks/eventgrid?functionName=…` → the Event Grid trigger webhook (system key: the function key);
 * - `/<routePrefix>/<route>` → HTTP-triggered functions: 404 when no route matches, 405 (with `Allow`) when a route
 *   matches but not for this method, 401 when the route's authLevel is `function`/`admin` and the key is missing or
 *   wrong, 413 when the body is over the limit (the handler is not called).
 *
 * Host-made errors are short JSON bodies `{ "error": "…" }`; nothing internal is ever put in a response.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAuthorized } from './auth.js';
import { EVENT_GRID_WEBHOOK_PATH, handleEventGridWebhook } from './eventGridWebhook.js';
import type { RegisteredFunction } from './functionsCore.js';
import { emptyResponse, errorResponse, jsonResponse, type HostRequest } from './hostRequest.js';
import { invokeHttpFunction } from './httpFunctions.js';
import type { WireResponse } from './httpResponse.js';
import type { RouteTable } from './httpRoutes.js';
import { errorSummary, triggerOf, type LogSink } from './invocation.js';

/** Extra bytes drained (and discarded) after the limit so the client can finish sending and read the 413. */
const DRAIN_ALLOWANCE_BYTES = 32 * 1024 * 1024;

export interface HttpHostOptions {
  functionKey: string;
  maxRequestBodyBytes: number;
  routes: RouteTable;
  /** The app's functions by name. */
  functions: ReadonlyMap<string, RegisteredFunction>;
  /** Runs a non-HTTP function for `POST /admin/functions/<name>`; resolves when it has finished. */
  adminInvoke(fn: RegisteredFunction, input: unknown): Promise<void>;
  log: LogSink;
}

export interface HttpHost {
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, drops open connections, waits for handlers still running (up to `drainMs`). */
  close(drainMs: number): Promise<void>;
}

/** Reads the body once; over the limit it drains (discarding) up to an allowance, then gives up on the connection. */
function bodyReader(req: IncomingMessage, limit: number, abandon: () => void): () => Promise<Buffer | undefined> {
  let pending: Promise<Buffer | undefined> | undefined;
  return () =>
    (pending ??= new Promise<Buffer | undefined>((resolve, reject) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit + DRAIN_ALLOWANCE_BYTES) {
        abandon();
        resolve(undefined);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let over = Number.isFinite(declared) && declared > limit;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          over = true;
          chunks.length = 0;
          if (size > limit + DRAIN_ALLOWANCE_BYTES) {
            req.pause();
            abandon();
            resolve(undefined);
          }
          return;
        }
        if (!over) chunks.push(chunk);
      });
      req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
      req.on('error', reject);
      req.on('aborted', () => reject(new Error('request aborted')));
    }));
}

function writeResponse(req: IncomingMessage, res: ServerResponse, wire: WireResponse, closeConnection = false): void {
  if (res.headersSent || res.destroyed) return;
  const noBody = wire.status === 204 || wire.status === 304 || req.method === 'HEAD';
  const headers: Record<string, string | string[]> = { ...wire.headers };
  // An unread body is discarded by node:http after the response; one we stopped reading means closing the connection.
  if (closeConnection) headers.connection = 'close';
  if (!noBody) headers['content-length'] = String(wire.body.length);
  res.writeHead(wire.status, headers);
  res.end(noBody ? undefined : wire.body);
}

export function createHttpHost(options: HttpHostOptions): HttpHost {
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };
  const { log } = options;

  async function route(req: IncomingMessage, url: URL, hostReq: HostRequest): Promise<WireResponse> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const lower = path.toLowerCase().replace(/\/+$/, '');
    const authorized = () => isAuthorized(req.headers, url.searchParams, options.functionKey);

    if (lower === '/admin' || lower.startsWith('/admin/')) {
      if (!authorized()) return errorResponse(401, 'unauthorized: a valid function key is required');
      if (lower === '/admin/host/status') {
        if (method !== 'GET' && method !== 'HEAD') return emptyResponse(405, { allow: 'GET' });
        return jsonResponse(200, { state: 'Running' });
      }
      const m = /^\/admin\/functions\/([^/]+)$/.exec(lower);
      if (m) {
        let wanted = m[1]!;
        try {
          wanted = decodeURIComponent(wanted);
        } catch {
          /* compare the raw text */
        }
        const name = [...options.functions.keys()].find((n) => n.toLowerCase() === wanted);
        const fn = name ? options.functions.get(name) : undefined;
        if (!fn || triggerOf(fn).type?.toLowerCase() === 'httptrigger') return errorResponse(404, 'no such non-HTTP function');
        if (method !== 'POST') return emptyResponse(405, { allow: 'POST' });
        const body = await hostReq.readBody();
        if (!body) return errorResponse(413, 'request body too large');
        let input: unknown = undefined;
        if (body.length > 0) {
          try {
            input = (JSON.parse(body.toString('utf8')) as { input?: unknown }).input;
          } catch {
            return errorResponse(400, 'request body must be JSON like {"input": …}');
          }
        }
        if (typeof input === 'string') {
          try {
            input = JSON.parse(input);
          } catch {
            /* stays a string, as the worker's tryJsonParse does */
          }
        }
        track(
          options.adminInvoke(fn, input).catch((err: unknown) =>
            log({ level: 'error', category: 'host', functionName: fn.metadata.name, message: 'admin invocation failed', ...errorSummary(err) }),
          ),
        );
        return emptyResponse(202);
      }
      return errorResponse(404, 'not found');
    }

    if (lower === EVENT_GRID_WEBHOOK_PATH) {
      if (!authorized()) return errorResponse(401, 'unauthorized: a valid system key is required');
      return handleEventGridWebhook(hostReq, {
        find: (name) => {
          const fn = options.functions.get(name);
          return fn && triggerOf(fn).type?.toLowerCase() === 'eventgridtrigger' ? fn : undefined;
        },
        log,
      });
    }

    const found = options.routes.lookup(method, path);
    if (found.kind === 'notFound') return errorResponse(404, 'not found');
    if (found.kind === 'methodNotAllowed') {
      return errorResponse(405, 'method not allowed', { allow: found.allow.join(', ') });
    }
    const fn = options.functions.get(found.route.functionName)!;
    const authLevel = String(triggerOf(fn).authLevel ?? 'anonymous').toLowerCase();
    if (authLevel !== 'anonymous' && !authorized()) {
      return errorResponse(401, 'unauthorized: a valid function key is required');
    }
    const body = await hostReq.readBody();
    if (!body) return errorResponse(413, `request body larger than ${options.maxRequestBodyBytes} bytes`);
    return invokeHttpFunction(fn, { method, url, headers: req.headers, params: found.params, body }, log);
  }

  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    } catch {
      writeResponse(req, res, errorResponse(400, 'bad request URL'));
      return;
    }
    let abandoned = false;
    const hostReq: HostRequest = {
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      readBody: bodyReader(req, options.maxRequestBodyBytes, () => {
        abandoned = true;
      }),
    };
    track(
      route(req, url, hostReq)
        .then((wire) => writeResponse(req, res, wire, abandoned))
        .catch((err: unknown) => {
          log({ level: 'error', category: 'host', message: `request ${req.method} ${url.pathname} failed`, ...errorSummary(err) });
          if (!res.headersSent && !res.destroyed) writeResponse(req, res, errorResponse(500, 'internal server error'));
          else res.destroy();
        }),
    );
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async close(drainMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      if (inFlight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...inFlight]),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, drainMs);
          }),
        ]);
        clearTimeout(timer);
      }
    },
  };
}
