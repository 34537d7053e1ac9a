/**
 * Every alert family without its own parser yet (metric, log, Prometheus, Administrative, Policy …) becomes
 * one `ignored` signal saying what it was. A later issue replaces entries here with real parsers
 * (quotaPressure from Log Alerts V2, nodeNotReady / gpuFault from Prometheus …) by adding them to the
 * dispatcher's family table.
 */
import { SignalParseError, type IgnoredSignal } from '../types.js';
import { clip, field, str } from '../read.js';
import { firstTime } from '../time.js';
import type { AlertEnvelope } from './envelope.js';

export function parseUnhandled(env: AlertEnvelope): IgnoredSignal {
  const what = env.source === 'commonAlert' ? `monitoringService ${env.familyLabel}` : `activity-log eventSource ${env.familyLabel}`;
  const detail = env.source === 'commonAlert' ? env.alertRule : str(field(env.context, 'operationName'));
  return {
    kind: 'ignored',
    id: env.key,
    source: env.source,
    observedAt: alertTime(env),
    reason: `${what} is not handled yet`,
    eventType: detail !== undefined ? `${env.familyLabel}/${clip(detail, 200)}` : env.familyLabel,
  };
}

/**
 * When the alert says its subject happened: the resolution time for a resolved alert, else the firing time,
 * else the times inside alertContext. A body with no usable time at all is not an alert.
 */
export function alertTime(env: AlertEnvelope): string {
  const ctx = env.context;
  const t =
    (env.condition === 'resolved' ? env.resolvedAt : undefined) ??
    env.firedAt ??
    firstTime(
      field(ctx, 'eventTimestamp'),
      field(field(ctx, 'condition'), 'windowEndTime'),
      field(ctx, 'SearchIntervalEndtimeUtc'),
      field(ctx, 'submissionTimestamp'),
    );
  if (t === undefined) {
    throw new SignalParseError(
      env.source === 'commonAlert' ? 'data.essentials.firedDateTime' : `${env.contextPath}.eventTimestamp`,
      'is missing or not a time',
    );
  }
  return t;
}
