/**
 * The AKS platform metric `kube_node_status_condition` ("Statuses for various node conditions", namespace
 * `Microsoft.ContainerService/managedClusters`, dimensions `condition`, `status`, `status2`, `node`; supported-metrics
 * reference for managedClusters) as the metrics batch API returns it, read into node readings. Pure: no SDK.
 *
 * We filter on `condition eq 'Ready'` and split by `node` and `status` (True/False/Unknown; seen in mixed case, hence
 * compared lower-cased). `status2` (Ready/NotReady) is the deprecated filter AKS announced for removal (Azure/AKS
 * #1997), so it is not used. A node whose kubelet stops reporting may vanish from the metric instead of turning
 * Unknown (Azure/AKS #2034): a missing node proves nothing, which is what the port says.
 */
import type { NodeReading } from '../../ports/telemetry.js';

export const METRIC_NAMESPACE = 'Microsoft.ContainerService/managedClusters';
export const NODE_CONDITION_METRIC = 'kube_node_status_condition';
export const NODE_CONDITION_FILTER = "condition eq 'Ready' and node eq '*' and status eq '*'";
export const NODE_CONDITION_AGGREGATION = 'Average';
export const NODE_CONDITION_INTERVAL = 'PT1M';
/**
 * Time series per resource (the API's `top`, default 10 when a filter is set). One series per node and status seen in
 * the window: 1000 covers a few hundred nodes per cluster, far above our GPU pools.
 */
export const NODE_CONDITION_TOP = 1000;
/** The batch API takes at most 50 resource ids per call. */
export const MAX_RESOURCES_PER_BATCH = 50;

/** What the SDK's `MetricsQueryResult` carries that we read. */
export interface MetricsResource {
  readonly resourceId?: string;
  readonly metrics: ReadonlyArray<{
    readonly name: string;
    readonly errorCode?: string;
    readonly errorMessage?: string;
    readonly timeseries: ReadonlyArray<{
      readonly metadatavalues?: ReadonlyArray<{ readonly name?: string; readonly value?: string }>;
      readonly data?: ReadonlyArray<{ readonly timeStamp: Date; readonly average?: number }>;
    }>;
  }>;
}

/** Monitor answered for some resources but reported an error for this one (the metric's `errorCode`). */
export class PartialMetricsError extends Error {
  override readonly name = 'PartialMetricsError';
}

/**
 * Readings per lower-cased resource id. A node's reading is its latest minute with a non-zero value; it is ready only
 * when `true` is the only status seen in that minute (a node that flapped within the minute counts as not ready).
 */
export function readNodeConditions(resources: readonly MetricsResource[]): Map<string, NodeReading[]> {
  const out = new Map<string, NodeReading[]>();
  for (const resource of resources) {
    if (!resource.resourceId) throw new Error('a metrics answer without a resource id');
    const latest = new Map<string, { at: number; statuses: Set<string> }>();
    for (const metric of resource.metrics) {
      if (metric.errorCode && metric.errorCode !== 'Success') {
        throw new PartialMetricsError(`${resource.resourceId}: ${metric.errorCode}${metric.errorMessage ? ` (${metric.errorMessage})` : ''}`);
      }
      for (const series of metric.timeseries) {
        const dim = (name: string) => series.metadatavalues?.find((m) => m.name?.toLowerCase() === name)?.value;
        const node = dim('node');
        const status = dim('status')?.toLowerCase();
        if (!node || !status) continue;
        for (const point of series.data ?? []) {
          if (!(typeof point.average === 'number' && point.average > 0)) continue;
          const at = point.timeStamp.getTime();
          const seen = latest.get(node);
          if (!seen || at > seen.at) latest.set(node, { at, statuses: new Set([status]) });
          else if (at === seen.at) seen.statuses.add(status);
        }
      }
    }
    const readings = [...latest].map(([node, { at, statuses }]) => ({
      node, ready: statuses.size === 1 && statuses.has('true'), at: new Date(at).toISOString(),
    }));
    out.set(resource.resourceId.toLowerCase(), [...(out.get(resource.resourceId.toLowerCase()) ?? []), ...readings]);
  }
  return out;
}

/** Clusters grouped as the batch API needs them: same subscription and region, at most 50 per call. */
export function metricsBatches<T extends { readonly region: string; readonly subscriptionId: string }>(items: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = `${item.region}|${item.subscriptionId.toLowerCase()}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const out: T[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += MAX_RESOURCES_PER_BATCH) out.push(group.slice(i, i + MAX_RESOURCES_PER_BATCH));
  }
  return out;
}
