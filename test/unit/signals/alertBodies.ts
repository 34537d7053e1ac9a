/**
 * Alert bodies built from the documented schemas (research/signals.md §4.1, §4.4) for the signal tests,
 * plus fixture loading. Not a test file itself.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Captured samples (copied from the research folder's fixtures/signals, provenance in SOURCES.md there). */
export const fixturesDir = path.resolve(repoRoot, 'test/fixtures/signals');

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(fixturesDir, name), 'utf8')) as Record<string, unknown>;
}

export function fixtureNames(prefix = ''): string[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.json') && f.startsWith(prefix))
    .sort();
}

/** Wrap an `{ alertContext }` fragment fixture in a common-schema envelope. */
export function wrapAlertContext(
  fragment: Record<string, unknown>,
  essentials: Partial<Record<string, unknown>> & { monitoringService: string },
): Record<string, unknown> {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/frag-0001',
        alertRule: 'fragment-rule',
        severity: 'Sev3',
        signalType: 'Activity Log',
        monitorCondition: 'Fired',
        alertTargetIDs: ['/subscriptions/11111111-1111-1111-1111-111111111111'],
        originAlertId: 'frag-origin',
        firedDateTime: '2025-04-15T18:20:36.256Z',
        description: '',
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
        ...essentials,
      },
      alertContext: fragment['alertContext'],
      customProperties: null,
    },
  };
}

export const EUS2_SWEDEN_SERVICES = [
  {
    ImpactedRegions: [{ RegionName: 'East US 2' }, { RegionName: 'Sweden Central' }],
    ServiceName: 'Virtual Machines',
  },
  {
    ImpactedRegions: [{ RegionName: 'East US 2' }],
    ServiceName: 'Azure Kubernetes Service',
  },
];

export interface ServiceHealthOptions {
  alertId?: string;
  monitorCondition?: string;
  incidentType?: string;
  stage?: string;
  status?: string;
  trackingId?: string;
  communicationId?: string;
  /** An array, a JSON string, or anything else to test robustness; `undefined` leaves the key out. */
  impactedServices?: unknown;
  region?: string;
  service?: string;
  eventTimestamp?: string;
  impactStartTime?: string;
  firedDateTime?: string;
}

function serviceHealthProperties(o: ServiceHealthOptions): Record<string, unknown> {
  const props: Record<string, unknown> = {
    title: 'Virtual Machines - East US 2',
    service: o.service ?? 'Virtual Machines',
    region: o.region ?? 'East US 2',
    communication: '<p>Starting at 02:48 UTC customers may see errors.</p>',
    incidentType: o.incidentType ?? 'Incident',
    trackingId: o.trackingId ?? '0NIH-U2O',
    impactStartTime: o.impactStartTime ?? '2025-06-01T02:48:00.0000000Z',
    impactMitigationTime: null,
    impactedServicesTableRows: '<tr><td>Virtual Machines</td></tr>',
    defaultLanguageTitle: 'Virtual Machines - East US 2',
    defaultLanguageContent: '<p>Starting at 02:48 UTC customers may see errors.</p>',
    stage: o.stage ?? 'Active',
    communicationId: o.communicationId ?? '638512345678901234',
    isHIR: 'false',
    version: '0.1.1',
  };
  if ('impactedServices' in o) {
    if (o.impactedServices !== undefined) props['impactedServices'] = o.impactedServices;
  } else {
    props['impactedServices'] = JSON.stringify(EUS2_SWEDEN_SERVICES);
  }
  return props;
}

/** A common-schema Service Health alert (shape of the documented ServiceHealth alertContext). */
export function commonServiceHealth(o: ServiceHealthOptions = {}): Record<string, unknown> {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId:
          o.alertId ??
          '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/5e1d6f7a-0000-4000-8000-000000000001',
        alertRule: 'fleet-service-health',
        severity: 'Sev1',
        signalType: 'Activity Log',
        monitorCondition: o.monitorCondition ?? 'Fired',
        monitoringService: 'ServiceHealth',
        alertTargetIDs: ['/subscriptions/11111111-1111-1111-1111-111111111111'],
        originAlertId: '5e1d6f7a-0000-4000-8000-000000000001',
        firedDateTime: o.firedDateTime ?? '2025-06-01T03:05:12.1234567Z',
        description: 'Service Health for the GPU fleet',
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        authorization: null,
        channels: 1,
        claims: null,
        caller: null,
        correlationId: 'bbbb1111-cc22-3333-44dd-555555eeeeee',
        eventSource: 2,
        eventTimestamp: o.eventTimestamp ?? '2025-06-01T03:04:59.0312699+00:00',
        httpRequest: null,
        eventDataId: 'e0e0e0e0-0000-4000-8000-000000000001',
        level: 3,
        operationName: 'Microsoft.ServiceHealth/incident/action',
        operationId: 'bbbb1111-cc22-3333-44dd-555555eeeeee',
        properties: serviceHealthProperties(o),
        status: o.status ?? 'Active',
        subStatus: null,
        submissionTimestamp: '2025-06-01T03:05:10.7147357+00:00',
        ResourceType: null,
      },
      customProperties: null,
    },
  };
}

