/**
 * Platform metric alerts (`monitoringService: Platform`; conditionType SingleResourceMultipleMetricCriteria,
 * MultipleResourceMultipleMetricCriteria, DynamicThresholdCriteria, WebtestLocationAvailabilityCriteria) →
 * `quotaPressure` when clearly about VM quota, else one `ignored` naming the metric(s).
 *
 * "Clearly quota" means the criterion's `metricNamespace` is `microsoft.compute/locations/usages` (any case):
 * the namespace of Compute's per-region usages, which is what a quota usage metric is published under. Metric
 * names alone never make a quota: `Percentage CPU`, `Usage`, `Available Memory Bytes` on a VM or a scale set
 * are resource metrics, not quota. For a quota criterion (see quota.ts for the signal and its id):
 * - `family`: the `quotaName` dimension, else the metric name when it is a vCPU quota name (`cores`, `…Family`);
 * - `region`: the `location` dimension, else a `/locations/<region>` segment of the alert target;
 * - `usagePercent`: `metricValue` when the metric name says percent, else `used * 100 / limit` from the
 *   `usage` / `quota` (`limit`) dimensions, with `metricValue` as `used` for a count metric;
 * - `subscriptionId`: the `subscriptionId` dimension, else the alert target's subscription.
 */
import type { Signal } from '../types.js';
import { clip, field, norm, num, str, unique, type JsonRecord } from '../read.js';
import { alertTime, allOfEntries, dimension, dimensionsOf, ignored, subscriptionOf } from './common.js';
import type { AlertEnvelope } from './envelope.js';
import { COMPUTE_USAGES_TYPE, isVcpuQuotaName, quotaSignal, type QuotaFacts } from './quota.js';

export function parseMetricAlert(env: AlertEnvelope): Signal[] {
  const observedAt = alertTime(env);
  const eventType = env.alertRule !== undefined ? `${env.familyLabel}/${clip(env.alertRule, 200)}` : env.familyLabel;
  const entries = allOfEntries(env.context);
  const quota = entries.map(isQuotaMetricEntry);

  if (!quota.includes(true)) {
    const metrics = unique(entries.map(metricLabel).filter((m): m is string => m !== undefined));
    const reason =
      metrics.length > 0
        ? `${env.familyLabel} metric alert on ${clip(metrics.join(', '), 160)} is not handled (only ${COMPUTE_USAGES_TYPE} quota metrics are)`
        : `${env.familyLabel} metric alert without a metric criterion is not handled`;
    return [ignored(env, observedAt, reason, eventType)];
  }

  return entries.map((entry, index) =>
    quota[index]
      ? quotaSignal(env, observedAt, eventType, metricQuotaFacts(env, entry, index, entries.length))
      : ignored(
          env,
          observedAt,
          `${env.familyLabel} metric ${clip(metricLabel(entry) ?? 'without a name')} is not a quota metric`,
          eventType,
          `${env.key}:#${index}`,
        ),
  );
}

function isQuotaMetricEntry(entry: JsonRecord): boolean {
  return str(field(entry, 'metricNamespace'))?.toLowerCase() === COMPUTE_USAGES_TYPE;
}

/** "Percentage CPU (Microsoft.Compute/virtualMachines)"; a web test's name when there is no metric. */
function metricLabel(entry: JsonRecord): string | undefined {
  const name = str(field(entry, 'metricName')) ?? str(field(entry, 'webTestName'));
  if (name === undefined) return undefined;
  const ns = str(field(entry, 'metricNamespace'));
  return ns !== undefined ? `${name} (${ns})` : name;
}

function metricQuotaFacts(env: AlertEnvelope, entry: JsonRecord, index: number, entries: number): QuotaFacts {
  const dims = dimensionsOf(entry);
  const metricName = str(field(entry, 'metricName'));
  const value = num(field(entry, 'metricValue'));
  const isPercent = metricName !== undefined && norm(metricName).includes('percent');

  const quotaName =
    dimension(dims, 'quotaName') ?? (metricName !== undefined && !isPercent && isVcpuQuotaName(metricName) ? metricName : undefined);
  const location = dimension(dims, 'location', 'region') ?? locationOfTargets(env.targetIds);
  const subscriptionDim = dimension(dims, 'subscriptionId');
  const subscriptionId = subscriptionDim ?? subscriptionOf(env.targetIds[0]);
  const usagePercent = isPercent ? value : undefined;
  const used = num(dimension(dims, 'usage', 'currentValue', 'used')) ?? (isPercent ? undefined : value);
  const limit = num(dimension(dims, 'quota', 'limit'));
  return {
    index,
    entries,
    ...(location !== undefined ? { location } : {}),
    ...(quotaName !== undefined ? { quotaName } : {}),
    type: COMPUTE_USAGES_TYPE,
    ...(usagePercent !== undefined ? { usagePercent } : {}),
    ...(used !== undefined ? { used } : {}),
    ...(limit !== undefined ? { limit } : {}),
    measured: `metric ${clip(metricName ?? 'without a name')} and no quota limit`,
    ...(subscriptionId !== undefined ? { subscriptionId } : {}),
    subscriptionFromEntry: subscriptionDim !== undefined,
  };
}

function locationOfTargets(ids: readonly string[]): string | undefined {
  for (const id of ids) {
    const m = /\/locations\/([^/\s]+)/i.exec(id);
    if (m) return m[1];
  }
  return undefined;
}
