/**
 * What the Monitor face knows about nodes: a history of node records, as Container insights collects them (one per
 * node per minute) and as AKS turns them into the `kube_node_status_condition` metric. The fleet world can satisfy
 * `MonitorNodeSource` from its own nodes; tests use `InMemoryNodeSource`. Local development and tests only.
 */

export interface MonitorNodeRecord {
  /** ARM resource id of the AKS cluster (KubeNodeInventory `ClusterId`). */
  readonly clusterId: string;
  /** KubeNodeInventory `ClusterName`. */
  readonly clusterName: string;
  /** ARM region of the cluster: the metrics API is regional. */
  readonly region: string;
  /** Kubernetes node name (KubeNodeInventory `Computer`, the metric's `node` dimension). */
  readonly node: string;
  /** The node's Ready condition: True, False, or Unknown (the kubelet stopped posting). */
  readonly ready: boolean | 'unknown';
  /** Other conditions that are True (MemoryPressure, DiskPressure, …): they go into `Status` next to Ready. */
  readonly otherConditions?: readonly string[];
  /** When the record was collected (ISO 8601): `TimeGenerated`, and the metric's minute. */
  readonly at: string;
}

export interface MonitorNodeSource {
  /** Every record still retained, in any order. */
  nodes(): readonly MonitorNodeRecord[];
}

export class InMemoryNodeSource implements MonitorNodeSource {
  private readonly records: MonitorNodeRecord[] = [];

  constructor(records: readonly MonitorNodeRecord[] = []) {
    this.records.push(...records);
  }

  record(...records: MonitorNodeRecord[]): void {
    this.records.push(...records);
  }

  nodes(): readonly MonitorNodeRecord[] {
    return this.records;
  }
}

/** KubeNodeInventory `Status`: the True condition types, comma-separated, in the order the kubelet lists them. */
export function inventoryStatus(r: MonitorNodeRecord): string {
  const others = r.otherConditions ?? [];
  return [...others, ...(r.ready === true ? ['Ready'] : [])].join(',');
}

/** The latest record per (lower-cased cluster id, node) among `records` (KQL `arg_max(TimeGenerated, …) by …`). */
export function latestPerNode(records: readonly MonitorNodeRecord[]): MonitorNodeRecord[] {
  const latest = new Map<string, MonitorNodeRecord>();
  for (const r of records) {
    const key = `${r.clusterId.toLowerCase()}\n${r.node}`;
    const seen = latest.get(key);
    if (!seen || Date.parse(r.at) > Date.parse(seen.at)) latest.set(key, r);
  }
  return [...latest.values()];
}
