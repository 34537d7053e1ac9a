/**
 * `NodePools` and `QuotaReader` in process over the ARM twin's model (local/twin/arm/armTwin.ts), with the
 * semantics its HTTPS face exposes and the real adapters (shared/adapters/arm/) turn into results: the whole pool
 * PUT with If-Match on its eTag, the long-running operation followed by polling until it settles after the
 * provisioning time — in virtual time —, and every failure classified by the same `classifyArmError`.
 */
import type { AgentPool } from '@azure/arm-containerservice';
import { classifyArmError } from '../../shared/adapters/arm/armErrors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../shared/adapters/arm/armClientOptions.js';
import { parseClusterId, refuse, toPoolState } from '../../shared/adapters/arm/armNodePools.js';
import type { NodePools, PoolChange, PoolRef, PoolResult, PoolState, ResizeOptions } from '../../shared/ports/nodePools.js';
import type { QuotaReader, QuotaUsage } from '../../shared/ports/quota.js';
import type { ArmAgentPoolResource, ArmReply, ArmTwin } from '../twin/arm/armTwin.js';
import type { VirtualTime } from './virtualTime.js';

type Answer = Extract<ArmReply, { kind: 'reply' }>;
const CACHE_LIMIT = 256;
const cacheKey = (ref: PoolRef, eTag: string) => `${ref.clusterId.toLowerCase()}/${ref.pool.toLowerCase()}|${eTag}`;

export interface SimArmOptions {
  /** Between polls of a running operation (AUTOPILOT_ARM_POLL_INTERVAL_MS; the SDK's default is 2 s). */
  readonly pollIntervalMs: number;
  /** A request that gets no answer fails after this long (the adapters' per-request timeout). */
  readonly requestTimeoutMs?: number;
}

export class SimNodePools implements NodePools {
  /** `<pool id>|<eTag>` → the pool as read, like the adapter's cache: a resize PUTs what was read, without reading again. */
  private readonly raw = new Map<string, ArmAgentPoolResource>();

  constructor(private readonly arm: ArmTwin, private readonly time: VirtualTime, private readonly options: SimArmOptions) {}

  async get(ref: PoolRef): Promise<PoolResult> {
    const reply = await this.send(() => this.arm.getPool(ref.clusterId, ref.pool));
    if ('failure' in reply) return reply;
    return { ok: true, pool: this.remember(ref, reply.body) };
  }

  async resize(current: PoolState, change: PoolChange, options: ResizeOptions = {}): Promise<PoolResult> {
    const ref = current.ref;
    const parsed = parseClusterId(ref.clusterId);
    if (!parsed) return { ok: false, failure: { class: 'invalid', code: 'InvalidClusterId', message: `not a managed cluster id: ${ref.clusterId}` } };
    const refused = refuse(current, change);
    if (refused) return refused;
    let base = this.raw.get(cacheKey(ref, current.eTag!));
    if (!base) {
      // Not read through here (or evicted): read it again; if the eTag moved, the PUT below gets ARM's 412.
      const read = await this.send(() => this.arm.getPool(ref.clusterId, ref.pool));
      if ('failure' in read) return read;
      base = read.body as ArmAgentPoolResource;
    }
    const properties: Record<string, unknown> = { ...base.properties };
    if (change.kind === 'count') {
      properties['count'] = change.count;
    } else {
      properties['minCount'] = change.minCount;
      properties['maxCount'] = change.maxCount;
      properties['count'] = Math.min(change.maxCount, Math.max(change.minCount, Number(properties['count'] ?? current.count)));
    }
    const put = await this.send(() => this.arm.putPool(ref.clusterId, ref.pool, { properties }, { ifMatch: current.eTag! }));
    if ('failure' in put) return put;
    if (put.operation) {
      // Follow the operation as core-lro does: wait the interval, poll, until it is no longer InProgress — or, like
      // the adapter, stop following after `followMs` and report the pool as it is (the operation goes on).
      const stopAt = options.followMs !== undefined ? this.time.ms() + options.followMs : Infinity;
      for (;;) {
        if (this.time.ms() + this.options.pollIntervalMs > stopAt) break;
        await this.time.sleep(this.options.pollIntervalMs);
        const op = put.operation;
        const status = await this.send(() => this.arm.getOperation(op.subscriptionId, op.region, op.id));
        if ('failure' in status) return status;
        const body = status.body as { status: string; error?: { code: string; message: string } };
        if (body.status === 'InProgress') continue;
        if (body.status !== 'Succeeded') return { ok: false, failure: classifyArmError({ status: body.status, error: body.error }) };
        break;
      }
    }
    // The final GET of a PUT operation: the pool as ARM reports it after.
    const after = await this.send(() => this.arm.getPool(ref.clusterId, ref.pool));
    if ('failure' in after) return after;
    return { ok: true, pool: this.remember(ref, after.body) };
  }

  private remember(ref: PoolRef, body: unknown): PoolState {
    const resource = body as ArmAgentPoolResource;
    this.raw.set(cacheKey(ref, resource.properties.eTag), resource);
    while (this.raw.size > CACHE_LIMIT) this.raw.delete(this.raw.keys().next().value!);
    return toPoolState(ref, asAgentPool(resource));
  }

  /** One request: its 2xx answer, or the classified failure (a request left hanging times out). */
  private async send(request: () => ArmReply): Promise<Answer | { ok: false; failure: ReturnType<typeof classifyArmError> }> {
    this.time.touch();
    const reply = request();
    if (reply.kind === 'hang') {
      await this.time.sleep(this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
      return { ok: false, failure: classifyArmError(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'AbortError' })) };
    }
    if (reply.status >= 200 && reply.status < 300) return reply;
    return { ok: false, failure: classifyArmError({ status: reply.status, headers: reply.headers ?? {}, body: reply.body }) };
  }
}

export class SimQuota implements QuotaReader {
  constructor(private readonly arm: ArmTwin, private readonly time: VirtualTime) {}

  async usages(subscriptionId: string, region: string): Promise<QuotaUsage[]> {
    this.time.touch();
    return this.arm.usage(subscriptionId, region).map((u) => ({ name: u.name, used: u.used, limit: u.limit }));
  }
}

/** The SDK's `AgentPool`: ARM's `properties` flattened next to `id` and `name`. */
function asAgentPool(body: unknown): AgentPool {
  const resource = body as ArmAgentPoolResource;
  return { id: resource.id, name: resource.name, ...resource.properties } as AgentPool;
}
