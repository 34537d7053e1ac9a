/**
 * Quota usage alerts → `quotaPressure`; the Log Alerts V2 family parser (every Azure Quotas usage alert is a
 * Log Alerts V2 alert), and the quota reading that the metric-alert parser (metric.ts) shares.
 *
 * ## The Azure Quotas usage alert (research/signals.md §4.2)
 *
 * `monitoringService: Log Alerts V2`, `conditionType: LogQueryCriteria`, an ARG query over `QuotaResources`
 * (`type =~ 'microsoft.compute/locations/usages'`, `usagePercent = usage*100/quota`),
 * `metricMeasureColumn: usagePercent`, dimensions `type`, `location`, `quotaName` (maybe `subscriptionId`,
 * `usage`, `quota` when the rule splits by them). One `condition.allOf[]` entry per dimension combination →
 * one signal per entry:
 *
 * - `region`: the `location` dimension as an ARM name (`toArmRegion`: "westus2", "West US 2" alike).
 * - `family`: the `quotaName` dimension verbatim, as Azure names it (`standardNCADSA100v4Family`, `cores` for
 *   the regional total, `lowPriorityCores` for Spot). Only vCPU quotas are quota pressure for the fleet
 *   (`cores`, `lowPriorityCores`, `…Family`, anything naming vCPUs or ending in `Cores`); count quotas
 *   (`virtualMachines`, `availabilitySets`, disks …) and non-compute usages (`type` other than
 *   `microsoft.compute/locations/usages`) are `ignored` with the reason.
 * - `usagePercent`: `metricValue` when the measured column is a percentage (numbers may arrive as strings);
 *   else `used * 100 / limit` when the dimensions carry both; else the entry is `ignored`.
 * - `used` / `limit`: the `usage` (`currentValue`, `used`) / `quota` (`limit`) dimensions; `used` also from
 *   `metricValue` when the measured column is the usage itself.
 * - `subscriptionId`: the `subscriptionId` dimension; else the query's single-subscription filter
 *   (`subscriptionId =~ '<id>'`, as the Quotas blade writes it); else the subscription of the alert target
 *   (the Log Analytics workspace, which is usually but not necessarily the quota's subscription).
 *   Kept verbatim (no case change).
 * - `stage`: monitorCondition Resolved → resolved, else active.
 *
 * ## Ids
 *
 * `${alertId}:${monitorCondition}:${region}:${family}`, plus `:${subscriptionId}` when the subscription is a
 * dimension of the entry (then two entries can differ only in it). Every part is read from the body, so a
 * re-delivery repeats the id; Fired and Resolved differ. An entry that is `ignored` keeps the plain envelope
 * key when the alert has one entry, else `${envelope key}:#${index}`. The dispatcher drops later duplicates
 * of an id within one body (two identical entries).
 *
 * A Log Alerts V2 alert that is not about quota → one `ignored` naming the gist of its query.
 */
import type { IgnoredSignal, QuotaPressureSignal, Signal } from '../types.js';
import { clip, field, norm, num, str, type JsonRecord } from '../read.js';
import { toArmRegion } from '../regions.js';
import { alertTime, allOfEntries, dimension, dimensionsOf, gist, ignored, stageOf, subscriptionOf } from './common.js';
import type { AlertEnvelope } from './envelope.js';

export const COMPUTE_USAGES_TYPE = 'microsoft.compute/locations/usages';

/** What one condition entry says about a quota, before validation. */
export interface QuotaFacts {
  /** Position of the entry in `condition.allOf`, and how many entries there are (for ids of ignored entries). */
  readonly index: number;
  readonly entries: number;
  readonly location?: string;
  readonly quotaName?: string;
  /** The usage type (`microsoft.compute/locations/usages`) when the alert says. */
  readonly type?: string;
  readonly usagePercent?: number;
  readonly used?: number;
  readonly limit?: number;
  /** What `metricValue` measured, for the reason when no percentage can be had. */
  readonly measured: string;
  readonly subscriptionId?: string;
  /** The subscription is a dimension of this entry (so it is part of the id). */
  readonly subscriptionFromEntry: boolean;
}

/** `cores`, `lowPriorityCores`, `standardNCADSA100v4Family`, "Standard NCADS_A100_v4 Family vCPUs". */
export function isVcpuQuotaName(name: string): boolean {
  const n = norm(name);
  return n.endsWith('family') || n.endsWith('cores') || n.includes('vcpu');
}

