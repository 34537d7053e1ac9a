/**
 * Node readiness from Container insights through `@azure/monitor-query-logs` (`LogsQueryClient.queryWorkspace`),
 * one query for all the clusters asked about. Needs "Log Analytics Reader" on the workspace.
 */
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import type { Logger } from '../../observability/logger.js';
import type { NodeReadinessResult, TelemetryCluster, TelemetryUnavailable } from '../../ports/telemetry.js';
import { answer, validateClusters } from './askedClusters.js';
import { DEFAULT_MONITOR_TIMEOUT_MS, addDeadline, logUnavailable, queryClientOptions, type MonitorAdapterOptions } from './monitorClientOptions.js';
import { describeMonitorError, unavailable } from './monitorFailures.js';
import { nodeReadinessQuery, readNodeReadiness, windowDuration } from './nodeReadinessQuery.js';

export interface LogsNodeReadinessOptions extends MonitorAdapterOptions {
  /** The Log Analytics workspace (customer) id, a GUID. Unset: every answer is `notConfigured`. */
  workspaceId?: string;
  /** API root; default `https://api.loganalytics.io`. Settings allow only Azure's or a loopback twin. */
  endpoint?: string;
}

export const DEFAULT_LOGS_ENDPOINT = 'https://api.loganalytics.io';

export class LogsNodeReadiness {
  private readonly client: LogsQueryClient | undefined;
  private readonly timeoutMs: number;
  private notConfiguredLogged = false;

  constructor(private readonly options: LogsNodeReadinessOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MONITOR_TIMEOUT_MS;
    // The SDK appends the API version (`/v1`) only to its own default endpoint, never to one passed in.
    const endpoint = `${(options.endpoint ?? DEFAULT_LOGS_ENDPOINT).replace(/\/$/, '')}/v1`;
    this.client = options.workspaceId ? new LogsQueryClient(options.credential, queryClientOptions(options, endpoint)) : undefined;
    if (this.client) addDeadline(this.client.pipeline, this.timeoutMs);
  }

  /** `log`: where an `unavailable` answer is logged (default: the adapter's own `log`). */
  async nodeReadiness(clusters: readonly TelemetryCluster[], sinceMinutes: number, log = this.options.log): Promise<NodeReadinessResult> {
    const { workspaceId } = this.options;
    if (!this.client || !workspaceId) {
      const u: TelemetryUnavailable = {
        status: 'unavailable', source: 'logs', reason: 'notConfigured',
        message: 'AUTOPILOT_LOG_ANALYTICS_WORKSPACE_ID is not set: node readiness is not confirmed through Log Analytics',
      };
      if (!this.notConfiguredLogged) logUnavailable(log, u, {});
      this.notConfiguredLogged = true;
      return u;
    }
    const result = await this.ask(workspaceId, clusters, sinceMinutes);
    if (result.status === 'unavailable') logUnavailable(log, result, { workspaceId, clusters: clusters.length, sinceMinutes });
    return result;
  }

  private async ask(workspaceId: string, clusters: readonly TelemetryCluster[], sinceMinutes: number): Promise<NodeReadinessResult> {
    const duration = windowDuration(sinceMinutes);
    if (!duration) return { status: 'unavailable', source: 'logs', reason: 'invalidQuery', message: `window of ${sinceMinutes} minutes: an integer from 1 to 1440` };
    const valid = validateClusters('logs', clusters);
    if (!valid.ok) return valid.unavailable;
    if (valid.clusters.length === 0) return answer('logs', clusters, new Map());
    try {
      const r = await this.client!.queryWorkspace(workspaceId, nodeReadinessQuery(valid.clusters.map((c) => c.id)), { duration }, {
        // Prefer: wait=<s> asks the service to give up by our deadline too, rather than run on unobserved.
        serverTimeoutInSeconds: Math.max(1, Math.ceil(this.timeoutMs / 1000)),
      });
      if (r.status === LogsQueryResultStatus.PartialFailure) {
        // Kusto: "the consumer should ignore the entire result if observing a partial query failure".
        return { status: 'unavailable', source: 'logs', reason: 'partial', message: `partial answer, not used: ${describeMonitorError(r.partialError) ?? 'no detail'}` };
      }
      const table = r.tables[0];
      if (!table) return { status: 'unavailable', source: 'logs', reason: 'failed', message: 'the answer has no table' };
      return answer('logs', clusters, readNodeReadiness(table));
    } catch (e) {
      return unavailable('logs', e);
    }
  }
}
