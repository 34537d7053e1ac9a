import { describe, expect, it } from 'vitest';
import {
  SignalParseError,
  parseAlertBody,
  type ResourceHealthSignal,
  type Signal,
} from '../../../shared/signals/index.js';
import { fixture, fixtureNames, withField, wrapAlertContext } from './alertBodies.js';

/** Fragments hold only `alertContext`; this says which essentials to wrap them with. */
const FRAGMENT_ESSENTIALS: Record<string, Partial<Record<string, unknown>> & { monitoringService: string }> = {
  'monitor-common-activitylog-resourcehealth-alertcontext.json': {
    monitoringService: 'ResourceHealth',
    alertTargetIDs: ['/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/test-RG/providers/Microsoft.Compute/virtualMachines/test-VM'],
  },
  'monitor-common-activitylog-servicehealth-maintenance-alertcontext.json': { monitoringService: 'ServiceHealth' },
  'monitor-common-log-alert-v2-alertcontext.json': { monitoringService: 'Log Alerts V2' },
  'monitor-common-prometheus-alertcontext.json': { monitoringService: 'Prometheus' },
};

function monitorBody(name: string): Record<string, unknown> {
  const raw = fixture(name);
  if ('schemaId' in raw) return raw;
  const essentials = FRAGMENT_ESSENTIALS[name];
  if (essentials === undefined) throw new Error(`fragment ${name} needs essentials in FRAGMENT_ESSENTIALS`);
  return wrapAlertContext(raw, essentials);
}

const monitorFixtures = fixtureNames('monitor-');

const TEST_SUB_ALERT = '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/12345678-1234-1234-1234-1234567890ab';
const FRAGMENT_ALERT = '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/frag-0001';
const ONLY_QUOTA_METRICS = 'is not handled (only microsoft.compute/locations/usages quota metrics are)';

