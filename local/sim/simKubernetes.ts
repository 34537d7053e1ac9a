/**
 * The Kubernetes port in process over the twin's clusters: each call is the request the real adapter
 * (shared/adapters/kubernetes/kubernetesApi.ts) sends, answered by the twin's API routes (`kubeApi`, what its HTTPS
 * face serves) on the world's `KubeCluster`, and every refusal becomes the adapter's own `KubernetesApiError` through
 * its own classification. A cluster whose region is down does not answer: the call fails as a timeout would.
 */
import { isNotFound, kubeFailureOf, KubernetesApiError, toKubernetesError } from '../../shared/adapters/kubernetes/kubeErrors.js';
import { toNodeInfo, toPodInfo } from '../../shared/adapters/kubernetes/kubeObjects.js';
import { patchRefusal, planScaleIn } from '../../shared/adapters/kubernetes/rayScaleIn.js';
import type { EvictionResult, KubeNodeInfo, KubePodInfo, Kubernetes, ScaleInResult } from '../../shared/ports/kubernetes.js';
import { kubeApi } from '../twin/kubernetes/kubeApi.js';
import type { FleetWorld } from '../twin/world.js';
import type { VirtualTime } from './virtualTime.js';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
/** The adapter's default: tries of the RayCluster patch when it changed between read and patch. */
const SCALE_IN_ATTEMPTS = 3;

type Item = Record<string, unknown>;

export class SimKubernetes implements Kubernetes {
  constructor(private readonly world: FleetWorld, private readonly time: VirtualTime, private readonly unreachableAfterMs: number) {}

  async getNode(clusterId: string, node: string): Promise<KubeNodeInfo | 'notFound'> {
    try {
      return toNodeInfo(await this.call(clusterId, `read node ${node}`, 'GET', `/api/v1/nodes/${enc(node)}`) as never);
    } catch (e) {
      if (isNotFound(e)) return 'notFound';
      throw e;
    }
  }

  async cordon(clusterId: string, node: string): Promise<'cordoned' | 'notFound'> {
    return (await this.setUnschedulable(clusterId, node, true)) === 'notFound' ? 'notFound' : 'cordoned';
  }

  async uncordon(clusterId: string, node: string): Promise<'uncordoned' | 'notFound'> {
    return (await this.setUnschedulable(clusterId, node, false)) === 'notFound' ? 'notFound' : 'uncordoned';
  }

  async podsOnNode(clusterId: string, node: string, labelSelector?: string): Promise<KubePodInfo[]> {
    const query = new URLSearchParams({ fieldSelector: `spec.nodeName=${node}`, ...(labelSelector ? { labelSelector } : {}) });
    const list = await this.call(clusterId, `list pods on node ${node}`, 'GET', '/api/v1/pods', query) as { items: Item[] };
    return list.items.map((p) => toPodInfo(p as never));
  }

