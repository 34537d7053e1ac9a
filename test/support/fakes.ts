/** Hand-written in-memory fakes of the ports, with real state and recorded calls, for unit tests of the core. */
import { DEFAULT_CATALOGUE } from '../../shared/capacity/vmSizes.js';
import { MemoryEntityStore } from '../../shared/adapters/storage/memoryEntityStore.js';
import type { Ports } from '../../shared/executor/ports.js';
import { DEFAULT_POLICY, type ClusterSpec, type FleetSpec, type Policy } from '../../shared/fleet/types.js';
import type { JobMessage } from '../../shared/jobs/jobSpec.js';
import { silentLogger } from '../../shared/observability/logger.js';
import type { CheckpointStore } from '../../shared/ports/checkpoints.js';
import type { JobQueue } from '../../shared/ports/jobQueue.js';
import type { EvictionResult, KubeNodeInfo, KubePodInfo, Kubernetes, ScaleInResult } from '../../shared/ports/kubernetes.js';
import type { NodePools, PoolChange, PoolRef, PoolResult, PoolState } from '../../shared/ports/nodePools.js';
import type { QuotaReader, QuotaUsage } from '../../shared/ports/quota.js';
import type { RayJobInfo, RayJobs, RaySubmitRequest } from '../../shared/ports/rayJobs.js';
import { FleetState } from '../../shared/state/fleetState.js';

/** Like real Ray, each endpoint (cluster) only knows its own submissions; keys are `<endpoint>|<submissionId>`. */
export class FakeRayJobs implements RayJobs {
  readonly jobs = new Map<string, { endpoint: string; request: RaySubmitRequest; status: RayJobInfo['status'] }>();
  /** Set to make submit fail like Ray's dashboard would. */
  submitError: Error | undefined;
  readonly calls: string[] = [];
  readonly unreachable = new Set<string>();
  async submit(endpoint: string, request: RaySubmitRequest) {
    this.calls.push(`submit ${request.submissionId}`);
    if (this.unreachable.has(endpoint)) throw Object.assign(new Error('connect ECONNREFUSED'), { retryable: true });
    if (this.submitError) throw this.submitError;
    if (this.jobs.has(`${endpoint}|${request.submissionId}`)) return 'duplicate' as const;
    this.jobs.set(`${endpoint}|${request.submissionId}`, { endpoint, request, status: 'RUNNING' });
    return 'submitted' as const;
  }
  async stop(endpoint: string, submissionId: string) {
    this.calls.push(`stop ${submissionId}`);
    if (this.unreachable.has(endpoint)) return 'unreachable' as const;
    const job = this.jobs.get(`${endpoint}|${submissionId}`);
    if (!job) return 'notFound' as const;
    if (job.status !== 'RUNNING' && job.status !== 'PENDING') return 'alreadyStopped' as const;
    job.status = 'STOPPED';
    return 'stopped' as const;
  }
  async get(endpoint: string, submissionId: string) {
    if (this.unreachable.has(endpoint)) return 'unreachable' as const;
    const job = this.jobs.get(`${endpoint}|${submissionId}`);
    return job ? { submissionId, status: job.status, metadata: job.request.metadata ?? {} } : 'notFound' as const;
  }
  async list(endpoint: string) {
    if (this.unreachable.has(endpoint)) return 'unreachable' as const;
    return [...this.jobs.values()].filter((j) => j.endpoint === endpoint).map((j) => ({ submissionId: j.request.submissionId, status: j.status, metadata: j.request.metadata ?? {} }));
  }
  /** Set per endpoint: Ray node IP → submission ids with work there (jobs that ended are left out, like the adapter). */
  readonly work = new Map<string, Map<string, string[]>>();
  placeWork(endpoint: string, nodeIp: string, ...submissionIds: string[]) {
    const byIp = this.work.get(endpoint) ?? new Map<string, string[]>();
    byIp.set(nodeIp, [...(byIp.get(nodeIp) ?? []), ...submissionIds]);
    this.work.set(endpoint, byIp);
  }
  async jobsOnNodes(endpoint: string, nodeIps: readonly string[]) {
    this.calls.push(`jobsOnNodes ${nodeIps.join(',')}`);
    if (this.unreachable.has(endpoint)) return 'unreachable' as const;
    const byIp = this.work.get(endpoint);
    const ids = [...new Set(nodeIps.flatMap((ip) => byIp?.get(ip) ?? []))];
    return ids.filter((id) => {
      const status = this.jobs.get(`${endpoint}|${id}`)?.status;
      return status === undefined || status === 'RUNNING' || status === 'PENDING';
    });
  }
}

interface FakeRayCluster {
  resourceVersion: number;
  groups: Map<string, { replicas: number; minReplicas: number; workersToDelete: string[] }>;
}