/** One quota entry → `quotaPressure`, or `ignored` saying what is missing. */
export function quotaSignal(
  env: AlertEnvelope,
  observedAt: string,
  eventType: string,
  f: QuotaFacts,
): QuotaPressureSignal | IgnoredSignal {
  const skip = (reason: string): IgnoredSignal =>
    ignored(env, observedAt, reason, eventType, f.entries > 1 ? `${env.key}:#${f.index}` : env.key);

  if (f.type !== undefined && f.type.toLowerCase() !== COMPUTE_USAGES_TYPE) {
    return skip(`quota alert on ${clip(f.type)} is not a compute vCPU quota`);
  }
  if (f.location === undefined) return skip('quota alert names no location (split the rule by the location dimension)');
  const region = toArmRegion(f.location);
  if (region === undefined) return skip(`quota alert location ${clip(f.location)} is not a known Azure region`);
  if (f.quotaName === undefined) return skip('quota alert names no quotaName (split the rule by the quotaName dimension)');
  const family = f.quotaName;
  if (!isVcpuQuotaName(family)) return skip(`quota ${clip(family)} in ${region} is not a vCPU quota`);

  const used = f.used !== undefined && f.used >= 0 ? f.used : undefined;
  const limit = f.limit !== undefined && f.limit >= 0 ? f.limit : undefined;
  const usagePercent =
    f.usagePercent ?? (used !== undefined && limit !== undefined && limit > 0 ? (used * 100) / limit : undefined);
  if (usagePercent === undefined || usagePercent < 0) {
    return skip(`quota alert for ${clip(family)} in ${region} carries no usage percentage (${clip(f.measured)})`);
  }

  const id = [env.key, region, family, ...(f.subscriptionFromEntry && f.subscriptionId !== undefined ? [f.subscriptionId] : [])].join(':');
  return {
    kind: 'quotaPressure',
    id,
    source: env.source,
    observedAt,
    region,
    family,
    usagePercent,
    ...(used !== undefined ? { used } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(f.subscriptionId !== undefined ? { subscriptionId: f.subscriptionId } : {}),
    stage: stageOf(env),
  };
}

/** `monitoringService: Log Alerts V2` → quotaPressure per quota entry, or one `ignored`. */
export function parseLogAlertV2(env: AlertEnvelope): Signal[] {
  const observedAt = alertTime(env);
  const eventType = env.alertRule !== undefined ? `${env.familyLabel}/${clip(env.alertRule, 200)}` : env.familyLabel;
  const entries = allOfEntries(env.context);
  const quota = entries.map(isQuotaLogEntry);

  if (!quota.includes(true)) {
    const queries = entries.map((e) => str(field(e, 'searchQuery'))).filter((q): q is string => q !== undefined);
    const reason =
      queries.length > 0
        ? `${env.familyLabel} alert is not a quota alert (query: ${gist(queries[0] as string)})`
        : `${env.familyLabel} alert without a search query is not a quota alert`;
    return [ignored(env, observedAt, reason, eventType)];
  }

  return entries.map((entry, index) =>
    quota[index]
      ? quotaSignal(env, observedAt, eventType, logQuotaFacts(env, entry, index, entries.length))
      : ignored(
          env,
          observedAt,
          `${env.familyLabel} condition ${index} is not a quota condition (query: ${gist(str(field(entry, 'searchQuery')) ?? 'none')})`,
          eventType,
          `${env.key}:#${index}`,
        ),
  );
}

/** A QuotaResources query, a `quotaName` dimension, or a `…/locations/usages` type dimension. */
function isQuotaLogEntry(entry: JsonRecord): boolean {
  const dims = dimensionsOf(entry);
  if (dimension(dims, 'quotaName') !== undefined) return true;
  if (dimension(dims, 'type')?.toLowerCase().endsWith('/locations/usages')) return true;
  const query = str(field(entry, 'searchQuery')) ?? '';
  return /\bQuotaResources\b|\/locations\/usages\b/i.test(query);
}

function logQuotaFacts(env: AlertEnvelope, entry: JsonRecord, index: number, entries: number): QuotaFacts {
  const dims = dimensionsOf(entry);
  const query = str(field(entry, 'searchQuery')) ?? '';
  const column = str(field(entry, 'metricMeasureColumn'));
  const value = num(field(entry, 'metricValue'));
  const columnIsPercent = column !== undefined && norm(column).includes('percent');
  const columnIsUsage = column !== undefined && ['usage', 'currentvalue', 'used'].includes(norm(column));

  const subscriptionDim = dimension(dims, 'subscriptionId');
  const subscriptionId = subscriptionDim ?? subscriptionFromQuery(query) ?? subscriptionOf(env.targetIds[0]);
  const type =
    dimension(dims, 'type') ?? (query.toLowerCase().includes(COMPUTE_USAGES_TYPE) ? COMPUTE_USAGES_TYPE : undefined);
  const location = dimension(dims, 'location', 'region');
  const quotaName = dimension(dims, 'quotaName');
  const usagePercent = columnIsPercent ? value : undefined;
  const used = num(dimension(dims, 'usage', 'currentValue', 'used')) ?? (columnIsUsage ? value : undefined);
  const limit = num(dimension(dims, 'quota', 'limit'));
  return {
    index,
    entries,
    ...(location !== undefined ? { location } : {}),
    ...(quotaName !== undefined ? { quotaName } : {}),
    ...(type !== undefined ? { type } : {}),
    ...(usagePercent !== undefined ? { usagePercent } : {}),
    ...(used !== undefined ? { used } : {}),
    ...(limit !== undefined ? { limit } : {}),
    measured: column !== undefined ? `measures ${column}` : 'counts result rows',
    ...(subscriptionId !== undefined ? { subscriptionId } : {}),
    subscriptionFromEntry: subscriptionDim !== undefined,
  };
}

/** `subscriptionId =~ '<id>'`, `== "<id>"` or `in~ ('<id>')` with one value; several or none → undefined. */
function subscriptionFromQuery(query: string): string | undefined {
  const eq = [...query.matchAll(/\bsubscriptionId\s*(?:=~|==)\s*['"]([^'"\s]+)['"]/gi)].map((m) => m[1] as string);
  const inList = [...query.matchAll(/\bsubscriptionId\s+in~?\s*\(([^)]*)\)/gi)].map((m) => m[1] as string);
  for (const list of inList) {
    const values = [...list.matchAll(/['"]([^'"\s]+)['"]/g)].map((m) => m[1] as string);
    if (values.length !== 1) return undefined;
    eq.push(values[0] as string);
  }
  const distinct = [...new Set(eq.map((s) => s.toLowerCase()))];
  return distinct.length === 1 ? eq[0] : undefined;
}
