/**
 * The twin's AKS API servers: one HTTPS server on loopback for every cluster of the world, each under its own
 * path prefix `<url>/clusters/<cluster name>` (what `serverFor` returns and the ARM face's kubeconfig points at;
 * `@kubernetes/client-node` takes a server URL with a path, as behind Rancher's proxy). Clients trust it through
 * `caPem` (the repo's local certificate, `local/tls.ts`).
 *
 * Each request, in the API server's order: a cluster whose region is down does not answer (the request hangs
 * until the client gives up, or with `regionDown: 'reset'` the connection is reset); the bearer token must be a
 * JWT for the AKS server application that has not expired by the face's clock (else 401 `Unauthorized`);
 * injected faults answer 429 (API Priority and Fairness, with Retry-After) or 500; then the Kubernetes routes
 * (`kubeApi.ts`) or the service proxy to the cluster's Ray Jobs face (`serviceProxy.ts`). Every error is a
 * `Status` object. A path outside any cluster prefix answers `404 page not found` as plain text, like a server
 * that is not this cluster's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLocalCertificate } from '../../tls.js';
import { startRayJobsFace, type RayJobsFace } from '../ray/rayJobsFace.js';
import type { FleetWorld } from '../world.js';
import { checkBearer } from './bearer.js';
import { kubeApi } from './kubeApi.js';
import { checkProxyTarget, forwardToRay, parseProxyPath } from './serviceProxy.js';
import { failure, kubeStatus, type KubeAnswer } from './status.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The API server's default `--max-request-bytes` is larger; 3 MiB is etcd's object limit and plenty here. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const MAX_LOG = 2000;

export interface KubernetesFaceOptions {
  readonly world: FleetWorld;
  /** Default 127.0.0.1 (the certificate covers it and `localhost`). */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default: the repo's local certificate in `.local/certs`. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The clock tokens are checked against (Unix ms). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The Ray Jobs face of a cluster (base URL) the service proxy forwards to. Default (or undefined for a cluster):
   * the face starts its own over `world.backend(clusterId)` on first use.
   */
  readonly rayUrlFor?: (clusterId: string) => string | undefined;
  /** What a cluster in a region that is down does with a request. Default 'hang'. */
  readonly regionDown?: 'hang' | 'reset';
  /** How long the proxy waits for the Ray face. Default 30 s. */
  readonly proxyTimeoutMs?: number;
  /** Called for every request answered. */
  readonly onRequest?: (info: KubeFaceRequest) => void;
}

export interface KubeFaceRequest {
  readonly clusterId: string;
  readonly method: string;
  /** Below the cluster prefix, without the query. */
  readonly path: string;
  readonly query: string;
  readonly contentType?: string;
  readonly status: number;
}

export interface KubeFaceFaults {
  /** The next `times` requests (to one cluster, or any) answer 429 TooManyRequests with Retry-After. */
  throttle(times: number, options?: { readonly retryAfterSeconds?: number; readonly clusterId?: string }): void;
  /** The next `times` requests (to one cluster, or any) answer 500 InternalError. */
  serverError(times: number, options?: { readonly clusterId?: string }): void;
  /** Tokens issued (`iat`) before this instant are refused with 401; undefined lifts it. */
  rejectTokensIssuedBefore(ms: number | undefined): void;
  /** The cluster's Ray head refuses connections: the service proxy answers 503. */
  rayUnreachable(clusterId: string, unreachable: boolean): void;
  clear(): void;
}

export interface KubernetesFace {
  /** `https://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The CA (the self-signed certificate itself) clients trust. */
  readonly caPem: string;
  /** The API server URL of a cluster: `<url>/clusters/<name>`. */
  serverFor(clusterId: string): string;
  readonly faults: KubeFaceFaults;
  /** Requests answered, oldest first (capped at 2000). */
  readonly requests: KubeFaceRequest[];
  close(): Promise<void>;
}

interface Fault {
  readonly kind: 'throttle' | 'error';
  remaining: number;
  readonly clusterId?: string;
  readonly retryAfterSeconds: number;
}

