/**
 * Node readiness from the AKS platform metric `kube_node_status_condition` through `@azure/monitor-query-metrics`
 * (`MetricsClient.queryResources`, the `metrics:getBatch` API): one call per subscription × region (the API's rule),
 * at most 50 clusters each, against that region's endpoint. Needs "Monitoring Reader".
 *
 * The token's scope is the SDK's default, `https://management.azure.com/.default` (the swagger names
 * `https://metrics.monitor.azure.com/.default`; the SDK team chose the ARM audience, Azure/azure-sdk-for-js #30589).
 */
import { MetricsClient } from '@azure/monitor-query-metrics';
import type { NodeReading, NodeReadinessResult, TelemetryCluster, TelemetryUnavailable } from '../../ports/telemetry.js';
import { answer, validateClusters } from './askedClusters.js';
import { DEFAULT_MONITOR_TIMEOUT_MS, addDeadline, logUnavailable, queryClientOptions, type MonitorAdapterOptions } from './monitorClientOptions.js';
import { unavailable } from './monitorFailures.js';
import {
  METRIC_NAMESPACE, NODE_CONDITION_AGGREGATION, NODE_CONDITION_FILTER, NODE_CONDITION_INTERVAL, NODE_CONDITION_METRIC, NODE_CONDITION_TOP,
  PartialMetricsError, metricsBatches, readNodeConditions,
} from './nodeConditionMetric.js';
import { MAX_WINDOW_MINUTES } from './nodeReadinessQuery.js';

export interface MetricsNodeReadinessOptions extends MonitorAdapterOptions {
  /**
   * The regional endpoint, `{region}` standing for the ARM region name: `https://{region}.metrics.monitor.azure.com`
   * in Azure (settings allow only that or a loopback twin). Unset: every answer is `notConfigured`, so a host that
   * did not opt in never sends a token anywhere.
   */
  endpointTemplate?: string;
}

export class MetricsNodeReadiness {
  private readonly clients = new Map<string, MetricsClient>();
  private readonly timeoutMs: number;
  private notConfiguredLogged = false;

  constructor(private readonly options: MetricsNodeReadinessOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MONITOR_TIMEOUT_MS;
  }

  /** `log`: where an `unavailable` answer is logged (default: the adapter's own `log`). */
  async nodeReadinessMetric(clusters: readonly TelemetryCluster[], windowMinutes: number, log = this.options.log): Promise<NodeReadinessResult> {
    const template = this.options.endpointTemplate;
    if (!template) {
      const u: TelemetryUnavailable = {
        status: 'unavailable', source: 'metrics', reason: 'notConfigured',
        message: 'AUTOPILOT_METRICS_ENDPOINT is not set: node readiness is not confirmed through the kube_node_status_condition metric',
      };
      if (!this.notConfiguredLogged) logUnavailable(log, u, {});
      this.notConfiguredLogged = true;
      return u;
    }
    const result = await this.ask(template, clusters, windowMinutes);
    if (result.status === 'unavailable') logUnavailable(log, result, { clusters: clusters.length, windowMinutes });
    return result;
  }

  private async ask(template: string, clusters: readonly TelemetryCluster[], windowMinutes: number): Promise<NodeReadinessResult> {
    if (!(Number.isInteger(windowMinutes) && windowMinutes >= 1 && windowMinutes <= MAX_WINDOW_MINUTES)) {
      return { status: 'unavailable', source: 'metrics', reason: 'invalidQuery', message: `window of ${windowMinutes} minutes: an integer from 1 to ${MAX_WINDOW_MINUTES}` };
    }
    const valid = validateClusters('metrics', clusters);
    if (!valid.ok) return valid.unavailable;
    const endTime = new Date();
    const startTime = new Date(endTime.getTime() - windowMinutes * 60_000);
    // All or nothing: a region-wide judgement made on some of the region's clusters would be a different judgement.
    const answers = await Promise.all(metricsBatches(valid.clusters).map(async (batch) => {
      try {
        const results = await this.client(template, batch[0]!.region).queryResources(batch.map((c) => c.id), [NODE_CONDITION_METRIC], METRIC_NAMESPACE, {
          startTime, endTime, interval: NODE_CONDITION_INTERVAL, aggregation: NODE_CONDITION_AGGREGATION, filter: NODE_CONDITION_FILTER, top: NODE_CONDITION_TOP,
        });
        return { ok: true as const, readings: readNodeConditions(results) };
      } catch (e) {
        if (e instanceof PartialMetricsError) {
          return { ok: false as const, unavailable: { status: 'unavailable' as const, source: 'metrics' as const, reason: 'partial' as const, message: `partial answer, not used: ${e.message}` } };
        }
        return { ok: false as const, unavailable: unavailable('metrics', e) };
      }
    }));
    const merged = new Map<string, NodeReading[]>();
    for (const a of answers) {
      if (!a.ok) return a.unavailable;
      for (const [key, readings] of a.readings) merged.set(key, [...(merged.get(key) ?? []), ...readings]);
    }
    return answer('metrics', clusters, merged);
  }

  private client(template: string, region: string): MetricsClient {
    let client = this.clients.get(region);
    if (!client) {
      // The region was checked to be letters and digits only (validateClusters): it cannot move the host elsewhere.
      const endpoint = template.replace('{region}', region).replace(/\/$/, '');
      client = new MetricsClient(endpoint, this.options.credential, queryClientOptions(this.options, endpoint));
      addDeadline(client.pipeline, this.timeoutMs);
      this.clients.set(region, client);
    }
    return client;
  }
}
