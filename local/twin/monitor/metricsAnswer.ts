/**
 * The metrics side of the Monitor face: `POST {regional endpoint}/subscriptions/{sub}/metrics:getBatch?
 * metricnamespace=…&metricnames=…&starttime=…&endtime=…&interval=…&aggregation=…&filter=…&top=…&api-version=…` with
 * `{ resourceids: [...] }`, as `@azure/monitor-query-metrics` 1.0 sends it (api-version 2024-02-01), answered with
 * `{ values: [{ starttime, endtime, interval, namespace, resourceregion, resourceid, value: [metric] }] }` where a
 * metric is `{ id, type, name: { value, localizedValue }, unit, timeseries: [{ metadatavalues, data }], errorCode }`
 * (Metrics Batch REST reference; the field names are those the SDK's deserialiser reads).
 *
 * It knows one metric, `kube_node_status_condition` of `Microsoft.ContainerService/managedClusters`, with the one
 * filter the adapter sends; anything else is a 400. The regional endpoint is modelled by a path prefix: the face's
 * endpoint template is `https://127.0.0.1:<port>/{region}`, and a cluster whose records say another region is refused,
 * as a regional endpoint refuses a resource from elsewhere.
 */
import type { FaceReply } from './logsAnswer.js';
import type { MonitorNodeRecord, MonitorNodeSource } from './nodeSource.js';

const NAMESPACE = 'microsoft.containerservice/managedclusters';
const METRIC = 'kube_node_status_condition';
const FILTER = "condition eq 'Ready' and node eq '*' and status eq '*'";
const MINUTE = 60_000;

export function metricsError(status: number, code: string, message: string): FaceReply {
  return { status, body: { error: { code, message } } };
}

const statusOf = (r: MonitorNodeRecord): string => (r.ready === 'unknown' ? 'Unknown' : r.ready ? 'True' : 'False');
const dimension = (name: string, value: string) => ({ name: { value: name, localizedValue: name }, value });

export interface MetricsBatchRequest {
  readonly region: string;
  readonly subscriptionId: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export function answerMetricsBatch(source: MonitorNodeSource, req: MetricsBatchRequest, nowMs: number, options: { partial?: boolean } = {}): FaceReply {
  const q = req.query;
  if (!q.get('api-version')) return metricsError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  if (q.get('metricnamespace')?.toLowerCase() !== NAMESPACE) {
    return metricsError(400, 'BadRequest', `The Monitor twin knows only metric namespace Microsoft.ContainerService/managedClusters, got ${JSON.stringify(q.get('metricnamespace'))}.`);
  }
  const names = (q.get('metricnames') ?? '').split(',');
  if (names.length !== 1 || names[0]!.toLowerCase() !== METRIC) {
    return metricsError(400, 'BadRequest', `Failed to find metric configuration for provider: Microsoft.ContainerService, resource Type: managedClusters, metric: ${names.join(',')}, Valid metrics: ${METRIC}`);
  }
  if (q.get('filter') !== FILTER) return metricsError(400, 'BadRequest', `The Monitor twin answers only the filter "${FILTER}", got ${JSON.stringify(q.get('filter'))}.`);
  if ((q.get('interval') ?? 'PT1M') !== 'PT1M') return metricsError(400, 'BadRequest', 'The Monitor twin answers only interval PT1M.');
  if (!(q.get('aggregation') ?? 'Average').split(',').some((a) => a.toLowerCase() === 'average')) {
    return metricsError(400, 'BadRequest', 'The Monitor twin answers only the Average aggregation.');
  }
  const end = Date.parse(q.get('endtime') ?? '') || nowMs;
  const start = Date.parse(q.get('starttime') ?? '') || end - 60 * MINUTE;
  if (!(start < end)) return metricsError(400, 'BadRequest', 'starttime must be before endtime.');
  const top = Number(q.get('top') ?? '10');
  if (!Number.isInteger(top) || top < 1) return metricsError(400, 'BadRequest', `top must be a positive integer, got ${JSON.stringify(q.get('top'))}.`);

  const ids = (req.body as { resourceids?: unknown } | undefined)?.resourceids;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id): id is string => typeof id === 'string')) {
    return metricsError(400, 'BadRequest', 'The request body must be { "resourceids": [ … ] } with at least one resource id.');
  }
  if (ids.length > 50) return metricsError(400, 'BadRequest', 'At most 50 resource ids per batch.');
  const records = source.nodes();
  for (const id of ids) {
    if (!id.toLowerCase().startsWith(`/subscriptions/${req.subscriptionId.toLowerCase()}/`)) {
      return metricsError(400, 'BadRequest', `Resource ${id} is not in subscription ${req.subscriptionId}: all resources of a batch must be.`);
    }
    const elsewhere = records.find((r) => r.clusterId.toLowerCase() === id.toLowerCase() && r.region !== req.region);
    if (elsewhere) return metricsError(400, 'BadRequest', `Resource ${id} is in region ${elsewhere.region}, not ${req.region}: use that region's endpoint.`);
  }

  const firstMinute = Math.floor(start / MINUTE) * MINUTE;
  const values = ids.map((id, i) => {
    const mine = records.filter((r) => r.clusterId.toLowerCase() === id.toLowerCase() && Date.parse(r.at) >= firstMinute && Date.parse(r.at) < end);
    const series = new Map<string, Set<number>>();
    for (const r of mine) {
      const key = `${r.node}\n${statusOf(r)}`;
      const minutes = series.get(key) ?? new Set<number>();
      minutes.add(Math.floor(Date.parse(r.at) / MINUTE) * MINUTE);
      series.set(key, minutes);
    }
    const timeseries = [...series].sort(([a], [b]) => a.localeCompare(b)).slice(0, top).map(([key, minutes]) => {
      const [node, status] = key.split('\n') as [string, string];
      const data = [];
      // Every minute of the range, with `average` only where there was a sample (the API leaves empty minutes bare).
      for (let t = firstMinute; t < end; t += MINUTE) data.push(minutes.has(t) ? { timeStamp: new Date(t).toISOString(), average: 1 } : { timeStamp: new Date(t).toISOString() });
      return { metadatavalues: [dimension('condition', 'Ready'), dimension('node', node), dimension('status', status)], data };
    });
    const failed = options.partial && i === 0;
    return {
      starttime: new Date(start).toISOString(), endtime: new Date(end).toISOString(), interval: 'PT1M',
      namespace: NAMESPACE, resourceregion: req.region, resourceid: id,
      value: [{
        id: `${id}/providers/Microsoft.Insights/metrics/${METRIC}`, type: 'Microsoft.Insights/metrics',
        name: { value: METRIC, localizedValue: 'Statuses for various node conditions' },
        displayDescription: 'Statuses for various node conditions', unit: 'Count',
        timeseries: failed ? [] : timeseries,
        errorCode: failed ? 'InternalServerError' : 'Success',
        ...(failed ? { errorMessage: 'The metric store did not answer for this resource.' } : {}),
      }],
    };
  });
  return { status: 200, body: { values } };
}