  async evict(clusterId: string, namespace: string, pod: string): Promise<EvictionResult> {
    try {
      await this.call(clusterId, `evict pod ${namespace}/${pod}`, 'POST', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(pod)}/eviction`, undefined,
        { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace } }, 'application/json');
      return { outcome: 'evicted' };
    } catch (e) {
      if (isNotFound(e)) return { outcome: 'notFound' };
      if (e instanceof KubernetesApiError && e.status === 429) {
        return { outcome: 'blocked', reason: e.serverMessage ?? 'TooManyRequests', ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) };
      }
      throw e;
    }
  }

  /** The adapter's loop: read, plan the patch (resourceVersion tested), patch; re-read when it changed in between. */
  async scaleInRayWorkers(clusterId: string, namespace: string, rayCluster: string, group: string, pods: readonly string[]): Promise<ScaleInResult> {
    const path = `/apis/ray.io/v1/namespaces/${enc(namespace)}/rayclusters/${enc(rayCluster)}`;
    const what = `RayCluster ${namespace}/${rayCluster}`;
    let refusedAt: string | undefined;
    for (let attempt = 1; ; attempt++) {
      let current: unknown;
      try {
        current = await this.call(clusterId, `read ${what}`, 'GET', path);
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'notFound' };
        throw e;
      }
      const list = await this.call(clusterId, `list pods of ${what} group ${group}`, 'GET', `/api/v1/namespaces/${enc(namespace)}/pods`,
        new URLSearchParams({ labelSelector: `ray.io/cluster=${rayCluster},ray.io/group=${group}` })) as { items: Item[] };
      const live = new Set(list.items.map((p) => p['metadata'] as { name?: string; deletionTimestamp?: string })
        .filter((m) => !m.deletionTimestamp).map((m) => m.name ?? '').filter(Boolean));
      const plan = planScaleIn(current, group, pods, live);
      if (plan.kind === 'noGroup') return { outcome: 'notFound' };
      if (plan.kind === 'nothingToDo') return { outcome: 'nothingToDo' };
      if (refusedAt === plan.resourceVersion) {
        throw new KubernetesApiError(`patch ${what}: the API server could not apply the scale-in patch to resourceVersion ${refusedAt} (unchanged since)`, { status: 422, retryable: false });
      }
      try {
        await this.call(clusterId, `patch ${what}`, 'PATCH', path, undefined, plan.ops, JSON_PATCH);
        return { outcome: 'patched', replicas: plan.replicas };
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'notFound' };
        const refusal = e instanceof KubernetesApiError ? patchRefusal(e.status, e.body) : undefined;
        if (!refusal) throw e;
        if (attempt >= SCALE_IN_ATTEMPTS) throw new KubernetesApiError(`patch ${what}: it changed between read and patch in each of ${attempt} tries; try again later`, { status: (e as KubernetesApiError).status, retryable: true });
        refusedAt = refusal === 'notApplied' ? plan.resourceVersion : undefined;
      }
    }
  }

  private async setUnschedulable(clusterId: string, node: string, unschedulable: boolean): Promise<'done' | 'notFound'> {
    try {
      await this.call(clusterId, `${unschedulable ? 'cordon' : 'uncordon'} node ${node}`, 'PATCH', `/api/v1/nodes/${enc(node)}`, undefined, { spec: { unschedulable } }, MERGE_PATCH);
      return 'done';
    } catch (e) {
      if (isNotFound(e)) return 'notFound';
      throw e;
    }
  }

  /** One request to the cluster's API: the 2xx body, or the adapter's error for what came back. */
  private async call(clusterId: string, what: string, method: string, path: string, query = new URLSearchParams(), body?: unknown, contentType?: string): Promise<unknown> {
    this.time.touch();
    const where = `${what} on ${clusterId.split('/').pop()}`;
    const cluster = this.world.clusters.get(clusterId) ?? [...this.world.clusters.values()].find((c) => c.id.toLowerCase() === clusterId.toLowerCase());
    if (!cluster) throw new TypeError(`no cluster ${clusterId} in the simulated fleet`);
    if (this.world.isDown(cluster.region)) {
      await this.time.sleep(this.unreachableAfterMs);
      throw toKubernetesError({ kind: 'transport', code: 'TIMEOUT', staleServer: false, timeout: true, message: 'no answer' }, where, undefined);
    }
    const answer = kubeApi(this.world.kube(cluster.id), { method, path, query, contentType, body: body === undefined ? '' : JSON.stringify(body) }, this.time.ms());
    if (answer.code >= 200 && answer.code < 300) return JSON.parse(JSON.stringify(answer.body));
    // What @kubernetes/client-node throws for it (an ApiException), through the adapter's classification.
    const failure = kubeFailureOf({ code: answer.code, body: JSON.stringify(answer.body), headers: { ...(answer.headers ?? {}) } })!;
    throw toKubernetesError(failure, where, undefined);
  }
}

const enc = encodeURIComponent;
