/**
 * `Kubernetes` (shared/ports/kubernetes.ts) over each AKS cluster's API server with `@kubernetes/client-node` 1.4,
 * connected through `AksConnections` (address and CA from ARM, an Entra token; research/control-plane.md §4.5–4.6).
 *
 * Every call has a timeout and goes through `call`, which
 * - on 401 drops the token, gets a fresh one and retries once (a second 401 is a clear, non-retryable error);
 * - on a TLS or DNS failure or a 404 without a Kubernetes Status (the address is not this cluster's any more) reads
 *   the address and CA from ARM again and retries once;
 * - otherwise throws a `KubernetesApiError`: 429, 5xx, 409 and no answer are `retryable`; 400, 403, 422 are not and
 *   carry the server's message. A 404 with a Status becomes the method's 'notFound'.
 * Eviction's 429 is the answer 'blocked' (a PodDisruptionBudget, or API throttling), not an error.
 *
 * The client library (~0.5 s to import) is loaded on the first call, not when the runtime is built: most invocations
 * never talk to Kubernetes.
 */
import type { EvictionResult, KubeNodeInfo, KubePodInfo, Kubernetes, ScaleInResult } from '../../ports/kubernetes.js';
import type { AksConnection, AksConnections } from './aksConnections.js';
import type { callOptions, KubeApis, KubeClients, PatchKind } from './kubeClients.js';
import { isNotFound, isStaleServer, kubeFailureOf, KubernetesApiError, toKubernetesError } from './kubeErrors.js';
import { toNodeInfo, toPodInfo } from './kubeObjects.js';
import { patchRefusal, planScaleIn } from './rayScaleIn.js';

export interface KubernetesApiOptions {
  readonly connections: AksConnections;
  /** Per request, including reading the body. Default 10 s. */
  readonly timeoutMs?: number;
  /** Tries of the RayCluster patch when it changed between read and patch. Default 3. */
  readonly scaleInAttempts?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_SCALE_IN_ATTEMPTS = 3;
const RAY_CLUSTERS = { group: 'ray.io', version: 'v1', plural: 'rayclusters' } as const;

type Call<T> = (apis: KubeApis, options: (patch?: PatchKind) => ReturnType<typeof callOptions>) => Promise<T>;

export class KubernetesApi implements Kubernetes {
  private readonly connections: AksConnections;
  private readonly timeoutMs: number;
  private readonly scaleInAttempts: number;
  private library: Promise<{ clients: KubeClients; callOptions: typeof callOptions }> | undefined;

  constructor(options: KubernetesApiOptions) {
    this.connections = options.connections;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.scaleInAttempts = Math.max(1, options.scaleInAttempts ?? DEFAULT_SCALE_IN_ATTEMPTS);
  }

  async getNode(clusterId: string, node: string): Promise<KubeNodeInfo | 'notFound'> {
    try {
      return toNodeInfo(await this.call(clusterId, `read node ${node}`, (k, o) => k.core.readNode({ name: node }, o())));
    } catch (e) {
      if (isNotFound(e)) return 'notFound';
      throw e;
    }
  }

  cordon(clusterId: string, node: string): Promise<'cordoned' | 'notFound'> {
    return this.setUnschedulable(clusterId, node, true).then((r) => (r === 'notFound' ? r : 'cordoned'));
  }

  uncordon(clusterId: string, node: string): Promise<'uncordoned' | 'notFound'> {
    return this.setUnschedulable(clusterId, node, false).then((r) => (r === 'notFound' ? r : 'uncordoned'));
  }

