/**
 * The HTTPS face of the ARM twin on 127.0.0.1: what `@azure/arm-containerservice` and `@azure/arm-compute`
 * talk to when their `endpoint` points here (with `agent: new https.Agent({ ca })` for the self-signed
 * certificate). It routes and serialises; the semantics live in `ArmTwin`.
 *
 * Routes (matched case-insensitively, as ARM does; `api-version` is required and any value is accepted):
 * - GET/PUT  /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{c}/agentPools/{p}
 * - GET      …/managedClusters/{c}/agentPools                      (paged with `nextLink` when long)
 * - GET      /subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{region}/operations/{id}
 * - GET      /subscriptions/{sub}/providers/Microsoft.Compute/locations/{region}/usages  (paged with `nextLink`)
 * - POST     …/managedClusters/{c}/listClusterUserCredential?format=exec  (`CredentialResults`: a kubeconfig pointing at
 *            the twin's Kubernetes face, when `kubeServerFor` and `kubeCaPem` are given)
 *
 * An accepted PUT answers 200 with `Azure-AsyncOperation` (absolute, on this face) and `Retry-After: 0`. Polls
 * answer `Retry-After: pollRetryAfterSeconds` while in progress (default 0: core-lro lets a non-zero Retry-After
 * override `updateIntervalInMs`). Every answer carries `x-ms-request-id` and `x-ms-correlation-request-id`; GETs
 * `x-ms-ratelimit-remaining-subscription-reads`, PUTs `…-writes`. No bearer token: 401 `AuthenticationFailed`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAKE_TENANT_ID } from '../../fakeCredential.js';
import { execKubeconfig } from '../kubernetes/kubeconfig.js';
import { armErrorText, type ArmReply, type ArmTwin } from './armTwin.js';
import { INVALID_JSON, readJsonBody } from '../jsonBody.js';

export interface ArmFaceOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Usages per page before a `nextLink`. Default 100. */
  usagesPageSize?: number;
  /** Agent pools per page before a `nextLink`. Default 100. */
  poolsPageSize?: number;
  /** Retry-After on an in-progress operation status. Default 0. */
  pollRetryAfterSeconds?: number;
  /** Called for every request answered (not for ones left hanging). */
  onRequest?: (info: ArmFaceRequest) => void;
  /** The API server URL of a cluster (the Kubernetes face's `serverFor`), for `listClusterUserCredential`. */
  kubeServerFor?: (clusterId: string) => string | undefined;
  /** The CA of that API server (PEM), written into the kubeconfig as `certificate-authority-data`. */
  kubeCaPem?: string;
  /** Tenant in the kubeconfig's kubelogin arguments. Default the fake credential's tenant. */
  tenantId?: string;
}

export interface ArmFaceRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  status: number;
  ifMatch?: string;
}

