/**
 * The API server's service proxy, `/api/v1/namespaces/{ns}/services/{[scheme:]name[:port]}/proxy/{path}`, for the
 * one service the twin's clusters run behind it: the Ray head service `ray-head-svc` (dashboard port 8265, named
 * `dashboard`). Method, path, query and body go to the cluster's Ray face; status, content type and body come back.
 * The caller's `Authorization` header is not passed on (it is for the API server, not the service).
 *
 * Errors as the API server words them: an unknown service is 404 NotFound `services "x" not found`; a port the
 * service does not have, 503 `no endpoints available for service "x"`; a head that does not answer, 503
 * `error trying to reach service: dial tcp <ip>:8265: connect: connection refused`.
 */
import { request } from 'node:http';
import { RAY_HEAD_SERVICE, RAY_NAMESPACE } from './rayClusterSpec.js';
import { kubeStatus, type KubeAnswer } from './status.js';

const PROXY_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/.*)?$/;
const DASHBOARD_PORTS = new Set(['', '8265', 'dashboard']);

export interface ProxyTarget {
  readonly namespace: string;
  readonly service: string;
  readonly port: string;
  /** The path below `/proxy`, `/` at least. */
  readonly rest: string;
}

export function parseProxyPath(path: string): ProxyTarget | undefined {
  const m = PROXY_PATH.exec(path);
  if (!m) return undefined;
  const id = decodeURIComponent(m[2]!);
  // `[scheme:]name[:port]`
  const parts = id.split(':');
  const withScheme = parts.length === 3 || (parts.length === 2 && (parts[0] === 'http' || parts[0] === 'https'));
  const name = withScheme ? parts[1]! : parts[0]!;
  const port = withScheme ? parts[2] ?? '' : parts[1] ?? '';
  return { namespace: decodeURIComponent(m[1]!), service: name, port, rest: m[3] ?? '/' };
}

/** 404/503 for a target the twin does not serve, undefined when it is the Ray dashboard. */
export function checkProxyTarget(target: ProxyTarget): KubeAnswer | undefined {
  if (target.namespace !== RAY_NAMESPACE || target.service !== RAY_HEAD_SERVICE) return kubeStatus.notFound({ plural: 'services' }, target.service);
  if (!DASHBOARD_PORTS.has(target.port)) return kubeStatus.serviceUnavailable(`no endpoints available for service "${target.service}:${target.port}"`);
  return undefined;
}

export interface ProxiedRequest {
  readonly method: string;
  readonly rest: string;
  /** `?a=b` or ''. */
  readonly search: string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly body: Buffer;
}

export type ProxyResult =
  | { readonly ok: true; readonly status: number; readonly contentType?: string; readonly body: Buffer }
  | { readonly ok: false; readonly answer: KubeAnswer };

/** Forwards to the Ray face at `baseUrl`; a connection that fails is the API server's 503. */
export function forwardToRay(baseUrl: string, req: ProxiedRequest, headIp: string, timeoutMs: number): Promise<ProxyResult> {
  const unreachable = (): ProxyResult => ({
    ok: false,
    answer: kubeStatus.serviceUnavailable(`error trying to reach service: dial tcp ${headIp}:8265: connect: connection refused`),
  });
  return new Promise((resolve) => {
    const url = new URL(`${baseUrl.replace(/\/+$/, '')}${req.rest}${req.search}`);
    const headers: Record<string, string> = { 'content-length': String(req.body.length) };
    if (req.contentType) headers['content-type'] = req.contentType;
    if (req.accept) headers['accept'] = req.accept;
    const out = request(url, { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const contentType = res.headers['content-type'];
        resolve({ ok: true, status: res.statusCode ?? 502, ...(contentType ? { contentType } : {}), body: Buffer.concat(chunks) });
      });
      res.on('error', () => resolve(unreachable()));
    });
    out.setTimeout(timeoutMs, () => out.destroy(new Error('timeout')));
    out.on('error', () => resolve(unreachable()));
    out.end(req.body);
  });
}
