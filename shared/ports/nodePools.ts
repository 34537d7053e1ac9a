/** AKS agent pools over ARM (`@azure/arm-containerservice`). Shaped like our needs, not like the SDK. */

export interface PoolRef {
  /** ARM id of the managed cluster. */
  readonly clusterId: string;
  readonly pool: string;
}

export interface PoolState {
  readonly ref: PoolRef;
  readonly vmSize: string;
  readonly count: number;
  /** Set when the cluster autoscaler owns `count`: then only min/max may be changed. */
  readonly autoscale: boolean;
  readonly minCount?: number;
  readonly maxCount?: number;
  readonly spot: boolean;
  /** Succeeded, Updating, Scaling, Creating, Failed, … */
  readonly provisioningState: string;
  /** `properties.eTag`, for If-Match. */
  readonly eTag?: string;
  /** `status.provisioningError` of a pool whose last operation failed, classified: what to learn from it. */
  readonly provisioningError?: ArmFailure;
}

/** The change to make: a count for a manual pool, a range for an autoscaled one. Never both. */
export type PoolChange =
  | { readonly kind: 'count'; readonly count: number }
  | { readonly kind: 'autoscaleRange'; readonly minCount: number; readonly maxCount: number };

/**
 * Every ARM failure, classified at the adapter. The class drives behaviour:
 * - quotaExceeded: no room in the family or the regional total; plan elsewhere and refresh quota.
 * - capacityUnavailable: Azure has no machines (AllocationFailed, ZonalAllocationFailed, SkuNotAvailable,
 *   Overconstrained…); region × family unavailable for a TTL.
 * - operationNotAllowed: another operation is in progress on the pool or cluster (409); retry later.
 * - preconditionFailed: the eTag moved (412); re-read and re-plan.
 * - throttled: AKS's per-pool bucket (429); honour retryAfterMs.
 * - notFound: the pool or cluster is gone.
 * - transient: 5xx, timeouts, network; retry with backoff.
 * - invalid: a request ARM will never accept (a bug or a misconfiguration); do not retry.
 */
export type ArmFailureClass =
  | 'quotaExceeded' | 'capacityUnavailable' | 'operationNotAllowed' | 'preconditionFailed'
  | 'throttled' | 'notFound' | 'transient' | 'invalid';

export interface ArmFailure {
  readonly class: ArmFailureClass;
  /** Azure's error code as sent (QuotaExceeded, ZonalAllocationFailed, OperationNotAllowed, …). */
  readonly code: string;
  readonly message: string;
  readonly statusCode?: number;
  readonly retryAfterMs?: number;
  /** quotaExceeded: which bucket ran out, parsed from the message. */
  readonly quota?: { readonly scope: 'family' | 'regional'; readonly family?: string; readonly limit?: number; readonly usage?: number; readonly required?: number };
}

export interface ResizeOptions {
  /**
   * Follow the long-running operation at most this long. If it has not ended by then, the result is the pool as
   * ARM reports it now (provisioningState Scaling/Updating): the operation goes on in Azure, and the reconcile
   * pass sees how it ended. Default: follow it to the end.
   */
  readonly followMs?: number;
}

export type PoolResult = { readonly ok: true; readonly pool: PoolState } | { readonly ok: false; readonly failure: ArmFailure };

export interface NodePools {
  get(ref: PoolRef): Promise<PoolResult>;
  /**
   * GET is not repeated here: the caller passes the pool it read (for its eTag and the rest of the
   * body). PUTs the whole pool with If-Match on its eTag and follows the long-running operation to its
   * end; the result is the pool as ARM reports it after, or the classified failure (sync or async).
   */
  resize(current: PoolState, change: PoolChange, options?: ResizeOptions): Promise<PoolResult>;
}