/**
 * Nodes and pods per cluster with real state; evictions answer from a script (e.g. `blocked` twice, then evicted);
 * RayClusters scale in like the adapter (victims = pods still in the group and not yet listed; never below minReplicas).
 * Label selectors: `k=v` and `k` (exists), comma-separated; anything else throws so a test cannot pass by accident.
 */
export class FakeKubernetes implements Kubernetes {
  /** `<clusterId>|<node>` → node. */
  readonly nodes = new Map<string, KubeNodeInfo>();
  /** `<clusterId>|<namespace>/<pod>` → pod. */
  readonly pods = new Map<string, KubePodInfo>();
  /** `<clusterId>|<namespace>/<pod>` → answers consumed in order before the pod is evicted. */
  readonly evictionScript = new Map<string, EvictionResult[]>();
  /** `<clusterId>|<namespace>/<rayCluster>` → its worker groups. */
  readonly rayClusters = new Map<string, FakeRayCluster>();
  readonly scaleIns: Array<{ clusterId: string; namespace: string; rayCluster: string; group: string; pods: readonly string[]; result: ScaleInResult }> = [];
  readonly calls: string[] = [];
  /** Clusters whose API server does not answer: every call throws a retryable error. */
  readonly unreachable = new Set<string>();

  addNode(clusterId: string, node: Partial<KubeNodeInfo> & { name: string }) {
    this.nodes.set(`${clusterId}|${node.name}`, { unschedulable: false, ready: true, labels: {}, ...node });
  }
  addPod(clusterId: string, pod: Partial<KubePodInfo> & { name: string }) {
    const full: KubePodInfo = { namespace: 'ray', phase: 'Running', labels: {}, terminating: false, ...pod };
    this.pods.set(`${clusterId}|${full.namespace}/${full.name}`, full);
  }
  addRayCluster(clusterId: string, namespace: string, name: string, groups: Record<string, { replicas: number; minReplicas?: number }>) {
    this.rayClusters.set(`${clusterId}|${namespace}/${name}`, {
      resourceVersion: 1,
      groups: new Map(Object.entries(groups).map(([g, v]) => [g, { replicas: v.replicas, minReplicas: v.minReplicas ?? 0, workersToDelete: [] }])),
    });
  }

  async getNode(clusterId: string, node: string) {
    this.reach(clusterId, `getNode ${node}`);
    return this.nodes.get(`${clusterId}|${node}`) ?? ('notFound' as const);
  }
  async cordon(clusterId: string, node: string) {
    return this.setUnschedulable(clusterId, node, true) ? ('cordoned' as const) : ('notFound' as const);
  }
  async uncordon(clusterId: string, node: string) {
    return this.setUnschedulable(clusterId, node, false) ? ('uncordoned' as const) : ('notFound' as const);
  }
  async podsOnNode(clusterId: string, node: string, labelSelector?: string) {
    this.reach(clusterId, `podsOnNode ${node}`);
    const matches = selector(labelSelector);
    return [...this.pods.entries()].filter(([k, p]) => k.startsWith(`${clusterId}|`) && p.nodeName === node && matches(p.labels)).map(([, p]) => p);
  }
  async evict(clusterId: string, namespace: string, pod: string): Promise<EvictionResult> {
    this.reach(clusterId, `evict ${namespace}/${pod}`);
    const key = `${clusterId}|${namespace}/${pod}`;
    if (!this.pods.has(key)) return { outcome: 'notFound' };
    const scripted = this.evictionScript.get(key)?.shift();
    if (scripted && scripted.outcome !== 'evicted') return scripted;
    this.pods.delete(key);
    return { outcome: 'evicted' };
  }
  async scaleInRayWorkers(clusterId: string, namespace: string, rayCluster: string, group: string, pods: readonly string[]): Promise<ScaleInResult> {
    this.reach(clusterId, `scaleIn ${namespace}/${rayCluster}/${group}`);
    const record = (result: ScaleInResult) => { this.scaleIns.push({ clusterId, namespace, rayCluster, group, pods, result }); return result; };
    const spec = this.rayClusters.get(`${clusterId}|${namespace}/${rayCluster}`)?.groups.get(group);
    if (!spec) return record({ outcome: 'notFound' });
    const victims = [...new Set(pods)].filter((name) => {
      const p = this.pods.get(`${clusterId}|${namespace}/${name}`);
      return p && !p.terminating && p.labels['ray.io/cluster'] === rayCluster && p.labels['ray.io/group'] === group && !spec.workersToDelete.includes(name);
    });
    if (!victims.length) return record({ outcome: 'nothingToDo' });
    spec.replicas = Math.max(spec.minReplicas, spec.replicas - victims.length);
    spec.workersToDelete.push(...victims);
    this.rayClusters.get(`${clusterId}|${namespace}/${rayCluster}`)!.resourceVersion++;
    return record({ outcome: 'patched', replicas: spec.replicas });
  }

