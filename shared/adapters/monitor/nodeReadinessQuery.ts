/**
 * The KQL that asks Container insights' `KubeNodeInventory` for the latest Ready reading of every node of some
 * clusters, and the reading of its answer. Pure: no SDK.
 *
 * Column facts (Container insights agent `in_kube_nodes.rb`, table reference learn.microsoft.com/azure/azure-monitor/
 * reference/tables/kubenodeinventory): one record per node per collection (every minute); `Computer` is the node
 * name; `ClusterId` the AKS resource id; `Status` is the comma-separated list of the node's condition types whose
 * status is True (e.g. `Ready` or `MemoryPressure,Ready`), so a node whose Ready is False or Unknown has no `Ready`
 * in it (often an empty Status). Hence `set_has_element(split(Status, ","), "Ready")`, not `Status == "Ready"`
 * (misses a ready node under pressure) nor `Status contains "Ready"` (would also match a `NotReady`).
 *
 * The time window is the API's `timespan` (PT<n>M), not an `ago()` in the text, so the text depends on the cluster
 * list only. The first line is a marker the twin recognises the query by; its version changes with the body.
 */
import { kqlLet, kqlStringList } from './kql.js';
import type { NodeReading } from '../../ports/telemetry.js';

export const NODE_READINESS_MARKER = '// autopilot:node-readiness v1';

export const NODE_READINESS_BODY = [
  'KubeNodeInventory',
  '| where ClusterId in~ (clusterIds)',
  '| summarize arg_max(TimeGenerated, Status) by Cluster = tolower(ClusterId), Computer',
  '| project Cluster, Computer, Ready = set_has_element(split(Status, ","), "Ready"), TimeGenerated',
].join('\n');

/** The query for these (already validated) cluster ids. */
export function nodeReadinessQuery(clusterIds: readonly string[]): string {
  return [NODE_READINESS_MARKER, kqlLet('clusterIds', kqlStringList(clusterIds)), NODE_READINESS_BODY].join('\n');
}

/** Windows longer than a day are not a confirmation any more; shorter than a minute is below the collection period. */
export const MAX_WINDOW_MINUTES = 24 * 60;

/** `PT<n>M` for the API's timespan, or undefined for a window we do not ask about. */
export function windowDuration(minutes: number): string | undefined {
  return Number.isInteger(minutes) && minutes >= 1 && minutes <= MAX_WINDOW_MINUTES ? `PT${minutes}M` : undefined;
}

/** A table as the SDK hands it over (`LogsTable`): datetime columns already `Date`s. */
export interface ResultTable {
  readonly columnDescriptors: ReadonlyArray<{ readonly name?: string; readonly type?: string }>;
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>;
}

/**
 * Readings per lower-cased cluster id. Throws (caller: `failed`) when the table is not the shape the query
 * produces, rather than guessing from a table we do not understand.
 */
export function readNodeReadiness(table: ResultTable): Map<string, NodeReading[]> {
  const column = (name: string): number => {
    const i = table.columnDescriptors.findIndex((c) => c.name === name);
    if (i < 0) throw new Error(`the answer has no column ${name} (columns: ${table.columnDescriptors.map((c) => c.name).join(', ')})`);
    return i;
  };
  const [cluster, computer, ready, time] = [column('Cluster'), column('Computer'), column('Ready'), column('TimeGenerated')];
  const out = new Map<string, NodeReading[]>();
  table.rows.forEach((row, n) => {
    const c = row[cluster];
    const node = row[computer];
    const r = row[ready];
    const t = row[time];
    const at = t instanceof Date ? t : typeof t === 'string' ? new Date(t) : undefined;
    if (typeof c !== 'string' || typeof node !== 'string' || typeof r !== 'boolean' || !at || Number.isNaN(at.getTime())) {
      throw new Error(`row ${n} is not (Cluster, Computer, Ready, TimeGenerated): ${JSON.stringify(row)}`);
    }
    const key = c.toLowerCase();
    const list = out.get(key) ?? [];
    list.push({ node, ready: r, at: at.toISOString() });
    out.set(key, list);
  });
  return out;
}
