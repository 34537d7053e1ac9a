/**
 * Service Health activity-log alerts (common schema `monitoringService: ServiceHealth`, legacy
 * `eventSource: ServiceHealth`) → `regionOutage`, or `ignored` with a reason.
 *
 * Only `incidentType: Incident` is an outage. Maintenance, Information, ActionRequired and Security notices
 * are `ignored` (they say nothing about a region being down now).
 *
 * ## Idempotency key
 *
 * `${envelope key}:${trackingId}:${communicationId}:${stage}`, i.e. for the common schema
 * `${alertId}:${monitorCondition}:${trackingId}:${communicationId}:${stage}` and for the legacy schema
 * `${eventDataId}:${status}:${trackingId}:${communicationId}:${stage}`.
 *
 * - Every part comes from the body, so an action-group retry of the same body (same bytes) yields the same
 *   id and is deduplicated downstream.
 * - Service Health posts a *new* communication (a new activity-log event, hence a new alert with a new
 *   alertId / eventDataId, and a new communicationId) for every update of one trackingId. Keying on
 *   trackingId alone, or trackingId + stage, would swallow later updates (a second Active update that adds
 *   a region, or the Resolved one) as duplicates; the key above never does. The trackingId /
 *   communicationId / stage suffix is belt and braces: should Azure ever reuse an alertId across
 *   communications (activity-log alerts are stateless, `monitorCondition` is always Fired), two different
 *   communications still get different keys.
 * - The same communication delivered through two alert rules (two subscriptions, two action groups) gets
 *   two ids on purpose: the impacted regions can differ per subscription. Consumers that need
 *   "independent" signals should compare trackingId, not id.
 * - `communicationId` missing → the activity-log `eventDataId`, else "-".
 *
 * ## Stage precedence
 *
 * 1. `monitorCondition: Resolved` (legacy `data.status: Resolved`) → resolved. The alert platform closed the
 *    alert; nothing newer can exist for this alert.
 * 2. else `properties.stage`: Active → active; Resolved or RCA → resolved (RCA is only published after
 *    resolution). This is the incident's own lifecycle and it wins over `monitorCondition: Fired`, because
 *    activity-log alerts are stateless: every communication, including the resolution, fires as a new alert
 *    with `monitorCondition: Fired` (the action-group test payload is exactly Fired + stage Resolved).
 * 3. else the activity-log `status` (Active / Resolved), which mirrors the stage.
 * 4. else active (an incident alert fired and nothing says it is over).
 * So "resolved" wins whenever any field says so. Out-of-order delivery (an old Active update arriving after
 * the Resolved one) is for the consumer to settle by `observedAt` (the communication's `eventTimestamp`).
 */
import {
  SignalParseError,
  type IgnoredSignal,
  type RegionOutageSignal,
  type Stage,
} from '../types.js';
import { clip, describe, field, isRecord, jsonOrValue, norm, requireRecord, str, unique, type JsonRecord } from '../read.js';
import { toArmRegion } from '../regions.js';
import { firstTime } from '../time.js';
import type { AlertEnvelope } from './envelope.js';

const INCIDENT_TYPE_FROM_OPERATION: Readonly<Record<string, string>> = {
  incident: 'Incident',
  maintenance: 'Maintenance',
  information: 'Information',
  informational: 'Information',
  actionrequired: 'ActionRequired',
  security: 'Security',
};