  async podsOnNode(clusterId: string, node: string, labelSelector?: string): Promise<KubePodInfo[]> {
    const list = await this.call(clusterId, `list pods on node ${node}`, (k, o) =>
      k.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}`, ...(labelSelector ? { labelSelector } : {}) }, o()));
    return list.items.map(toPodInfo);
  }

  async evict(clusterId: string, namespace: string, pod: string): Promise<EvictionResult> {
    try {
      await this.call(clusterId, `evict pod ${namespace}/${pod}`, (k, o) =>
        k.core.createNamespacedPodEviction({ name: pod, namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace } } }, o()));
      return { outcome: 'evicted' };
    } catch (e) {
      if (isNotFound(e)) return { outcome: 'notFound' };
      if (e instanceof KubernetesApiError && e.status === 429) {
        return { outcome: 'blocked', reason: e.serverMessage ?? 'TooManyRequests', ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) };
      }
      throw e;
    }
  }

  async scaleInRayWorkers(clusterId: string, namespace: string, rayCluster: string, group: string, pods: readonly string[]): Promise<ScaleInResult> {
    const ref = { ...RAY_CLUSTERS, namespace, name: rayCluster };
    const what = `RayCluster ${namespace}/${rayCluster}`;
    let refusedAt: string | undefined;
    for (let attempt = 1; ; attempt++) {
      let current: unknown;
      try {
        current = await this.call(clusterId, `read ${what}`, (k, o) => k.custom.getNamespacedCustomObject(ref, o()));
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'notFound' };
        throw e;
      }
      const live = await this.livePods(clusterId, namespace, rayCluster, group);
      let plan: ReturnType<typeof planScaleIn>;
      try {
        plan = planScaleIn(current, group, pods, live);
      } catch (e) {
        throw new KubernetesApiError(`${what}: ${(e as Error).message}`, { status: 0, retryable: false, cause: e });
      }
      if (plan.kind === 'noGroup') return { outcome: 'notFound' };
      if (plan.kind === 'nothingToDo') return { outcome: 'nothingToDo' };
      if (refusedAt === plan.resourceVersion) {
        // Refused although nobody changed it: the patch does not fit the object, and never will.
        throw new KubernetesApiError(`patch ${what}: the API server could not apply the scale-in patch to resourceVersion ${refusedAt} (unchanged since)`, { status: 422, retryable: false });
      }
      try {
        await this.call(clusterId, `patch ${what}`, (k, o) => k.custom.patchNamespacedCustomObject({ ...ref, body: plan.ops }, o('json')));
        return { outcome: 'patched', replicas: plan.replicas };
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'notFound' };
        const refusal = e instanceof KubernetesApiError ? patchRefusal(e.status, e.body) : undefined;
        if (!refusal) throw e;
        if (attempt >= this.scaleInAttempts) {
          throw new KubernetesApiError(`patch ${what}: it changed between read and patch in each of ${attempt} tries; try again later`, {
            status: (e as KubernetesApiError).status, retryable: true, body: (e as KubernetesApiError).body, cause: e,
          });
        }
        refusedAt = refusal === 'notApplied' ? plan.resourceVersion : undefined;
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------

  private async setUnschedulable(clusterId: string, node: string, unschedulable: boolean): Promise<'done' | 'notFound'> {
    try {
      await this.call(clusterId, `${unschedulable ? 'cordon' : 'uncordon'} node ${node}`, (k, o) =>
        k.core.patchNode({ name: node, body: { spec: { unschedulable } } }, o('merge')));
      return 'done';
    } catch (e) {
      if (isNotFound(e)) return 'notFound';
      throw e;
    }
  }

  /** The group's pods as KubeRay counts them (its labels), without those already being deleted. */
  private async livePods(clusterId: string, namespace: string, rayCluster: string, group: string): Promise<Set<string>> {
    const list = await this.call(clusterId, `list pods of RayCluster ${namespace}/${rayCluster} group ${group}`, (k, o) =>
      k.core.listNamespacedPod({ namespace, labelSelector: `ray.io/cluster=${rayCluster},ray.io/group=${group}` }, o()));
    return new Set(list.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '').filter(Boolean));
  }

  private loadLibrary(): Promise<{ clients: KubeClients; callOptions: typeof callOptions }> {
    this.library ??= import('./kubeClients.js').then((m) => ({ clients: new m.KubeClients(), callOptions: m.callOptions }));
    // A failed import is not cached: the next call tries again.
    this.library.catch(() => { this.library = undefined; });
    return this.library;
  }

  private async call<T>(clusterId: string, what: string, fn: Call<T>): Promise<T> {
    const where = `${what} on ${clusterId.split('/').pop()}`;
    const { clients, callOptions } = await this.loadLibrary();
    let conn: AksConnection = await this.connections.connect(clusterId);
    let freshToken = false;
    let freshServer = false;
    for (;;) {
      try {
        return await fn(clients.for(conn), (patch) => callOptions(this.timeoutMs, patch));
      } catch (e) {
        const failure = kubeFailureOf(e);
        if (!failure) throw e;
        if (failure.kind === 'http' && failure.code === 401 && !freshToken) {
          freshToken = true;
          this.connections.rejectToken(conn.token);
        } else if (isStaleServer(failure) && !freshServer) {
          freshServer = true;
          this.connections.forgetEndpoint(clusterId, conn.server);
        } else {
          throw toKubernetesError(failure, where, e);
        }
        conn = await this.connections.connect(clusterId);
      }
    }
  }
}