export interface ArmFace {
  /** `https://127.0.0.1:<port>`, without a trailing slash: the SDK's `endpoint`. */
  readonly url: string;
  readonly port: number;
  /** Requests answered, oldest first (capped at 2000). */
  readonly requests: ArmFaceRequest[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_LOG = 2000;

const POOL = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/agentpools\/([^/]+)\/?$/i;
const POOLS = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/agentpools\/?$/i;
const OPERATION = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.containerservice\/locations\/([^/]+)\/operations\/([^/]+)\/?$/i;
const CREDENTIAL = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/listclusterusercredential\/?$/i;
const USAGES = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/locations\/([^/]+)\/usages\/?$/i;

const clusterIdOf = (sub: string, rg: string, cluster: string): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${cluster}`;

type Answer = Extract<ArmReply, { kind: 'reply' }>;

function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): Answer {
  return { kind: 'reply', status, body: { error: { code, message } }, headers };
}

export async function startArmFace(twin: ArmTwin, options: ArmFaceOptions): Promise<ArmFace> {
  const requests: ArmFaceRequest[] = [];
  const usagesPageSize = options.usagesPageSize ?? 100;
  const poolsPageSize = options.poolsPageSize ?? 100;
  const pollRetryAfter = String(options.pollRetryAfterSeconds ?? 0);
  let base = '';

  const page = <T>(items: T[], size: number, url: URL): { value: T[]; nextLink?: string } => {
    const skip = Math.max(0, Number.parseInt(url.searchParams.get('$skiptoken') ?? '0', 10) || 0);
    const value = items.slice(skip, skip + size);
    if (skip + size >= items.length) return { value };
    // ARM writes `$skiptoken` unescaped.
    const apiVersion = encodeURIComponent(url.searchParams.get('api-version') ?? '');
    return { value, nextLink: `${base}${url.pathname}?api-version=${apiVersion}&$skiptoken=${skip + size}` };
  };

  const route = (req: IncomingMessage, url: URL, body: unknown): ArmReply => {
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer\s+\S+/i.test(auth)) {
      return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    }
    if (!url.searchParams.get('api-version')) {
      return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    }
    const path = url.pathname;
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    if ((m = POOL.exec(path))) {
      const [sub, rg, cluster, pool] = m.slice(1).map((s) => decodeURIComponent(s!)) as [string, string, string, string];
      const clusterId = clusterIdOf(sub, rg, cluster);
      if (method === 'GET') return twin.getPool(clusterId, pool);
      if (method === 'PUT') {
        if (body === INVALID_JSON) {
          return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
        }
        const ifMatch = header(req, 'if-match');
        const ifNoneMatch = header(req, 'if-none-match');
        return twin.putPool(clusterId, pool, body, { ...(ifMatch !== undefined ? { ifMatch } : {}), ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}) });
      }
      return methodNotAllowed(method, path);
    }
    if ((m = POOLS.exec(path))) {
      if (method !== 'GET') return methodNotAllowed(method, path);
      const [sub, rg, cluster] = m.slice(1).map((s) => decodeURIComponent(s!)) as [string, string, string];
      const reply = twin.listPools(clusterIdOf(sub, rg, cluster));
      if (reply.kind !== 'reply' || reply.status !== 200) return reply;
      const all = (reply.body as { value: unknown[] }).value;
      return { ...reply, body: page(all, poolsPageSize, url) };
    }
    if ((m = OPERATION.exec(path))) {
      if (method !== 'GET') return methodNotAllowed(method, path);
      const [sub, region, id] = m.slice(1).map((s) => decodeURIComponent(s!)) as [string, string, string];
      const reply = twin.getOperation(sub, region, id);
      if (reply.kind === 'reply' && reply.status === 200 && (reply.body as { status?: string }).status === 'InProgress') {
        return { ...reply, headers: { ...reply.headers, 'retry-after': pollRetryAfter } };
      }
      return reply;
    }
    if ((m = CREDENTIAL.exec(path)) && options.kubeServerFor && options.kubeCaPem !== undefined) {
      if (method !== 'POST') return methodNotAllowed(method, path);
      const [sub, rg, cluster] = m.slice(1).map((s) => decodeURIComponent(s!)) as [string, string, string];
      return clusterUserCredential(sub, rg, cluster, url.searchParams.get('format'));
    }
    if ((m = USAGES.exec(path))) {
      if (method !== 'GET') return methodNotAllowed(method, path);
      const [sub, region] = m.slice(1).map((s) => decodeURIComponent(s!)) as [string, string];
      return { kind: 'reply', status: 200, body: page(twin.usagesWire(sub, region), usagesPageSize, url), headers: twin.readHeaders(sub) };
    }
    return armError(404, 'InvalidResourceType', `The resource type could not be found for the path '${path}'.`);
  };

  /** `CredentialResults` (AKS `managedClusters` spec): one kubeconfig, base64 in `value`, named `clusterUser`. */
  const clusterUserCredential = (sub: string, rg: string, cluster: string, format: string | null): ArmReply => {
    const clusterId = clusterIdOf(sub, rg, cluster);
    const known = twin.listPools(clusterId);
    if (known.kind === 'reply' && known.status === 404) return known;
    const server = options.kubeServerFor!(clusterId);
    if (!server) return armError(404, 'ResourceNotFound', armErrorText.clusterNotFound(cluster, rg));
    if (format !== null && format.toLowerCase() !== 'exec') {
      return armError(400, 'BadRequest', `The twin serves only format=exec (the 'azure' auth-provider format was removed in Kubernetes 1.26); got format=${format}.`);
    }
    const kubeconfig = execKubeconfig({ cluster, resourceGroup: rg, server, caPem: options.kubeCaPem!, tenantId: options.tenantId ?? FAKE_TENANT_ID });
    return {
      kind: 'reply', status: 200, headers: twin.writeHeaders(sub),
      body: { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(kubeconfig, 'utf8').toString('base64') }] },
    };
  };

  const server: Server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base || 'https://127.0.0.1');
    let body: unknown;
    try {
      body = await readJsonBody(req, MAX_BODY_BYTES);
    } catch {
      send(req, res, url, armError(413, 'RequestEntityTooLarge', `The request body is larger than ${MAX_BODY_BYTES} bytes.`));
      return;
    }
    let reply: ArmReply;
    try {
      reply = route(req, url, body);
    } catch (err) {
      reply = armError(500, 'InternalServerError', `The twin failed: ${(err as Error).message}`);
    }
    if (reply.kind === 'hang') return; // never answered; close() destroys the socket
    send(req, res, url, reply);
  }

  function send(req: IncomingMessage, res: ServerResponse, url: URL, reply: Answer): void {
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-cache',
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': header(req, 'x-ms-correlation-request-id') ?? randomUUID(),
      ...(reply.headers ?? {}),
    };
    if (reply.operation) {
      const op = reply.operation;
      const apiVersion = url.searchParams.get('api-version') ?? '';
      headers['azure-asyncoperation'] =
        `${base}/subscriptions/${op.subscriptionId}/providers/Microsoft.ContainerService/locations/${op.region}/operations/${op.id}?api-version=${encodeURIComponent(apiVersion)}`;
    }
    const ifMatch = header(req, 'if-match');
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', status: reply.status, ...(ifMatch !== undefined ? { ifMatch } : {}) });
    if (requests.length > MAX_LOG) requests.shift();
    options.onRequest?.(requests[requests.length - 1]!);
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(reply.status, headers);
    res.end(text);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  base = `https://127.0.0.1:${port}`;

  return {
    url: base,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}


function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function methodNotAllowed(method: string, path: string): ArmReply {
  return armError(405, 'MethodNotAllowed', `The requested method '${method}' is not allowed on '${path}'.`);
}

