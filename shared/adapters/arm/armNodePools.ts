/**
 * `NodePools` over ARM with `@azure/arm-containerservice` 25.x (the modular client): one `ContainerServiceClient`
 * per subscription, created on first use.
 *
 * - `get` reads the pool and keeps the SDK's `AgentPool` in a small cache keyed by resource id + eTag.
 * - `resize` PUTs the whole pool — the cached object of that eTag unchanged except the change (re-read once when
 *   not cached) — with `ifMatch: current.eTag`, follows the long-running operation to its end (Azure-AsyncOperation,
 *   then the final GET) and returns the pool as ARM reports it, or the classified failure. Never throws for an
 *   ARM failure: sync errors (RestError) and async ones (core-lro's "The long-running operation has failed. <code>.
 *   <message>") both become `{ ok: false, failure }`; when the code of an async failure cannot be read from the
 *   message, the pool's `status.provisioningError` is read instead.
 * - Never PUTs `count` on an autoscaled pool (DESIGN §5): that, and a range on a manual pool, are refused as
 *   `invalid` without calling ARM. A range change echoes the current count, clamped into the new range (AKS
 *   rejects a count outside [minCount, maxCount]).
 */
import { ContainerServiceClient, type AgentPool } from '@azure/arm-containerservice';
import type { ArmFailure, NodePools, PoolChange, PoolRef, PoolResult, PoolState, ResizeOptions } from '../../ports/nodePools.js';
import { addRequestTimeout, sdkClientOptions, type ArmAdapterOptions } from './armClientOptions.js';
import { classifyArmError } from './armErrors.js';

export type ArmNodePoolsOptions = ArmAdapterOptions;

const CLUSTER_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)\/?$/i;
const CACHE_LIMIT = 256;

export interface ParsedClusterId {
  subscriptionId: string;
  resourceGroup: string;
  cluster: string;
}

export function parseClusterId(clusterId: string): ParsedClusterId | undefined {
  const m = CLUSTER_ID.exec(clusterId);
  return m ? { subscriptionId: m[1]!, resourceGroup: m[2]!, cluster: m[3]! } : undefined;
}

const invalid = (code: string, message: string): PoolResult => ({ ok: false, failure: { class: 'invalid', code, message } });

export class ArmNodePools implements NodePools {
  private readonly clients = new Map<string, ContainerServiceClient>();
  /** `<pool id lower-case>|<eTag>` → the pool as the SDK read it. */
  private readonly raw = new Map<string, AgentPool>();

  constructor(private readonly options: ArmNodePoolsOptions) {}

  async get(ref: PoolRef): Promise<PoolResult> {
    const parsed = parseClusterId(ref.clusterId);
    if (!parsed) return invalid('InvalidClusterId', `not a managed cluster id: ${ref.clusterId}`);
    try {
      const pool = await this.client(parsed.subscriptionId).agentPools.get(parsed.resourceGroup, parsed.cluster, ref.pool);
      this.remember(ref, pool);
      return { ok: true, pool: toPoolState(ref, pool) };
    } catch (e) {
      return { ok: false, failure: classifyArmError(e) };
    }
  }

