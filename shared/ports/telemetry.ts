/**
 * What Azure Monitor says about the nodes, asked before the autopilot acts on what it was told: a pushed alert can
 * be stale, duplicated or wrong. Used before many node failures in one region make the region suspect, and before
 * a node cordoned for NotReady is uncordoned. Shaped like those two questions, not like the query SDKs.
 *
 * Two independent sources answer the same question, so a caller can corroborate:
 * - `nodeReadiness`: Container insights' `KubeNodeInventory` table in the Log Analytics workspace (needs the
 *   monitoring add-on and a workspace; the richer, slower source: ingestion lags by minutes);
 * - `nodeReadinessMetric`: the AKS platform metric `kube_node_status_condition` through the regional metrics
 *   batch API (no add-on needed; a node that stops reporting may simply vanish from it rather than show NotReady).
 *
 * Neither ever throws for Monitor's sake: a Monitor that is not configured, slow, throttling, refusing or only
 * partly answering is `unavailable`, with the reason, and the caller decides what an unconfirmed signal is worth.
 */

/** A cluster to ask about. `ClusterSpec` of the fleet file satisfies it. */
export interface TelemetryCluster {
  /** ARM resource id of the AKS managed cluster. */
  readonly id: string;
  /** ARM region name; the metrics batch API is regional. */
  readonly region: string;
}

/** The latest Ready reading of one node that Monitor holds within the window. */
export interface NodeReading {
  /** The Kubernetes node name (KubeNodeInventory `Computer`, the metric's `node` dimension). */
  readonly node: string;
  /** The node's Ready condition was True; False and Unknown are both not ready. */
  readonly ready: boolean;
  /** When that reading was taken (ISO 8601, UTC). */
  readonly at: string;
}

export interface NodeReadinessAnswer {
  readonly status: 'answered';
  readonly source: 'logs' | 'metrics';
  /**
   * One entry per cluster asked about, keyed by the id exactly as given. A node missing from a cluster's list has
   * no reading in the window: that proves nothing either way (the node may be gone, or not reporting).
   */
  readonly clusters: ReadonlyMap<string, readonly NodeReading[]>;
}

/**
 * Why there is no answer:
 * - notConfigured: the source is not set up (no workspace id, no metrics endpoint); confirmation is skipped;
 * - timeout: Monitor did not answer in time;
 * - throttled: 429; `retryAfterMs` when Monitor said;
 * - refused: 401/403 (identity or role missing);
 * - partial: Monitor answered only in part (Kusto warns a partial result may be wrong, so none of it is used);
 * - invalidQuery: a query Monitor (or the adapter's own validation) rejects: a bug, never retried into success;
 * - failed: anything else (5xx, network, an answer that does not parse).
 */
export type TelemetryUnavailableReason = 'notConfigured' | 'timeout' | 'throttled' | 'refused' | 'partial' | 'invalidQuery' | 'failed';

export interface TelemetryUnavailable {
  readonly status: 'unavailable';
  readonly source: 'logs' | 'metrics';
  readonly reason: TelemetryUnavailableReason;
  readonly message: string;
  readonly retryAfterMs?: number;
}

export type NodeReadinessResult = NodeReadinessAnswer | TelemetryUnavailable;

export interface Telemetry {
  /** Latest Ready reading per node of each cluster in the last `sinceMinutes`, from KubeNodeInventory. */
  nodeReadiness(clusters: readonly TelemetryCluster[], sinceMinutes: number): Promise<NodeReadinessResult>;
  /** Latest Ready reading per node of each cluster in the last `windowMinutes`, from `kube_node_status_condition`. */
  nodeReadinessMetric(clusters: readonly TelemetryCluster[], windowMinutes: number): Promise<NodeReadinessResult>;
}