/** A legacy (`Microsoft.Insights/activityLogs`) Service Health alert, as in activity-log-alerts-webhook.md. */
export function legacyServiceHealth(
  o: ServiceHealthOptions & { dataStatus?: string; eventDataId?: string } = {},
): Record<string, unknown> {
  return {
    schemaId: 'Microsoft.Insights/activityLogs',
    data: {
      status: o.dataStatus ?? 'Activated',
      context: {
        activityLog: {
          channels: 'Admin',
          correlationId: 'cccc2222-dd33-4444-55ee-666666ffffff',
          description: 'Active: Virtual Machines - East US 2',
          eventSource: 'ServiceHealth',
          eventTimestamp: o.eventTimestamp ?? '2025-06-01T03:04:59.3736084+00:00',
          eventDataId: o.eventDataId ?? '6fa98c0f-334a-b066-1934-1a4b3d929856',
          level: 'Warning',
          operationName: 'Microsoft.ServiceHealth/incident/action',
          operationId: 'cccc2222-dd33-4444-55ee-666666ffffff',
          properties: serviceHealthProperties(o),
          status: o.status ?? 'Active',
          subscriptionId: 'cccc2c2c-dd3d-ee4e-ff5f-aaaaaa6a6a6a',
          submissionTimestamp: '2025-06-01T03:05:02.7864349+00:00',
        },
      },
      properties: {},
    },
  };
}

