/** The `Telemetry` port over Azure Monitor: the Log Analytics source and the platform metric source, side by side. */
import type { Logger } from '../../observability/logger.js';
import type { NodeReadinessResult, Telemetry, TelemetryCluster } from '../../ports/telemetry.js';
import { LogsNodeReadiness, type LogsNodeReadinessOptions } from './logsNodeReadiness.js';
import { MetricsNodeReadiness } from './metricsNodeReadiness.js';
import type { MonitorAdapterOptions } from './monitorClientOptions.js';

export interface AzureMonitorTelemetryOptions extends MonitorAdapterOptions {
  workspaceId?: LogsNodeReadinessOptions['workspaceId'];
  logsEndpoint?: string;
  metricsEndpointTemplate?: string;
}

export class AzureMonitorTelemetry implements Telemetry {
  private readonly logs: LogsNodeReadiness;
  private readonly metrics: MetricsNodeReadiness;

  constructor(options: AzureMonitorTelemetryOptions) {
    const { workspaceId, logsEndpoint, metricsEndpointTemplate, ...shared } = options;
    this.logs = new LogsNodeReadiness({ ...shared, ...(workspaceId ? { workspaceId } : {}), ...(logsEndpoint ? { endpoint: logsEndpoint } : {}) });
    this.metrics = new MetricsNodeReadiness({ ...shared, ...(metricsEndpointTemplate ? { endpointTemplate: metricsEndpointTemplate } : {}) });
  }

  nodeReadiness(clusters: readonly TelemetryCluster[], sinceMinutes: number): Promise<NodeReadinessResult> {
    return this.logs.nodeReadiness(clusters, sinceMinutes);
  }

  nodeReadinessMetric(clusters: readonly TelemetryCluster[], windowMinutes: number): Promise<NodeReadinessResult> {
    return this.metrics.nodeReadinessMetric(clusters, windowMinutes);
  }

  /**
   * The same clients, logging through `log`: the runtime builds the adapter once per host but hands each invocation
   * ports carrying that invocation's logger, so an unconfirmed signal is logged with its correlation id.
   */
  withLog(log: Logger): Telemetry {
    return {
      nodeReadiness: (clusters, sinceMinutes) => this.logs.nodeReadiness(clusters, sinceMinutes, log),
      nodeReadinessMetric: (clusters, windowMinutes) => this.metrics.nodeReadinessMetric(clusters, windowMinutes, log),
    };
  }
}
