/**
 * `POST /api/alerts`: an Azure Monitor action-group webhook body → signals.
 *
 * Two steps, so that new alert families plug in without touching the schema code:
 * 1. the schema (`schemaId`) picks an envelope reader that validates the envelope and reduces it to an
 *    `AlertEnvelope` (envelope.ts);
 * 2. the envelope's family (normalised `monitoringService` / legacy `eventSource`) picks a family parser
 *    from `FAMILY_PARSERS`; families without one become a single `ignored` signal (unhandled.ts).
 */
import type { FleetIndex } from '../fleetIndex.js';
import { SignalParseError, type Signal } from '../types.js';
import { describe, field, isRecord, norm, requireString, type JsonRecord } from '../read.js';
import {
  COMMON_SCHEMA_ID,
  LEGACY_ACTIVITY_LOG_SCHEMA_ID,
  readCommonEnvelope,
  readLegacyEnvelope,
  type AlertEnvelope,
} from './envelope.js';
import { ACTIVITY_LOG_FAMILIES, parseActivityLog } from './activityLog.js';
import { parseLogAlertV1 } from './logV1.js';
import { parseMetricAlert } from './metric.js';
import { parsePrometheus } from './prometheus.js';
import { parseLogAlertV2 } from './quota.js';
import { parseResourceHealth } from './resourceHealth.js';
import { parseServiceHealth } from './serviceHealth.js';
import { parseUnhandled } from './unhandled.js';

export type { AlertEnvelope } from './envelope.js';
export { COMMON_SCHEMA_ID, LEGACY_ACTIVITY_LOG_SCHEMA_ID } from './envelope.js';

/** A family parser; `fleet` (optional) maps AKS resources and cluster names to the fleet's cluster ids. */
export type AlertFamilyParser = (env: AlertEnvelope, fleet: FleetIndex | undefined) => Signal[];

export interface AlertParseOptions {
  /** Lets AKS resources (Resource Health on a VMSS instance) and Prometheus cluster names map to fleet clusters. */
  readonly fleet?: FleetIndex;
}

/** Envelope readers by normalised schemaId. */
const SCHEMAS: ReadonlyMap<string, (body: JsonRecord) => AlertEnvelope> = new Map([
  [norm(COMMON_SCHEMA_ID), readCommonEnvelope],
  [norm(LEGACY_ACTIVITY_LOG_SCHEMA_ID), readLegacyEnvelope],
]);

/**
 * Family parsers by normalised monitoringService / eventSource ("Resource Health" and "ResourceHealth" alike,
 * "Activity Log - Administrative" → "activitylogadministrative").
 */
const FAMILY_PARSERS: ReadonlyMap<string, AlertFamilyParser> = new Map<string, AlertFamilyParser>([
  ['servicehealth', (env) => [parseServiceHealth(env)]],
  ['resourcehealth', (env, fleet) => [parseResourceHealth(env, fleet)]],
  // Metric alerts: quotaPressure for Compute usage metrics, else ignored naming the metric (metric.ts).
  ['platform', parseMetricAlert],
  // Log search alerts: V2 carries the Azure Quotas usage alert (quota.ts); V1 is always ignored (logV1.ts).
  ['logalertsv2', parseLogAlertV2],
  ['loganalytics', (env) => [parseLogAlertV1(env)]],
  ['applicationinsights', (env) => [parseLogAlertV1(env)]],
  // Managed Prometheus: nodeNotReady, gpuFault (prometheus.ts).
  ['prometheus', (env, fleet) => [parsePrometheus(env, fleet)]],
  // Administrative, Policy, Autoscale, Security, Recommendation activity-log events: ignored (activityLog.ts).
  ...ACTIVITY_LOG_FAMILIES.map((f): [string, AlertFamilyParser] => [f, (env) => [parseActivityLog(env)]]),
]);

/**
 * Parse an action-group webhook body (common alert schema or legacy activity-log schema). `body` is the
 * parsed JSON (JSON text is accepted too). Returns the signals (one per alert; a quota alert gives one per condition entry); throws
 * `SignalParseError` naming the dotted field path when the body is not what it claims to be. Never throws
 * anything else, never fetches anything.
 */
export function parseAlertBody(body: unknown, options: AlertParseOptions = {}): Signal[] {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new SignalParseError('body', 'is text but not JSON');
    }
  }
  if (!isRecord(value)) {
    throw new SignalParseError('body', `must be a JSON object (an action-group alert), got ${describe(value)}`);
  }
  const schemaId = requireString(field(value, 'schemaId'), 'schemaId');
  const read = SCHEMAS.get(norm(schemaId));
  if (read === undefined) {
    throw new SignalParseError(
      'schemaId',
      `unknown schema (expected ${COMMON_SCHEMA_ID} or ${LEGACY_ACTIVITY_LOG_SCHEMA_ID})`,
    );
  }
  const env = read(value);
  const parse = FAMILY_PARSERS.get(env.family) ?? ((e: AlertEnvelope) => [parseUnhandled(e)]);
  return firstOfEachId(parse(env, options.fleet));
}

/**
 * An id is an idempotency key, so one body never yields two signals with the same id: a later duplicate
 * (two identical condition entries of one alert) is dropped.
 */
function firstOfEachId(signals: Signal[]): Signal[] {
  const seen = new Set<string>();
  return signals.filter((s) => !seen.has(s.id) && (seen.add(s.id), true));
}
