/**
 * What both Monitor adapters share: credential, TLS agent, deadline, logging; and the client options the two query
 * SDKs accept. Production passes the credential and settings' endpoints; tests point the endpoints at the twin's
 * Monitor face with an agent that trusts its self-signed certificate.
 */
import type { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import type { LogsQueryClient } from '@azure/monitor-query-logs';
import type { Logger } from '../../observability/logger.js';
import type { TelemetryUnavailable } from '../../ports/telemetry.js';

export interface MonitorAdapterOptions {
  credential: TokenCredential;
  /** An https.Agent, e.g. `new https.Agent({ ca })` for the twin's certificate. */
  agent?: Agent;
  /** How long one question may take, end to end, before it is `timeout`. Default 10 s. */
  timeoutMs?: number;
  /** Where `unavailable` answers are logged (warn; invalidQuery as error). Default: nowhere. */
  log?: Logger;
}

export const DEFAULT_MONITOR_TIMEOUT_MS = 10_000;

/**
 * No retries inside the SDK pipeline: its throttling policy would sleep out Monitor's Retry-After inside the
 * invocation, and a confirmation that comes late is worth less than an honest `unavailable` now.
 */
export function queryClientOptions(options: MonitorAdapterOptions, endpoint: string) {
  return {
    endpoint,
    retryOptions: { maxRetries: 0 },
    ...(options.agent ? { agent: options.agent } : {}),
  };
}

/** Both SDKs' pipeline (the same `@azure/core-rest-pipeline` type, named through one client). */
type Pipeline = LogsQueryClient['pipeline'];

/**
 * The deadline rides on every request the client sends: neither SDK honours an abort signal here
 * (`LogsQueryClient.queryWorkspace` keeps only `requestOptions` and the Prefer header of its options, and
 * `MetricsClient.queryResources` takes none), so a per-request timeout is the one that fires. With no retries it
 * bounds the whole question; it surfaces as an AbortError.
 */
export function addDeadline(pipeline: Pipeline, timeoutMs: number): void {
  pipeline.addPolicy({
    name: 'autopilotMonitorDeadline',
    sendRequest: (request, next) => {
      if (!request.timeout) request.timeout = timeoutMs;
      return next(request);
    },
  });
}

export function logUnavailable(log: Logger | undefined, u: TelemetryUnavailable, context: Record<string, unknown>): void {
  if (!log) return;
  const fields = { source: u.source, reason: u.reason, detail: u.message, ...(u.retryAfterMs !== undefined ? { retryAfterMs: u.retryAfterMs } : {}), ...context };
  if (u.reason === 'invalidQuery') log.error('Azure Monitor rejected the node readiness query (a bug: it will not succeed by retrying)', fields);
  else if (u.reason === 'notConfigured') log.info('node readiness not confirmed through Azure Monitor: not configured', fields);
  else log.warn('Azure Monitor could not confirm node readiness', fields);
}