/** Set a value at a dotted path in a deep copy (creates nothing; the path must exist up to the parent). */
export function withField(body: Record<string, unknown>, dotted: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const parts = dotted.split('.');
  let cur: Record<string, unknown> = copy;
  for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  const last = parts[parts.length - 1] as string;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

// ---------------------------------------------------------------------------------------------------------
// Builders for the metric, log, Prometheus and activity-log families (research/signals.md §4.1–§4.4).
// ---------------------------------------------------------------------------------------------------------

export const SUB = '11111111-1111-1111-1111-111111111111';
export const WORKSPACE_ID = `/subscriptions/${SUB}/resourcegroups/monitor-rg/providers/microsoft.operationalinsights/workspaces/fleet-logs`;
export const AMW_ID = `/subscriptions/${SUB}/resourcegroups/monitor-rg/providers/microsoft.monitor/accounts/fleet-amw`;
export const alertIdOf = (guid: string): string => `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/${guid}`;

/** A common-schema envelope around `alertContext`; `essentials` entries set to `undefined` are left out. */
export function commonAlert(
  essentials: Partial<Record<string, unknown>> & { monitoringService: string },
  alertContext: unknown,
): Record<string, unknown> {
  const e: Record<string, unknown> = {
    alertId: alertIdOf('00000000-0000-4000-8000-00000000a1e7'),
    alertRule: 'fleet-rule',
    severity: 'Sev3',
    signalType: 'Metric',
    monitorCondition: 'Fired',
    alertTargetIDs: [`/subscriptions/${SUB}`],
    configurationItems: [],
    originAlertId: 'origin-0001',
    firedDateTime: '2025-06-02T10:00:00.0000000Z',
    description: '',
    essentialsVersion: '1.0',
    alertContextVersion: '1.0',
    ...essentials,
  };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  return { schemaId: 'azureMonitorCommonAlertSchema', data: { essentials: e, alertContext, customProperties: null } };
}

/** The ARG query the Azure Quotas blade writes for a usage alert rule (articles/quotas/how-to-guide-monitoring-alerting.md). */
export function quotaQuery(subscriptionFilter = `where subscriptionId =~ '${SUB}'`): string {
  return (
    `arg("").QuotaResources \n| ${subscriptionFilter}\n| where type =~ 'microsoft.compute/locations/usages'\n` +
    `| where isnotempty(properties)\n| mv-expand propertyJson = properties.value limit 400\n` +
    `| extend\n    usage = propertyJson.currentValue,\n    quota = propertyJson.['limit'],\n` +
    `    quotaName = tostring(propertyJson.['name'].value)\n| extend usagePercent = toint(usage)*100 / toint(quota)` +
    `| project-away properties`
  );
}

export interface QuotaEntryOptions {
  location?: string;
  quotaName?: string;
  /** A number or a numeric string; `undefined` leaves the key out. */
  metricValue?: unknown;
  /** `null` leaves the `type` dimension out. */
  type?: string | null;
  usage?: unknown;
  quota?: unknown;
  subscriptionId?: string;
  metricMeasureColumn?: string | null;
  searchQuery?: string;
}

/** One `condition.allOf[]` entry of a quota usage alert (LogQueryCriteria). */
export function quotaEntry(o: QuotaEntryOptions = {}): Record<string, unknown> {
  const dimensions: { name: string; value: unknown }[] = [];
  if (o.type !== null) dimensions.push({ name: 'type', value: o.type ?? 'microsoft.compute/locations/usages' });
  if (o.location !== undefined || !('location' in o)) dimensions.push({ name: 'location', value: o.location ?? 'eastus2' });
  if (o.quotaName !== undefined || !('quotaName' in o))
    dimensions.push({ name: 'quotaName', value: o.quotaName ?? 'standardNCADSA100v4Family' });
  if (o.subscriptionId !== undefined) dimensions.push({ name: 'subscriptionId', value: o.subscriptionId });
  if (o.usage !== undefined) dimensions.push({ name: 'usage', value: o.usage });
  if (o.quota !== undefined) dimensions.push({ name: 'quota', value: o.quota });
  const entry: Record<string, unknown> = {
    searchQuery: o.searchQuery ?? quotaQuery(),
    metricMeasureColumn: o.metricMeasureColumn === undefined ? 'usagePercent' : o.metricMeasureColumn,
    targetResourceTypes: "['microsoft.operationalinsights/workspaces']",
    operator: 'GreaterThanOrEqual',
    threshold: '80',
    timeAggregation: 'Maximum',
    dimensions,
    failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
    linkToSearchResultsUI: 'https://portal.azure.com/#blade/placeholder',
  };
  if ('metricValue' in o) {
    if (o.metricValue !== undefined) entry['metricValue'] = o.metricValue;
  } else {
    entry['metricValue'] = 92.0;
  }
  return entry;
}

/** An Azure Quotas usage alert: a Log Alerts V2 alert over QuotaResources, one allOf entry per dimension combination. */
export function quotaAlert(
  o: {
    entries?: Record<string, unknown>[];
    monitorCondition?: string;
    alertId?: string;
    firedDateTime?: string;
    windowEndTime?: string;
    alertTargetIDs?: string[];
  } = {},
): Record<string, unknown> {
  return commonAlert(
    {
      monitoringService: 'Log Alerts V2',
      signalType: 'Log',
      severity: 'Sev4',
      alertId: o.alertId ?? alertIdOf('00000000-0000-4000-8000-00000000a007'),
      alertRule: 'gpu-quota-usage',
      monitorCondition: o.monitorCondition ?? 'Fired',
      alertTargetIDs: o.alertTargetIDs ?? [WORKSPACE_ID],
      firedDateTime: o.firedDateTime ?? '2025-06-02T10:00:00.0000000Z',
    },
    {
      properties: null,
      conditionType: 'LogQueryCriteria',
      condition: {
        windowSize: 'PT15M',
        allOf: o.entries ?? [quotaEntry()],
        windowStartTime: '2025-06-02T09:45:00.000Z',
        windowEndTime: o.windowEndTime ?? '2025-06-02T10:00:00.000Z',
      },
    },
  );
}

export interface MetricCriterion {
  metricName: string;
  metricNamespace: string;
  metricValue?: unknown;
  dimensions?: { name: string; value: unknown }[];
}

/** A platform metric alert (SingleResourceMultipleMetricCriteria) with the given criteria. */
export function metricAlert(
  criteria: MetricCriterion[],
  o: { monitorCondition?: string; alertTargetIDs?: string[]; resolvedDateTime?: string; alertId?: string } = {},
): Record<string, unknown> {
  return commonAlert(
    {
      monitoringService: 'Platform',
      alertId: o.alertId ?? alertIdOf('00000000-0000-4000-8000-0000000000e7'),
      alertRule: 'fleet-metric-rule',
      monitorCondition: o.monitorCondition ?? 'Fired',
      alertTargetIDs: o.alertTargetIDs ?? [`/subscriptions/${SUB}/providers/Microsoft.Compute/locations/eastus2/usages`],
      firedDateTime: '2025-06-02T11:00:00.0000000Z',
      resolvedDateTime: o.resolvedDateTime,
    },
    {
      properties: null,
      conditionType: 'SingleResourceMultipleMetricCriteria',
      condition: {
        windowSize: 'PT5M',
        allOf: criteria.map((c) => ({
          metricName: c.metricName,
          metricNamespace: c.metricNamespace,
          operator: 'GreaterThan',
          threshold: '80',
          timeAggregation: 'Maximum',
          dimensions: c.dimensions ?? [],
          metricValue: c.metricValue ?? 85,
          webTestName: null,
        })),
        windowStartTime: '2025-06-02T10:55:00.000Z',
        windowEndTime: '2025-06-02T11:00:00.000Z',
      },
    },
  );
}

export interface PrometheusOptions {
  alertName?: string;
  ruleGroup?: string;
  /** The whole label set; by default `{ alertname, cluster, ...extraLabels }`. */
  labels?: Record<string, unknown> | string;
  extraLabels?: Record<string, unknown>;
  expression?: string;
  expressionValue?: string;
  monitorCondition?: string;
  configurationItems?: string[];
  alertTargetIDs?: string[];
  alertId?: string;
  alertRule?: string;
  firedDateTime?: string;
  resolvedDateTime?: string;
}

/** A managed-Prometheus alert (shape of the Prometheus samples in alerts-common-schema.md / alerts-payload-samples.md). */
export function prometheusAlert(o: PrometheusOptions = {}): Record<string, unknown> {
  const alertName = o.alertName ?? 'KubeNodeNotReady';
  const ruleGroup = o.ruleGroup ?? 'KubernetesAlert-RecommendedMetricAlertsaks-gpu-eus2-Node-level';
  return commonAlert(
    {
      monitoringService: 'Prometheus',
      alertId: o.alertId ?? alertIdOf('00000000-0000-4000-8000-000000000b0b'),
      alertRule: o.alertRule ?? `${ruleGroup}/${alertName}`,
      monitorCondition: o.monitorCondition ?? 'Fired',
      alertTargetIDs: o.alertTargetIDs ?? [AMW_ID],
      configurationItems: o.configurationItems ?? ['aks-gpu-eus2'],
      firedDateTime: o.firedDateTime ?? '2025-06-02T12:15:00.0000000Z',
      resolvedDateTime: o.resolvedDateTime,
    },
    {
      interval: 'PT1M',
      expression: o.expression ?? 'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0',
      expressionValue: o.expressionValue ?? '0',
      for: 'PT15M',
      labels: o.labels ?? { alertname: alertName, cluster: 'aks-gpu-eus2', ...o.extraLabels },
      annotations: { description: `${alertName} on a GPU node` },
      ruleGroup: `/subscriptions/${SUB}/resourceGroups/monitor-rg/providers/Microsoft.AlertsManagement/prometheusRuleGroups/${ruleGroup}`,
    },
  );
}

export const GPU_NODE = 'aks-gpunp-12345678-vmss000003';

/** KubeNodeNotReady from the recommended node-level rule group (Azure/prometheus-collector recommendedMetricAlerts.json). */
export function kubeNodeNotReady(o: { monitorCondition?: string; node?: string; alertName?: string } = {}): Record<string, unknown> {
  const resolved = (o.monitorCondition ?? 'Fired').toLowerCase() === 'resolved';
  return prometheusAlert({
    alertName: o.alertName ?? 'KubeNodeNotReady',
    monitorCondition: o.monitorCondition ?? 'Fired',
    ...(resolved ? { resolvedDateTime: '2025-06-02T12:40:00.0000000Z', expressionValue: '1' } : {}),
    extraLabels: { condition: 'Ready', job: 'kube-state-metrics', status: 'true', severity: 'warning', node: o.node ?? GPU_NODE },
  });
}

/**
 * A DCGM XID alert. No official payload exists (research §4.3); this one is RECONSTRUCTED: the Prometheus
 * envelope above, the DCGM exporter labels listed in azure-aks-docs articles/aks/monitor-gpu-metrics.md
 * (`gpu`, `UUID`, `device`, `modelName`, `Hostname`, `namespace`, `pod`, `container`) plus `err_code` /
 * `err_msg` (dcgm-exporter's XID labels), a relabeled `node`, and the rule `DCGM_FI_DEV_XID_ERRORS > 0`
 * whose value is the last XID. Names and ids are illustrative.
 */
export function dcgmXidAlert(
  o: {
    errCode?: string;
    errMsg?: string;
    node?: string | null;
    hostname?: string;
    instance?: string;
    monitorCondition?: string;
    expression?: string;
    expressionValue?: string;
    alertName?: string;
  } = {},
): Record<string, unknown> {
  const errCode = o.errCode ?? '79';
  const labels: Record<string, unknown> = {
    alertname: o.alertName ?? 'GpuXidError',
    cluster: 'aks-gpu-eus2',
    job: 'dcgm-exporter',
    instance: o.instance ?? '10.244.3.17:9400',
    gpu: '2',
    UUID: 'GPU-6f1a2b3c-0000-4000-8000-1234567890ab',
    device: 'nvidia2',
    modelName: 'NVIDIA A100 80GB PCIe',
    Hostname: o.hostname ?? 'nvidia-dcgm-exporter-7xk2p',
    namespace: 'gpu-resources',
    pod: 'nvidia-dcgm-exporter-7xk2p',
    container: 'nvidia-dcgm-exporter',
  };
  if (errCode !== '') labels['err_code'] = errCode;
  if (o.errMsg !== undefined) labels['err_msg'] = o.errMsg;
  if (o.node !== null) labels['node'] = o.node ?? GPU_NODE;
  const resolved = (o.monitorCondition ?? 'Fired').toLowerCase() === 'resolved';
  return prometheusAlert({
    alertName: labels['alertname'] as string,
    ruleGroup: 'gpu-health-aks-gpu-eus2',
    labels,
    expression: o.expression ?? 'DCGM_FI_DEV_XID_ERRORS > 0',
    expressionValue: o.expressionValue ?? errCode,
    monitorCondition: o.monitorCondition ?? 'Fired',
    firedDateTime: '2025-06-02T13:01:00.0000000Z',
    ...(resolved ? { resolvedDateTime: '2025-06-02T13:31:00.0000000Z' } : {}),
  });
}

/** A common-schema activity-log alert of `category` (Administrative, Policy, Autoscale, Security). */
export function activityLogAlert(
  o: { category?: string; operationName?: unknown; status?: unknown; subStatus?: unknown } = {},
): Record<string, unknown> {
  const category = o.category ?? 'Administrative';
  return commonAlert(
    {
      monitoringService: `Activity Log - ${category}`,
      signalType: 'Activity Log',
      alertId: `/subscriptions/${SUB}/resourceGroups/aks-rg/providers/microsoft.insights/activityLogAlerts/fleet-${category.toLowerCase()}`,
      alertRule: `fleet-${category.toLowerCase()}`,
      alertTargetIDs: [`/subscriptions/${SUB}/resourcegroups/aks-rg/providers/microsoft.containerservice/managedclusters/aks-gpu-eus2`],
      firedDateTime: '2025-06-02T14:00:00.000Z',
    },
    {
      authorization: { action: 'Microsoft.ContainerService/managedClusters/agentPools/write', scope: '/subscriptions/x' },
      channels: 'Operation',
      claims: '{}',
      caller: 'ops@example.com',
      correlationId: 'dddd3333-ee44-5555-66ff-777777aaaaaa',
      eventSource: category,
      eventTimestamp: '2025-06-02T13:59:58.123Z',
      eventDataId: 'eeee4444-ff55-6666-77aa-888888bbbbbb',
      level: 'Informational',
      operationName: 'operationName' in o ? o.operationName : 'Microsoft.ContainerService/managedClusters/agentPools/write',
      operationId: 'ffff5555-aa66-7777-88bb-999999cccccc',
      properties: { eventCategory: category },
      status: 'status' in o ? o.status : 'Succeeded',
      subStatus: 'subStatus' in o ? o.subStatus : '',
      submissionTimestamp: '2025-06-02T14:00:00.000Z',
    },
  );
}

/** A legacy (`Microsoft.Insights/activityLogs`) activity-log alert, as in activity-log-alerts-webhook.md. */
export function legacyActivityLog(
  o: {
    eventSource?: string;
    operationName?: string;
    status?: string;
    dataStatus?: string;
    eventDataId?: string;
    properties?: Record<string, unknown>;
    resourceId?: string;
    resourceType?: string;
  } = {},
): Record<string, unknown> {
  const activityLog: Record<string, unknown> = {
    authorization: { action: 'Microsoft.Insights/actionGroups/write', scope: `/subscriptions/${SUB}` },
    channels: 'Operation',
    claims: '{"aud":"https://management.core.windows.net/"}',
    caller: 'ops@example.com',
    correlationId: '6ac88262-43be-4adf-a11c-bd2179852898',
    description: '',
    eventSource: o.eventSource ?? 'Administrative',
    eventTimestamp: '2017-03-29T15:43:08.0019532+00:00',
    eventDataId: o.eventDataId ?? '8195a56a-85de-4663-943e-1a2bf401ad94',
    level: 'Informational',
    operationName: o.operationName ?? 'Microsoft.Insights/actionGroups/write',
    operationId: '6ac88262-43be-4adf-a11c-bd2179852898',
    properties: o.properties ?? {},
    resourceId: o.resourceId ?? `/subscriptions/${SUB}/resourceGroups/CONTOSO-TEST/providers/Microsoft.Insights/actionGroups/IncidentActions`,
    resourceGroupName: 'CONTOSO-TEST',
    resourceProviderName: 'Microsoft.Insights',
    status: o.status ?? 'Succeeded',
    subStatus: '',
    subscriptionId: SUB,
    submissionTimestamp: '2017-03-29T15:43:20.3863637+00:00',
    resourceType: o.resourceType ?? 'Microsoft.Insights/actionGroups',
  };
  return { schemaId: 'Microsoft.Insights/activityLogs', data: { status: o.dataStatus ?? 'Activated', context: { activityLog }, properties: {} } };
}

export const AKS_NODE_VMSS_INSTANCE = `/subscriptions/${SUB}/resourceGroups/MC_rg_aks-gpu-eus2_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpunp-12345678-vmss/virtualMachines/37`;

/** A legacy Resource Health alert on an AKS node (a VMSS instance), as in activity-log-alerts-webhook.md. */
export function legacyResourceHealth(
  o: { dataStatus?: string; current?: string; previous?: string; eventDataId?: string; resourceId?: string } = {},
): Record<string, unknown> {
  return legacyActivityLog({
    eventSource: 'ResourceHealth',
    operationName: 'Microsoft.Resourcehealth/healthevent/Activated/action',
    status: 'Active',
    dataStatus: o.dataStatus ?? 'Activated',
    eventDataId: o.eventDataId ?? '2b37e2d0-7bda-4de7-8c6a-1447d02265b2',
    resourceId: o.resourceId ?? AKS_NODE_VMSS_INSTANCE,
    resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
    properties: {
      title: 'Virtual Machine health status changed to unavailable',
      details: 'Virtual machine has experienced an unexpected event',
      currentHealthStatus: o.current ?? 'Unavailable',
      previousHealthStatus: o.previous ?? 'Available',
      type: 'Downtime',
      cause: 'PlatformInitiated',
    },
  });
}

/**
 * A legacy (V1) log search alert in the common schema: PascalCase alertContext, legacy time strings.
 * `firedDateTime: undefined` leaves it out (then the time comes from SearchIntervalEndtimeUtc).
 */
export function logAlertV1(
  o: { monitoringService?: string; firedDateTime?: string; searchIntervalEnd?: string; alertContext?: unknown } = {},
): Record<string, unknown> {
  return commonAlert(
    {
      monitoringService: o.monitoringService ?? 'Log Analytics',
      signalType: 'Log',
      alertRule: 'fleet-v1-rule',
      alertTargetIDs: [WORKSPACE_ID],
      firedDateTime: 'firedDateTime' in o ? o.firedDateTime : '2019-03-22T13:36:45.1234567Z',
    },
    'alertContext' in o
      ? o.alertContext
      : {
          SearchQuery: 'Perf | where ObjectName == "Processor" | summarize AggregatedValue = avg(CounterValue) by Computer',
          SearchIntervalStartTimeUtc: '3/22/2019 1:31:31 PM',
          SearchIntervalEndtimeUtc: o.searchIntervalEnd ?? '3/22/2019 1:36:31 PM',
          ResultCount: 2,
          Threshold: 80,
          Operator: 'Greater Than',
          Dimensions: [],
          IncludedSearchResults: 'True',
          AlertType: 'Number of results',
        },
  );
}