  async resize(current: PoolState, change: PoolChange, options: ResizeOptions = {}): Promise<PoolResult> {
    const ref = current.ref;
    const parsed = parseClusterId(ref.clusterId);
    if (!parsed) return invalid('InvalidClusterId', `not a managed cluster id: ${ref.clusterId}`);
    const refused = refuse(current, change);
    if (refused) return refused;
    const eTag = current.eTag!;
    const client = this.client(parsed.subscriptionId);

    let base = this.raw.get(cacheKey(ref, eTag));
    if (!base) {
      // Not read through this adapter (or evicted): read it again. If the eTag moved, the PUT below gets ARM's 412.
      try {
        base = await client.agentPools.get(parsed.resourceGroup, parsed.cluster, ref.pool);
      } catch (e) {
        return { ok: false, failure: classifyArmError(e) };
      }
    }
    const body: AgentPool = { ...base };
    if (change.kind === 'count') {
      body.count = change.count;
    } else {
      body.minCount = change.minCount;
      body.maxCount = change.maxCount;
      body.count = Math.min(change.maxCount, Math.max(change.minCount, base.count ?? current.count));
    }

    // Stop following the operation after `followMs`: node provisioning takes minutes, and the caller (a
    // reconcile pass, an alert) must not wait for it. Aborting stops only our polling, not the operation.
    const follow = new AbortController();
    let submitted = false;
    const timer = options.followMs !== undefined ? setTimeout(() => follow.abort(), options.followMs) : undefined;
    try {
      const poller = client.agentPools.createOrUpdate(parsed.resourceGroup, parsed.cluster, ref.pool, body, {
        ifMatch: eTag, abortSignal: follow.signal,
        ...(this.options.updateIntervalInMs !== undefined ? { updateIntervalInMs: this.options.updateIntervalInMs } : {}),
      });
      void poller.submitted().then(() => { submitted = true; }, () => {});
      const updated = await poller;
      this.remember(ref, updated);
      return { ok: true, pool: toPoolState(ref, updated) };
    } catch (e) {
      if (follow.signal.aborted && submitted) {
        // ARM took the PUT; the operation runs on. Report the pool as it is now.
        try {
          const now = await client.agentPools.get(parsed.resourceGroup, parsed.cluster, ref.pool);
          this.remember(ref, now);
          return { ok: true, pool: toPoolState(ref, now) };
        } catch (readError) {
          return { ok: false, failure: classifyArmError(readError) };
        }
      }
      const failure = classifyArmError(e);
      return { ok: false, failure: await this.explainAsyncFailure(failure, client, parsed, ref) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** An async failure whose code the message did not carry: ask the pool (`status.provisioningError`). */
  private async explainAsyncFailure(failure: ArmFailure, client: ContainerServiceClient, parsed: ParsedClusterId, ref: PoolRef): Promise<ArmFailure> {
    if (failure.code !== 'OperationFailed') return failure;
    try {
      const pool = await client.agentPools.get(parsed.resourceGroup, parsed.cluster, ref.pool);
      this.remember(ref, pool);
      const error = pool.status?.provisioningError;
      if (!error?.code) return failure;
      return classifyArmError({ status: 'Failed', error: { code: error.code, message: error.message ?? failure.message } });
    } catch {
      return failure;
    }
  }

  private client(subscriptionId: string): ContainerServiceClient {
    let client = this.clients.get(subscriptionId.toLowerCase());
    if (!client) {
      client = new ContainerServiceClient(this.options.credential, subscriptionId, sdkClientOptions(this.options, 0));
      addRequestTimeout(client.pipeline, this.options.requestTimeoutMs);
      this.clients.set(subscriptionId.toLowerCase(), client);
    }
    return client;
  }

  private remember(ref: PoolRef, pool: AgentPool): void {
    if (!pool.eTag) return;
    this.raw.set(cacheKey(ref, pool.eTag), pool);
    while (this.raw.size > CACHE_LIMIT) this.raw.delete(this.raw.keys().next().value!);
  }
}

function cacheKey(ref: PoolRef, eTag: string): string {
  return `${ref.clusterId.replace(/\/$/, '').toLowerCase()}/agentpools/${ref.pool.toLowerCase()}|${eTag}`;
}

/** The changes the adapter refuses without calling ARM (exported: the in-process simulator must refuse the same ones). */
export function refuse(current: PoolState, change: PoolChange): PoolResult | undefined {
  if (change.kind === 'count') {
    if (current.autoscale) {
      return invalid('CountOnAutoscaledPool', `pool ${current.ref.pool} is autoscaled: change minCount/maxCount, never count`);
    }
    if (!Number.isInteger(change.count) || change.count < 0) return invalid('InvalidPoolChange', `count must be a whole number >= 0, got ${change.count}`);
  } else {
    if (!current.autoscale) {
      return invalid('RangeOnManualPool', `pool ${current.ref.pool} is not autoscaled: change its count, not minCount/maxCount`);
    }
    const { minCount, maxCount } = change;
    if (!Number.isInteger(minCount) || !Number.isInteger(maxCount) || minCount < 0 || minCount > maxCount) {
      return invalid('InvalidPoolChange', `need 0 <= minCount <= maxCount (whole numbers), got ${minCount}..${maxCount}`);
    }
  }
  if (!current.eTag) return invalid('MissingETag', `pool ${current.ref.pool} was read without an eTag; refusing a PUT without If-Match`);
  return undefined;
}

export function toPoolState(ref: PoolRef, pool: AgentPool): PoolState {
  return {
    ref,
    vmSize: pool.vmSize ?? '',
    count: pool.count ?? 0,
    autoscale: pool.enableAutoScaling === true,
    ...(pool.minCount !== undefined && pool.minCount !== null ? { minCount: pool.minCount } : {}),
    ...(pool.maxCount !== undefined && pool.maxCount !== null ? { maxCount: pool.maxCount } : {}),
    spot: pool.scaleSetPriority === 'Spot',
    provisioningState: pool.provisioningState ?? 'Unknown',
    ...(pool.eTag ? { eTag: pool.eTag } : {}),
    ...(pool.status?.provisioningError?.code
      ? { provisioningError: classifyArmError({ status: 'Failed', error: { code: pool.status.provisioningError.code, message: pool.status.provisioningError.message ?? '' } }) }
      : {}),
  };
}
