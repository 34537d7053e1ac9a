/**
 * The two action-group webhook schemas, reduced to one internal shape (`AlertEnvelope`) that the
 * per-family parsers (`serviceHealth.ts`, `resourceHealth.ts`, …) read. Only this file knows where a field
 * lives in each schema; the family parsers only know the activity-log / alertContext content.
 *
 * Common alert schema (research/signals.md §4.1):
 *   { schemaId: "azureMonitorCommonAlertSchema", data: { essentials, alertContext, customProperties } }
 * Legacy activity-log schema (§4.4):
 *   { schemaId: "Microsoft.Insights/activityLogs", data: { status, context: { activityLog }, properties } }
 */
import { createHash } from 'node:crypto';
import { SignalParseError, type SignalSource } from '../types.js';
import { clip, field, isRecord, norm, requireRecord, requireString, str, type JsonRecord } from '../read.js';
import { firstTime } from '../time.js';

export const COMMON_SCHEMA_ID = 'azureMonitorCommonAlertSchema';
export const LEGACY_ACTIVITY_LOG_SCHEMA_ID = 'Microsoft.Insights/activityLogs';

export interface AlertEnvelope {
  readonly source: Extract<SignalSource, 'commonAlert' | 'legacyAlert'>;
  /**
   * Idempotency key of the alert notification, a pure function of the body (so a re-delivery yields the
   * same key): common `${alertId}:${monitorCondition}`, legacy `${eventDataId}:${status}`.
   */
  readonly key: string;
  /** `essentials.monitorCondition` Fired/Resolved, or legacy `data.status` Activated/Resolved. */
  readonly condition: 'fired' | 'resolved';
  /**
   * The family the alert belongs to, normalised (`norm`): the common schema's `monitoringService`
   * ("servicehealth", "resourcehealth", "platform", "prometheus", "logalertsv2", "activitylog-administrative"
   * with the hyphen removed …), the legacy schema's `eventSource` ("servicehealth", "administrative" …).
   */
  readonly family: string;
  /** Human label of the family, as sent ("ServiceHealth", "Log Alerts V2", "Administrative"). */
  readonly familyLabel: string;
  readonly alertRule?: string;
  /** ARM ids the alert is about (`essentials.alertTargetIDs`, legacy `activityLog.resourceId`). */
  readonly targetIds: readonly string[];
  /**
   * `essentials.configurationItems`: names of what the alert is about (a Prometheus alert puts the AKS
   * cluster name here, its target being the Azure Monitor workspace). Empty for the legacy schema.
   */
  readonly configurationItems: readonly string[];
  /** When the alert fired / was resolved, ISO 8601. */
  readonly firedAt?: string;
  readonly resolvedAt?: string;
  /** `data.alertContext` (common) or `data.context.activityLog` (legacy); may be absent for the common schema. */
  readonly context: JsonRecord | undefined;
  /** The dotted path of `context` in the body, for error messages. */
  readonly contextPath: string;
}

/** Parse and validate a common-schema envelope. `body.schemaId` has already been recognised. */
export function readCommonEnvelope(body: JsonRecord): AlertEnvelope {
  const data = requireRecord(field(body, 'data'), 'data');
  const essentials = requireRecord(field(data, 'essentials'), 'data.essentials');
  const alertId = requireString(field(essentials, 'alertId'), 'data.essentials.alertId');
  const mc = requireString(field(essentials, 'monitorCondition'), 'data.essentials.monitorCondition');
  const condition = conditionOf(mc, { fired: ['fired'], resolved: ['resolved'] }, 'data.essentials.monitorCondition');

  const context = recordOrJsonRecord(field(data, 'alertContext'));

  // monitoringService decides the alertContext shape. It is always present in Azure's payloads; if a sender
  // left it out, the activity-log content can still tell us (eventSource / operationName).
  const monitoringService = str(field(essentials, 'monitoringService'));
  const familyLabel = clip(monitoringService ?? activityLogFamily(context)?.label ?? 'unknown');
  const family = monitoringService !== undefined ? norm(monitoringService) : (activityLogFamily(context)?.family ?? 'unknown');

  const targetIds = strings(field(essentials, 'alertTargetIDs'));
  const configurationItems = strings(field(essentials, 'configurationItems'));

  return {
    source: 'commonAlert',
    key: `${alertId}:${condition === 'fired' ? 'Fired' : 'Resolved'}`,
    condition,
    family,
    familyLabel,
    alertRule: str(field(essentials, 'alertRule')),
    targetIds,
    configurationItems,
    firedAt: firstTime(field(essentials, 'firedDateTime')),
    resolvedAt: firstTime(field(essentials, 'resolvedDateTime')),
    context,
    contextPath: 'data.alertContext',
  };
}

