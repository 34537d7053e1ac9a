/**
 * Ray through the AKS API server's service proxy: an `aks-service-proxy:` `rayEndpoint` (shared/fleet/types.ts) becomes
 * `<server>/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy` of that cluster, with the same connection as the
 * Kubernetes adapter (`AksConnections`: address and CA from ARM, the Entra token for the AKS server application;
 * RBAC needs `services/proxy`). Other endpoints go to `fallback` (direct base URLs).
 *
 * - TLS is verified against the cluster's CA only: undici's own `fetch` with an `Agent({ connect: { ca } })` per
 *   cluster (its own fetch, so the dispatcher always matches the fetch whatever undici Node bundles), never a global
 *   agent or `NODE_TLS_REJECT_UNAUTHORIZED`.
 * - The token goes only under that base URL: the route's fetch refuses any other URL (redirects are not followed).
 * - 401 → `refreshed()` drops the token and builds the route again with a fresh one (the caller retries once).
 * - No answer because of TLS or DNS → the cluster's address and CA are read from ARM again next time.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { parseRayServiceProxyEndpoint, type ServiceProxyTarget } from '../../fleet/types.js';
import type { AksConnection, AksConnections } from '../kubernetes/aksConnections.js';
import { kubeFailureOf } from '../kubernetes/kubeErrors.js';
import { directRouter, type RayFetch, type RayRoute, type RayRouter } from './rayRoutes.js';

export class ServiceProxyRouter implements RayRouter {
  /** Per cluster: the undici Agent trusting its CA. */
  private readonly agents = new Map<string, { caPem: string; agent: Agent }>();

  constructor(private readonly connections: AksConnections, private readonly fallback: RayRouter = directRouter) {}

  route(endpoint: string): Promise<RayRoute> {
    const target = parseRayServiceProxyEndpoint(endpoint);
    return target ? this.routeTo(target) : this.fallback.route(endpoint);
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map(({ agent }) => agent.close()));
  }

  private async routeTo(target: ServiceProxyTarget): Promise<RayRoute> {
    const conn = await this.connections.connect(target.clusterId);
    const baseUrl = serviceProxyBaseUrl(conn.server, target);
    return {
      baseUrl,
      headers: { authorization: `Bearer ${conn.token}` },
      fetch: this.pinnedFetch(conn, baseUrl),
      refreshed: () => {
        this.connections.rejectToken(conn.token);
        return this.routeTo(target);
      },
      failed: (cause) => {
        const failure = kubeFailureOf(causeOf(cause));
        if (failure?.kind === 'transport' && failure.staleServer) this.connections.forgetEndpoint(target.clusterId, conn.server);
      },
    };
  }

  private pinnedFetch(conn: AksConnection, baseUrl: string): RayFetch {
    const agent = this.agentFor(conn);
    const prefix = `${baseUrl}/`;
    return async (url, init) => {
      // The bearer token is for this API server's proxy path only.
      if (!url.startsWith(prefix)) throw new Error(`refusing to send the cluster token outside ${baseUrl}`);
      return undiciFetch(url, { ...init, dispatcher: agent });
    };
  }

  private agentFor(conn: AksConnection): Agent {
    const key = conn.clusterId.toLowerCase();
    const hit = this.agents.get(key);
    if (hit?.caPem === conn.caPem) return hit.agent;
    const agent = new Agent({ connect: { ca: conn.caPem } });
    this.agents.set(key, { caPem: conn.caPem, agent });
    // The old CA's connections are of no further use; closing lets in-flight requests finish.
    if (hit) void hit.agent.close().catch(() => undefined);
    return agent;
  }
}

/** `<server>/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy` */
export function serviceProxyBaseUrl(server: string, target: ServiceProxyTarget): string {
  return `${server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(target.namespace)}/services/${encodeURIComponent(target.service)}:${target.port}/proxy`;
}

/** undici's fetch rejects with `TypeError('fetch failed')` whose `cause` is the socket or TLS error. */
function causeOf(e: unknown): unknown {
  const cause = (e as { cause?: unknown } | null)?.cause;
  return cause instanceof Error ? cause : e;
}
