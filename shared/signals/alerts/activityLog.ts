/**
 * Activity-log alerts of the categories the fleet does not act on: Administrative, Policy, Autoscale,
 * Security, Recommendation (common schema `monitoringService: Activity Log - Administrative` …, legacy
 * `eventSource: Administrative` …). Each becomes one `ignored` whose reason names the operation and its
 * status ("Microsoft.Compute/virtualMachines/restart/action (Succeeded)"). Service Health and Resource Health
 * activity-log alerts have their own parsers.
 *
 * `operationName` and `status` are strings in alert payloads, but `{ value, localizedValue }` objects in the
 * activity-log REST shape; both are read.
 */
import type { IgnoredSignal } from '../types.js';
import { clip, field, isRecord, str } from '../read.js';
import { alertTime, ignored } from './common.js';
import type { AlertEnvelope } from './envelope.js';

/** Normalised family keys (common `monitoringService`, legacy `eventSource`) this module handles. */
export const ACTIVITY_LOG_FAMILIES: readonly string[] = [
  'activitylog',
  ...['administrative', 'policy', 'autoscale', 'security', 'recommendation'].flatMap((c) => [c, `activitylog${c}`]),
];

export function parseActivityLog(env: AlertEnvelope): IgnoredSignal {
  const ctx = env.context;
  const operation = valueOf(field(ctx, 'operationName'));
  const status = valueOf(field(ctx, 'status'));
  const subStatus = valueOf(field(ctx, 'subStatus'));
  const statusText = status !== undefined ? (subStatus !== undefined ? `${status}/${subStatus}` : status) : undefined;

  const what = operation !== undefined ? `operation ${clip(operation, 200)}` : 'an event without operationName';
  const reason = `${env.familyLabel} activity-log ${what}${statusText !== undefined ? ` (${clip(statusText, 60)})` : ''} is not a fleet signal`;
  const detail = operation ?? (env.source === 'commonAlert' ? env.alertRule : undefined);
  const eventType = detail !== undefined ? `${env.familyLabel}/${clip(detail, 200)}` : env.familyLabel;
  return ignored(env, alertTime(env), reason, eventType);
}

function valueOf(v: unknown): string | undefined {
  return isRecord(v) ? (str(field(v, 'value')) ?? str(field(v, 'localizedValue'))) : str(v);
}
