/**
 * The Azure Quotas usage alert (a Log Alerts V2 rule over `QuotaResources`, research/signals.md §4.2)
 * as an action group delivers it: one `allOf` entry with the location and quota name as dimensions and
 * the usage percentage as the measured value.
 */
import { createHash } from 'node:crypto';

export interface QuotaAlert {
  readonly subscriptionId: string;
  readonly region: string;
  readonly family: string;
  readonly used: number;
  readonly limit: number;
  readonly stage: 'Fired' | 'Resolved';
  readonly at: Date;
}

export function quotaAlertBody(a: QuotaAlert): unknown {
  const usagePercent = a.limit > 0 ? Math.floor((a.used * 100) / a.limit) : 100;
  const time = a.at.toISOString();
  const start = new Date(a.at.getTime() - 15 * 60_000).toISOString();
  const digest = createHash('sha256').update(`${a.subscriptionId}:${a.region}:${a.family}:${time}`).digest('hex');
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/subscriptions/${a.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${digest.slice(0, 36)}`,
        alertRule: 'fleet-gpu-quota-usage', severity: 'Sev3', signalType: 'Log', monitorCondition: a.stage, monitoringService: 'Log Alerts V2',
        alertTargetIDs: [`/subscriptions/${a.subscriptionId}/resourcegroups/rg-fleet-ops/providers/microsoft.operationalinsights/workspaces/law-fleet`],
        configurationItems: [], originAlertId: digest.slice(36, 72), firedDateTime: time, ...(a.stage === 'Resolved' ? { resolvedDateTime: time } : {}),
        description: 'GPU quota usage', essentialsVersion: '1.0', alertContextVersion: '1.0',
      },
      alertContext: {
        properties: null, conditionType: 'LogQueryCriteria',
        condition: {
          windowSize: 'PT15M',
          allOf: [{
            searchQuery: `arg("").QuotaResources | where subscriptionId =~ '${a.subscriptionId}' | where type =~ 'microsoft.compute/locations/usages' | mv-expand propertyJson = properties.value | extend usage = propertyJson.currentValue, quota = propertyJson.['limit'], quotaName = tostring(propertyJson.['name'].value) | extend usagePercent = toint(usage)*100 / toint(quota)`,
            metricMeasureColumn: 'usagePercent', targetResourceTypes: "['microsoft.operationalinsights/workspaces']",
            operator: 'GreaterThanOrEqual', threshold: '80', timeAggregation: 'Maximum',
            dimensions: [{ name: 'type', value: 'microsoft.compute/locations/usages' }, { name: 'location', value: a.region }, { name: 'quotaName', value: a.family }],
            metricValue: usagePercent, failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
          }],
          windowStartTime: start, windowEndTime: time,
        },
      },
      customProperties: null,
    },
  };
}
