/**
 * `@kubernetes/client-node` 1.4 clients for one connection: a `KubeConfig` built in memory with
 * `loadFromClusterAndUser` (server, the CA as `caData`, the bearer token; TLS always verified) — never a kubeconfig
 * file. `User.token` is fixed once set, so a new token means new clients (`KubeClients.for` rebuilds them when the
 * token or the server changed).
 *
 * Per-call options (1.4's ObjectParamAPI takes Observable middleware, the shape `setHeaderOptions` returns): a timeout
 * on every request (an `AbortSignal` on the request context; node-fetch aborts the response body with it too), and for
 * patches the Content-Type (the generated patch calls pick `application/json-patch+json` by default; set either way).
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  PatchStrategy,
  setHeaderOptions,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import type { AksConnection } from './aksConnections.js';

export interface KubeApis {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
}

export function buildKubeApis(conn: AksConnection): KubeApis {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: clusterName(conn.clusterId), server: conn.server, caData: Buffer.from(conn.caPem, 'utf8').toString('base64'), skipTLSVerify: false },
    { name: 'autopilot', token: conn.token },
  );
  return { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

/** Clients per cluster, rebuilt when the connection's token or server changes. */
export class KubeClients {
  private readonly cache = new Map<string, { server: string; token: string; apis: KubeApis }>();

  for(conn: AksConnection): KubeApis {
    const k = conn.clusterId.toLowerCase();
    const hit = this.cache.get(k);
    if (hit && hit.server === conn.server && hit.token === conn.token) return hit.apis;
    const apis = buildKubeApis(conn);
    this.cache.set(k, { server: conn.server, token: conn.token, apis });
    return apis;
  }
}

function timeoutMiddleware(timeoutMs: number): ObservableMiddleware {
  return {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
}

export type PatchKind = 'merge' | 'json';

/** Options for one call: its timeout, and for a patch its Content-Type (explicit, not the generated default). */
export function callOptions(timeoutMs: number, patch?: PatchKind): ConfigurationOptions<ObservableMiddleware> {
  const base: ConfigurationOptions<ObservableMiddleware> = { middleware: [timeoutMiddleware(timeoutMs)], middlewareMergeStrategy: 'append' };
  if (patch === undefined) return base;
  return setHeaderOptions('Content-Type', patch === 'merge' ? PatchStrategy.MergePatch : PatchStrategy.JsonPatch, base);
}

const clusterName = (clusterId: string): string => clusterId.split('/').pop() || 'aks';