/** Parse and validate a legacy activity-log envelope. */
export function readLegacyEnvelope(body: JsonRecord): AlertEnvelope {
  const data = requireRecord(field(body, 'data'), 'data');
  const status = requireString(field(data, 'status'), 'data.status');
  const condition = conditionOf(status, { fired: ['activated', 'active', 'fired'], resolved: ['resolved'] }, 'data.status');
  const ctx = requireRecord(field(data, 'context'), 'data.context');
  const activityLog = requireRecord(field(ctx, 'activityLog'), 'data.context.activityLog');

  const fam = activityLogFamily(activityLog);
  // eventDataId is unique per activity-log event (each Service Health communication is its own event).
  // Without it the canonical text of the event is the only thing a re-delivery is sure to repeat.
  const eventDataId = str(field(activityLog, 'eventDataId')) ?? `sha256:${digest(activityLog)}`;
  const resourceId = str(field(activityLog, 'resourceId'));

  return {
    source: 'legacyAlert',
    key: `${eventDataId}:${condition === 'fired' ? 'Activated' : 'Resolved'}`,
    condition,
    family: fam?.family ?? 'unknown',
    familyLabel: clip(fam?.label ?? 'unknown'),
    alertRule: undefined,
    targetIds: resourceId !== undefined ? [resourceId] : [],
    configurationItems: [],
    firedAt: firstTime(field(activityLog, 'eventTimestamp'), field(activityLog, 'submissionTimestamp')),
    resolvedAt: undefined,
    context: activityLog,
    contextPath: 'data.context.activityLog',
  };
}

function conditionOf(
  raw: string,
  values: { fired: readonly string[]; resolved: readonly string[] },
  path: string,
): 'fired' | 'resolved' {
  const v = norm(raw);
  if (values.fired.includes(v)) return 'fired';
  if (values.resolved.includes(v)) return 'resolved';
  throw new SignalParseError(path, `must be one of ${[...values.fired, ...values.resolved].join(', ')} (any case)`);
}

/**
 * The family of an activity-log event from its own fields: `eventSource` when it is a string
 * ("ServiceHealth"; the common schema sends small numbers there, which say nothing), else the resource
 * provider of `operationName` ("Microsoft.ServiceHealth/incident/action" → servicehealth), else
 * `properties.eventCategory`.
 */
function activityLogFamily(ctx: JsonRecord | undefined): { family: string; label: string } | undefined {
  if (ctx === undefined) return undefined;
  const es = field(ctx, 'eventSource');
  if (typeof es === 'string' && es.trim().length > 0) return { family: norm(es), label: es.trim() };
  const op = str(field(ctx, 'operationName'));
  const provider = op?.split('/')[0]?.toLowerCase();
  if (provider === 'microsoft.servicehealth') return { family: 'servicehealth', label: 'ServiceHealth' };
  if (provider === 'microsoft.resourcehealth') return { family: 'resourcehealth', label: 'ResourceHealth' };
  const category = str(field(field(ctx, 'properties'), 'eventCategory'));
  if (category !== undefined) return { family: norm(category), label: category };
  return undefined;
}

/** The non-empty strings of an array (anything else in it is skipped); a non-array → []. */
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str).filter((x): x is string => x !== undefined) : [];
}

/** An object, or JSON text of one (defensive: some relays re-serialise nested objects); else undefined. */
function recordOrJsonRecord(v: unknown): JsonRecord | undefined {
  if (isRecord(v)) return v;
  if (typeof v !== 'string') return undefined;
  try {
    const parsed = JSON.parse(v) as unknown;
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function digest(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? '';
  } catch {
    throw new SignalParseError('data.context.activityLog.eventDataId', 'is missing and the event cannot be serialised');
  }
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