/** Every monitor-* fixture → exactly the signals it must give. A new fixture without a row fails the suite. */
const EXPECTED: Record<string, Signal[]> = {
  'monitor-common-activitylog-administrative.json': [
    {
      kind: 'ignored',
      id: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/test-RG/providers/microsoft.insights/activityLogAlerts/Test_Alert:Fired',
      source: 'commonAlert',
      observedAt: '2025-04-15T11:26:21.386Z',
      reason:
        'Activity Log - Administrative activity-log operation Microsoft.Compute/virtualMachines/restart/action (Succeeded) is not a fleet signal',
      eventType: 'Activity Log - Administrative/Microsoft.Compute/virtualMachines/restart/action',
    },
  ],
  'monitor-common-activitylog-resourcehealth-alertcontext.json': [
    {
      kind: 'resourceHealth',
      id: `${FRAGMENT_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2019-06-24T15:42:54.074Z',
      resourceId: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/test-RG/providers/Microsoft.Compute/virtualMachines/test-VM',
      resourceType: 'Microsoft.Compute/virtualMachines',
      status: 'unavailable',
      previousStatus: 'available',
      reason: 'This virtual machine is stopping and deallocating as requested by an authorized user or process (UserInitiated)',
    },
  ],
  'monitor-common-activitylog-resourcehealth-test-action.json': [
    {
      kind: 'resourceHealth',
      id: `${TEST_SUB_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2025-04-15T18:19:45.304Z',
      resourceId:
        '/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/test-RG/providers/microsoft.compute/virtualmachines/test-VM',
      resourceType: 'microsoft.compute/virtualmachines',
      status: 'unavailable',
      previousStatus: 'available',
      reason: 'Rebooted by user (UserInitiated)',
    },
  ],
  'monitor-common-activitylog-servicehealth-maintenance-alertcontext.json': [
    {
      kind: 'ignored',
      id: `${FRAGMENT_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2019-06-24T11:31:19.031Z',
      reason: 'Service Health Maintenance notice is not a region outage (only Incident is)',
      eventType: 'ServiceHealth/Maintenance',
    },
  ],
  'monitor-common-activitylog-servicehealth-test-action.json': [
    {
      kind: 'ignored',
      id: '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/1234abcd5678efgh1234abcd5678efgh1234abcd5678efgh1234abcd5678efgh:Fired:TEST-TTT:11223344556677:resolved',
      source: 'commonAlert',
      observedAt: '2025-04-15T18:20:36.256Z',
      reason: 'Service Health incident TEST-TTT names no Azure region (only Global)',
      eventType: 'ServiceHealth/Incident',
    },
  ],
  'monitor-common-log-alert-quota-usage.json': [
    {
      kind: 'quotaPressure',
      id: '/subscriptions/<SubscriptionId>/providers/Microsoft.AlertsManagement/alerts/<alert-guid>:Fired:westus2:cores',
      source: 'commonAlert',
      observedAt: '2025-04-15T18:08:03.626Z',
      region: 'westus2',
      family: 'cores',
      usagePercent: 87,
      // From the query's `where subscriptionId =~ '<SubscriptionId>'` (a placeholder in this reconstructed sample).
      subscriptionId: '<SubscriptionId>',
      stage: 'active',
    },
  ],
  'monitor-common-log-alert-v1-metric-measurement.json': [
    {
      kind: 'ignored',
      id: `${TEST_SUB_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2025-04-15T17:57:27.967Z',
      reason:
        'Log Analytics (V1) log alert (Metric measurement) is not handled (query: Heartbeat | summarize AggregatedValue=count() by bin(TimeGe…)',
      eventType: 'Log Analytics/test-logAlertRule-v1-metricMeasurement',
    },
  ],
  'monitor-common-log-alert-v2-alertcontext.json': [
    {
      kind: 'ignored',
      id: `${FRAGMENT_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2025-04-15T18:20:36.256Z',
      reason: 'Log Alerts V2 alert is not a quota alert (query: Heartbeat)',
      eventType: 'Log Alerts V2/fragment-rule',
    },
  ],
  'monitor-common-log-alert-v2.json': [
    {
      kind: 'ignored',
      id: `${TEST_SUB_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2025-04-15T18:08:03.626Z',
      reason: 'Log Alerts V2 alert is not a quota alert (query: Heartbeat)',
      eventType: 'Log Alerts V2/test-logAlertRule-v2',
    },
  ],
  'monitor-common-metric-alert-dynamic.json': [
    {
      kind: 'ignored',
      id: `${TEST_SUB_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2025-04-15T18:15:16.104Z',
      reason: `Platform metric alert on Transactions (Microsoft.Storage/storageAccounts) ${ONLY_QUOTA_METRICS}`,
      eventType: 'Platform/test-dynamicMetricAlertRule',
    },
  ],
  'monitor-common-metric-alert-resolved-vm-cpu.json': [
    {
      kind: 'ignored',
      id: '/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e:Resolved',
      source: 'commonAlert',
      observedAt: '2019-03-22T14:03:16.224Z', // resolvedDateTime, not firedDateTime
      reason: `Platform metric alert on Percentage CPU (Microsoft.Compute/virtualMachines) ${ONLY_QUOTA_METRICS}`,
      eventType: 'Platform/WCUS-R2-Gen2',
    },
  ],
  'monitor-common-metric-alert-static.json': [
    {
      kind: 'ignored',
      id: `${TEST_SUB_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2025-04-15T18:17:12.851Z',
      reason: `Platform metric alert on Transactions (Microsoft.Storage/storageAccounts) ${ONLY_QUOTA_METRICS}`,
      eventType: 'Platform/test-metricAlertRule',
    },
  ],
  'monitor-common-prometheus-alert-node-cpu.json': [
    {
      kind: 'ignored',
      id: '/subscriptions/<subscription id>/providers/Microsoft.AlertsManagement/alerts/2e0b05ad-6367-db4d-efed-f1cd039d5592:Fired',
      source: 'commonAlert',
      observedAt: '2022-11-08T08:01:02.392Z',
      reason: 'Prometheus alert Average node CPU utilization is greater than 80% is not handled',
      eventType: 'Prometheus/RecommendedCIAlerts-aks0001/Average node CPU utilization is greater than 80%',
    },
  ],
  'monitor-common-prometheus-alertcontext.json': [
    {
      kind: 'ignored',
      id: `${FRAGMENT_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2025-04-15T18:20:36.256Z',
      // No alertname label: the name is the last segment of essentials.alertRule.
      reason: 'Prometheus alert fragment-rule is not handled',
      eventType: 'Prometheus/fragment-rule',
    },
  ],
  // RECONSTRUCTED (SOURCES.md): node from Hostname (DCGM exporter's Helm chart sets NODE_NAME), XID from err_code.
  'monitor-common-prometheus-gpu-xid-errors.json': [
    {
      kind: 'gpuFault',
      id: '/subscriptions/<subscription id>/providers/Microsoft.AlertsManagement/alerts/<alert-guid>:Fired',
      source: 'commonAlert',
      observedAt: '2025-04-15T19:02:10.553Z',
      cluster: 'aks-gpu-eus2',
      node: 'aks-gpunp-12345678-vmss000003',
      xid: 79,
      stage: 'active',
    },
  ],
  'monitor-common-prometheus-kube-node-not-ready.json': [
    {
      kind: 'nodeNotReady',
      id: '/subscriptions/<subscription id>/providers/Microsoft.AlertsManagement/alerts/<alert-guid>:Fired',
      source: 'commonAlert',
      observedAt: '2025-04-15T18:30:00.000Z',
      cluster: 'aks-gpu-eus2',
      node: 'aks-gpunp-12345678-vmss000003',
      stage: 'active',
    },
  ],
};

describe('Azure Monitor fixtures', () => {
  it('every monitor-* fixture has a row in the table, and every row a fixture', () => {
    expect(monitorFixtures.length).toBeGreaterThanOrEqual(15);
    expect(Object.keys(EXPECTED).sort()).toEqual(monitorFixtures);
  });

  it.each(monitorFixtures)('%s → exactly the expected signals', (name) => {
    expect(parseAlertBody(monitorBody(name))).toEqual(EXPECTED[name]);
  });

  it.each(monitorFixtures)('%s: a re-delivery (JSON text of the same body) gives the same signals', (name) => {
    const body = monitorBody(name);
    expect(parseAlertBody(JSON.stringify(body))).toEqual(parseAlertBody(body));
  });

  it('a common-schema body without monitoringService is still ignored, not an error', () => {
    const body = withField(fixture('monitor-common-metric-alert-static.json'), 'data.essentials.monitoringService', undefined);
    expect(parseAlertBody(body)).toMatchObject([{ kind: 'ignored', reason: 'monitoringService unknown is not handled yet' }]);
  });

  it('an unknown monitoringService is ignored, naming it', () => {
    const body = withField(fixture('monitor-common-metric-alert-static.json'), 'data.essentials.monitoringService', 'SmartDetector');
    expect(parseAlertBody(body)).toMatchObject([
      { kind: 'ignored', reason: 'monitoringService SmartDetector is not handled yet', eventType: 'SmartDetector/test-metricAlertRule' },
    ]);
  });

  it('every other fixture in the folder (Event Grid, CloudEvents, config) is rejected with SignalParseError', () => {
    const others = fixtureNames().filter((n) => !n.startsWith('monitor-'));
    expect(others.length).toBeGreaterThan(0);
    for (const name of others) {
      expect(() => parseAlertBody(fixture(name)), name).toThrow(SignalParseError);
    }
  });
});

describe('Resource Health (optional family)', () => {
  it('the test-action payload → resourceHealth', () => {
    expect(parseAlertBody(fixture('monitor-common-activitylog-resourcehealth-test-action.json'))).toEqual([
      {
        kind: 'resourceHealth',
        id: '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/12345678-1234-1234-1234-1234567890ab:Fired',
        source: 'commonAlert',
        observedAt: '2025-04-15T18:19:45.304Z',
        resourceId:
          '/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/test-RG/providers/microsoft.compute/virtualmachines/test-VM',
        resourceType: 'microsoft.compute/virtualmachines',
        status: 'unavailable',
        previousStatus: 'available',
        reason: 'Rebooted by user (UserInitiated)',
      },
    ]);
  });

  it('the alertContext fragment (with "+00:00" times) wrapped', () => {
    const [s] = parseAlertBody(monitorBody('monitor-common-activitylog-resourcehealth-alertcontext.json'));
    expect(s).toMatchObject({ kind: 'resourceHealth', status: 'unavailable', observedAt: '2019-06-24T15:42:54.074Z' });
  });

  it('legacy Resource Health on an AKS node → cluster (MC_ convention), pool and node', () => {
    const resourceId =
      '/subscriptions/s/resourceGroups/MC_rg_aks-gpu-eus2_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpunp-12345678-vmss/virtualMachines/37';
    const body = {
      schemaId: 'Microsoft.Insights/activityLogs',
      data: {
        status: 'Activated',
        context: {
          activityLog: {
            channels: 'Admin, Operation',
            eventSource: 'ResourceHealth',
            eventTimestamp: '2018-09-04T23:09:03.343+00:00',
            eventDataId: '2b37e2d0-7bda-4de7-ur8c6-1447d02265b2',
            level: 'Informational',
            operationName: 'Microsoft.Resourcehealth/healthevent/Activated/action',
            properties: {
              title: 'Virtual Machine health status changed to unavailable',
              details: 'Virtual machine has experienced an unexpected event',
              currentHealthStatus: 'Unavailable',
              previousHealthStatus: 'Available',
              type: 'Downtime',
              cause: 'PlatformInitiated',
            },
            resourceId,
            resourceGroupName: 'MC_rg_aks-gpu-eus2_eastus2',
            resourceProviderName: 'Microsoft.Resourcehealth/healthevent/action',
            status: 'Active',
            subscriptionId: 's',
            submissionTimestamp: '2018-09-04T23:11:06.1607287+00:00',
            resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
          },
        },
      },
    };
    const [s] = parseAlertBody(body) as ResourceHealthSignal[];
    expect(s).toEqual({
      kind: 'resourceHealth',
      id: '2b37e2d0-7bda-4de7-ur8c6-1447d02265b2:Activated',
      source: 'legacyAlert',
      observedAt: '2018-09-04T23:09:03.343Z',
      resourceId,
      resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
      status: 'unavailable',
      previousStatus: 'available',
      clusterId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-gpu-eus2',
      pool: 'gpunp',
      node: 'aks-gpunp-12345678-vmss000011', // 37 in base 36 is "11"
      reason: 'Virtual Machine health status changed to unavailable (PlatformInitiated)',
    });
  });

  it('legacy Administrative event → ignored naming eventSource/operationName', () => {
    const body = {
      schemaId: 'Microsoft.Insights/activityLogs',
      data: {
        status: 'Activated',
        context: {
          activityLog: {
            channels: 'Operation',
            eventSource: 'Administrative',
            eventTimestamp: '2017-03-29T15:43:08.0019532+00:00',
            eventDataId: '8195a56a-85de-4663-943e-1a2bf401ad94',
            operationName: 'Microsoft.Insights/actionGroups/write',
            status: 'Started',
          },
        },
        properties: {},
      },
    };
    expect(parseAlertBody(body)).toEqual([
      {
        kind: 'ignored',
        id: '8195a56a-85de-4663-943e-1a2bf401ad94:Activated',
        source: 'legacyAlert',
        observedAt: '2017-03-29T15:43:08.001Z',
        reason: 'Administrative activity-log operation Microsoft.Insights/actionGroups/write (Started) is not a fleet signal',
        eventType: 'Administrative/Microsoft.Insights/actionGroups/write',
      },
    ]);
  });
});