export function parseServiceHealth(env: AlertEnvelope): RegionOutageSignal | IgnoredSignal {
  const ctxPath = env.contextPath;
  if (env.context === undefined) {
    throw new SignalParseError(ctxPath, 'is missing or not an object (a Service Health alert carries its activity-log event there)');
  }
  const ctx = env.context;
  const propsPath = `${ctxPath}.properties`;
  const props = requireRecord(jsonOrValue(field(ctx, 'properties'), propsPath), propsPath);

  // observedAt: the communication's own time first (it orders updates of one incident), then when the
  // impact started, then when the alert fired.
  const observedAt = firstTime(
    field(ctx, 'eventTimestamp'),
    field(props, 'impactStartTime'),
    env.firedAt,
    field(ctx, 'submissionTimestamp'),
  );
  if (observedAt === undefined) {
    throw new SignalParseError(`${ctxPath}.eventTimestamp`, 'no usable time (eventTimestamp, impactStartTime, firedDateTime)');
  }

  const incidentType = str(field(props, 'incidentType')) ?? incidentTypeFromOperation(str(field(ctx, 'operationName')));
  const eventType = `ServiceHealth/${clip(incidentType ?? 'unknown')}`;
  const stage = stageOf(env, props, ctx);

  if (incidentType === undefined || norm(incidentType) !== 'incident') {
    return {
      kind: 'ignored',
      id: env.key,
      source: env.source,
      observedAt,
      reason:
        incidentType === undefined
          ? 'Service Health event without incidentType is not a region outage'
          : `Service Health ${clip(incidentType)} notice is not a region outage (only Incident is)`,
      eventType,
    };
  }

  const trackingId = str(field(props, 'trackingId'));
  if (trackingId === undefined) {
    throw new SignalParseError(`${propsPath}.trackingId`, 'is missing (every Service Health incident has one)');
  }
  const communicationId = str(field(props, 'communicationId')) ?? str(field(ctx, 'eventDataId')) ?? '-';
  const id = `${env.key}:${trackingId}:${communicationId}:${stage}`;

  const impacted = readImpacted(props, propsPath);
  const regions: string[] = [];
  const dropped: string[] = [];
  for (const name of impacted.regionNames) {
    const arm = toArmRegion(name);
    if (arm === undefined) dropped.push(name);
    else regions.push(arm);
  }

  if (regions.length === 0) {
    return {
      kind: 'ignored',
      id,
      source: env.source,
      observedAt,
      reason: `Service Health incident ${clip(trackingId)} names no Azure region (${
        dropped.length > 0 ? `only ${clip(unique(dropped).join(', '))}` : 'none given'
      })`,
      eventType,
    };
  }

  return {
    kind: 'regionOutage',
    id,
    source: env.source,
    observedAt,
    regions: unique(regions),
    services: impacted.services,
    trackingId,
    stage,
  };
}

function incidentTypeFromOperation(op: string | undefined): string | undefined {
  // "Microsoft.ServiceHealth/incident/action", "Microsoft.ServiceHealth/maintenance/action", …
  const parts = op?.split('/');
  if (parts === undefined || parts.length < 2 || parts[0]?.toLowerCase() !== 'microsoft.servicehealth') return undefined;
  return INCIDENT_TYPE_FROM_OPERATION[norm(parts[1] ?? '')];
}

function stageOf(env: AlertEnvelope, props: JsonRecord, ctx: JsonRecord): Stage {
  if (env.condition === 'resolved') return 'resolved';
  const fromStage = stageWord(str(field(props, 'stage')));
  if (fromStage !== undefined) return fromStage;
  const fromStatus = stageWord(str(field(ctx, 'status')));
  if (fromStatus !== undefined) return fromStatus;
  return 'active';
}

function stageWord(s: string | undefined): Stage | undefined {
  if (s === undefined) return undefined;
  switch (norm(s)) {
    case 'active':
      return 'active';
    case 'resolved':
    case 'rca':
      return 'resolved';
    default:
      return undefined;
  }
}

/**
 * Region display names and service names from `impactedServices`
 * (`[{"ImpactedRegions":[{"RegionName":"East US"}],"ServiceName":"Virtual Machines"}]`), which is JSON text in
 * real alerts and an array in the action-group test payload. When it names no region at all, fall back to
 * `properties.region` ("East US", sometimes a comma-separated list) and `properties.service`.
 */
function readImpacted(props: JsonRecord, propsPath: string): { regionNames: string[]; services: string[] } {
  const path = `${propsPath}.impactedServices`;
  let list = jsonOrValue(field(props, 'impactedServices'), path);
  if (isRecord(list)) list = [list];
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    throw new SignalParseError(path, `must be an array of impacted services, got ${describe(list)}`);
  }

  const regionNames: string[] = [];
  const services: string[] = [];
  for (const entry of list ?? []) {
    if (!isRecord(entry)) continue;
    const service = str(field(entry, 'ServiceName'));
    if (service !== undefined) services.push(service);
    regionNames.push(...regionNamesOf(field(entry, 'ImpactedRegions')));
  }

  if (regionNames.length === 0) {
    const region = field(props, 'region');
    if (typeof region === 'string') regionNames.push(...splitList(region));
  }
  if (services.length === 0) {
    const service = str(field(props, 'service'));
    if (service !== undefined) services.push(service);
  }
  return { regionNames: unique(regionNames), services: unique(services) };
}

function regionNamesOf(v: unknown): string[] {
  let value = v;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return splitList(value as string);
    }
  }
  if (isRecord(value)) value = [value];
  if (typeof value === 'string') return splitList(value);
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    const name = isRecord(item) ? str(field(item, 'RegionName')) : str(item);
    if (name !== undefined) out.push(name);
  }
  return out;
}

function splitList(s: string): string[] {
  return s
    .split(/[,;]/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}