  private setUnschedulable(clusterId: string, node: string, unschedulable: boolean): boolean {
    this.reach(clusterId, `${unschedulable ? 'cordon' : 'uncordon'} ${node}`);
    const cur = this.nodes.get(`${clusterId}|${node}`);
    if (!cur) return false;
    this.nodes.set(`${clusterId}|${node}`, { ...cur, unschedulable });
    return true;
  }
  private reach(clusterId: string, call: string) {
    this.calls.push(call);
    if (this.unreachable.has(clusterId)) throw Object.assign(new Error(`${call}: connect ECONNREFUSED`), { retryable: true });
  }
}

function selector(labelSelector: string | undefined): (labels: Readonly<Record<string, string>>) => boolean {
  const terms = (labelSelector ?? '').split(',').map((t) => t.trim()).filter(Boolean).map((t) => {
    if (!/^[\w./-]+(=[\w.-]*)?$/.test(t)) throw new Error(`FakeKubernetes: unsupported label selector term ${t}`);
    const [k, v] = t.split('=') as [string, string | undefined];
    return { k, v };
  });
  return (labels) => terms.every(({ k, v }) => (v === undefined ? k in labels : labels[k] === v));
}

/** Drops a message whose id it has seen, like a queue with duplicate detection. */
export class FakeJobQueue implements JobQueue {
  readonly sent: Array<{ message: JobMessage; messageId: string; notBefore?: Date }> = [];
  readonly dropped: string[] = [];
  private readonly seen = new Set<string>();
  async send(message: JobMessage, options: { messageId: string; notBefore?: Date }) {
    if (this.seen.has(options.messageId)) { this.dropped.push(options.messageId); return; }
    this.seen.add(options.messageId);
    this.sent.push({ message, messageId: options.messageId, ...(options.notBefore ? { notBefore: options.notBefore } : {}) });
  }
  /** Takes every message sent so far (what a consumer would receive). */
  drain() { return this.sent.splice(0); }
}

export class FakeCheckpoints implements CheckpointStore {
  readonly latest = new Map<string, string>();
  async latestComplete(prefix: string) { return this.latest.get(prefix); }
}

/** Pools with real counts and eTags; records every PUT. */
export class FakeNodePools implements NodePools {
  readonly pools = new Map<string, PoolState>();
  readonly puts: Array<{ ref: PoolRef; change: PoolChange }> = [];
  add(state: PoolState) { this.pools.set(`${state.ref.clusterId}|${state.ref.pool}`, state); }
  async get(ref: PoolRef): Promise<PoolResult> {
    const pool = this.pools.get(`${ref.clusterId}|${ref.pool}`);
    return pool ? { ok: true, pool } : { ok: false, failure: { class: 'notFound', code: 'NotFound', message: 'no pool' } };
  }
  async resize(current: PoolState, change: PoolChange): Promise<PoolResult> {
    this.puts.push({ ref: current.ref, change });
    const key = `${current.ref.clusterId}|${current.ref.pool}`;
    const pool = this.pools.get(key);
    if (!pool || pool.eTag !== current.eTag) return { ok: false, failure: { class: 'preconditionFailed', code: 'PreconditionFailed', message: 'eTag', statusCode: 412 } };
    const next: PoolState = change.kind === 'count' ? { ...pool, count: change.count, eTag: `${pool.eTag}+` } : { ...pool, minCount: change.minCount, maxCount: change.maxCount, eTag: `${pool.eTag}+` };
    this.pools.set(key, next);
    return { ok: true, pool: next };
  }
}

export class FakeQuota implements QuotaReader {
  readonly usage = new Map<string, QuotaUsage[]>();
  async usages(subscriptionId: string, region: string) { return this.usage.get(`${subscriptionId}|${region}`) ?? []; }
}

export function fakePorts(clusters: ClusterSpec[], policy: Partial<Policy> = {}, now = () => new Date('2026-11-28T12:00:00Z')) {
  const fleet: FleetSpec = { regions: [...new Set(clusters.map((c) => c.region))], clusters, policy: { ...DEFAULT_POLICY, ...policy }, catalogue: DEFAULT_CATALOGUE };
  const store = new MemoryEntityStore();
  const ray = new FakeRayJobs();
  const queue = new FakeJobQueue();
  const checkpoints = new FakeCheckpoints();
  const nodePools = new FakeNodePools();
  const quota = new FakeQuota();
  const kube = new FakeKubernetes();
  const ports: Ports = { fleet, state: new FleetState(store, fleet), ray, queue, checkpoints, nodePools, kube, quota, clock: { now }, log: silentLogger };
  return { ports, store, ray, queue, checkpoints, nodePools, kube, quota };
}
