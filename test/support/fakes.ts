/** Hand-written in-memory fakes of the ports, with real state and recorded calls, for unit tests of the core. */
import { DEFAULT_CATALOGUE } from '../../shared/capacity/vmSizes.js';
import { MemoryEntityStore } from '../../shared/adapters/storage/memoryEntityStore.js';
import type { Ports } from '../../shared/executor/ports.js';
import { DEFAULT_POLICY, type ClusterSpec, type FleetSpec, type Policy } from '../../shared/fleet/types.js';
import type { JobMessage } from '../../shared/jobs/jobSpec.js';
import { silentLogger } from '../../shared/observability/logger.js';
import type { CheckpointStore } from '../../shared/ports/checkpoints.js';
import type { JobQueue } from '../../shared/ports/jobQueue.js';
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
  const ports: Ports = { fleet, state: new FleetState(store, fleet), ray, queue, checkpoints, nodePools, quota, clock: { now }, log: silentLogger };
  return { ports, store, ray, queue, checkpoints, nodePools, quota };
}