export async function startKubernetesFace(options: KubernetesFaceOptions): Promise<KubernetesFace> {
  const { world } = options;
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const tls = options.tls ?? (await ensureLocalCertificate(join(REPO_ROOT, '.local', 'certs')));
  const byName = new Map<string, string>();
  for (const c of world.clusters.values()) {
    if (byName.has(c.name)) throw new Error(`Kubernetes face: two clusters are named ${c.name}; each needs its own path prefix`);
    byName.set(c.name, c.id);
  }
  const faults: Fault[] = [];
  const rayDown = new Set<string>();
  let rejectIssuedBefore: number | undefined;
  const requests: KubeFaceRequest[] = [];
  const ownRayFaces = new Map<string, Promise<RayJobsFace>>();

  const rayUrl = async (clusterId: string): Promise<string> => {
    const given = options.rayUrlFor?.(clusterId);
    if (given) return given;
    let face = ownRayFaces.get(clusterId);
    if (!face) ownRayFaces.set(clusterId, (face = startRayJobsFace(world.backend(clusterId))));
    return (await face).url;
  };

  const takeFault = (clusterId: string): KubeAnswer | undefined => {
    const i = faults.findIndex((f) => f.remaining > 0 && (f.clusterId === undefined || f.clusterId.toLowerCase() === clusterId.toLowerCase()));
    if (i < 0) return undefined;
    const f = faults[i]!;
    if (--f.remaining <= 0) faults.splice(i, 1);
    return f.kind === 'throttle' ? kubeStatus.throttled(f.retryAfterSeconds) : kubeStatus.internalError('the twin was asked to fail this request');
  };

  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(res, failure(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://twin.invalid');
    const m = /^\/clusters\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const clusterId = m ? byName.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !clusterId) {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    const region = world.clusters.get(clusterId)!.region;
    if (world.isDown(region)) {
      // An API server in a region that is down: no answer. close() ends such requests.
      req.resume();
      if (options.regionDown === 'reset') req.socket.destroy();
      return;
    }
    const path = m[2] ?? '/';
    const body = await readBody(req);
    const contentType = header(req, 'content-type');
    const answer = (a: KubeAnswer): void => {
      log({ clusterId, method: req.method ?? 'GET', path, query: url.search, ...(contentType ? { contentType } : {}), status: a.code });
      send(res, a);
    };
    if (body === undefined) return answer(failure(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
    const auth = checkBearer(header(req, 'authorization'), { now: now(), ...(rejectIssuedBefore !== undefined ? { rejectIssuedBefore } : {}) });
    if (!auth.ok) return answer(kubeStatus.unauthorized());
    const fault = takeFault(clusterId);
    if (fault) return answer(fault);

    const target = parseProxyPath(path);
    if (target) {
      const refused = checkProxyTarget(target);
      if (refused) return answer(refused);
      const headIp = world.kube(clusterId).headPod()?.ip ?? '10.244.0.2';
      if (rayDown.has(clusterId.toLowerCase())) {
        return answer(kubeStatus.serviceUnavailable(`error trying to reach service: dial tcp ${headIp}:8265: connect: connection refused`));
      }
      const accept = header(req, 'accept');
      const result = await forwardToRay(await rayUrl(clusterId), {
        method: req.method ?? 'GET', rest: target.rest, search: url.search, body,
        ...(contentType ? { contentType } : {}), ...(accept ? { accept } : {}),
      }, headIp, options.proxyTimeoutMs ?? 30_000);
      if (!result.ok) return answer(result.answer);
      log({ clusterId, method: req.method ?? 'GET', path, query: url.search, ...(contentType ? { contentType } : {}), status: result.status });
      res.writeHead(result.status, { ...(result.contentType ? { 'content-type': result.contentType } : {}), 'content-length': String(result.body.length), 'audit-id': randomUUID() });
      res.end(result.body);
      return;
    }
    answer(kubeApi(world.kube(clusterId), { method: req.method ?? 'GET', path, query: url.searchParams, contentType, body: body.toString('utf8') }, now()));
  }

  function log(info: KubeFaceRequest): void {
    requests.push(info);
    if (requests.length > MAX_LOG) requests.shift();
    options.onRequest?.(info);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const base = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: base,
    port,
    caPem: tls.cert,
    requests,
    serverFor(clusterId: string): string {
      const cluster = [...world.clusters.values()].find((c) => c.id.toLowerCase() === clusterId.toLowerCase().replace(/\/$/, ''));
      if (!cluster) throw new Error(`Kubernetes face: no cluster ${clusterId}`);
      return `${base}/clusters/${encodeURIComponent(cluster.name)}`;
    },
    faults: {
      throttle: (times, o = {}) => void faults.push({ kind: 'throttle', remaining: times, retryAfterSeconds: o.retryAfterSeconds ?? 1, ...(o.clusterId ? { clusterId: o.clusterId } : {}) }),
      serverError: (times, o = {}) => void faults.push({ kind: 'error', remaining: times, retryAfterSeconds: 0, ...(o.clusterId ? { clusterId: o.clusterId } : {}) }),
      rejectTokensIssuedBefore: (ms) => { rejectIssuedBefore = ms; },
      rayUnreachable: (clusterId, unreachable) => {
        if (unreachable) rayDown.add(clusterId.toLowerCase());
        else rayDown.delete(clusterId.toLowerCase());
      },
      clear: () => {
        faults.length = 0;
        rayDown.clear();
        rejectIssuedBefore = undefined;
      },
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...ownRayFaces.values()].map(async (f) => (await f).close()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, a: KubeAnswer): void {
  const text = JSON.stringify(a.body);
  res.writeHead(a.code, {
    'content-type': 'application/json',
    'cache-control': 'no-cache, private',
    'audit-id': randomUUID(),
    'content-length': String(Buffer.byteLength(text)),
    ...(a.headers ?? {}),
  });
  res.end(text);
}

/** The body, or undefined when it is over the limit (drained). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}
