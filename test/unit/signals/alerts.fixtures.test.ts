import { describe, expect, it } from 'vitest';
import {
  SignalParseError,
  parseAlertBody,
  type ResourceHealthSignal,
  type Signal,
} from '../../../shared/signals/index.js';
import { fixture, fixtureNames, withField, wrapAlertContext } from './alertBodies.js';

/** Fragments hold only `alertContext`; this says which monitoringService to wrap them with. */
const FRAGMENT_SERVICE: Record<string, string> = {
  'monitor-common-activitylog-resourcehealth-alertcontext.json': 'ResourceHealth',
  'monitor-common-activitylog-servicehealth-maintenance-alertcontext.json': 'ServiceHealth',
  'monitor-common-log-alert-v2-alertcontext.json': 'Log Alerts V2',
  'monitor-common-prometheus-alertcontext.json': 'Prometheus',
};

function monitorBody(name: string): Record<string, unknown> {
  const raw = fixture(name);
  const service = FRAGMENT_SERVICE[name];
  if ('schemaId' in raw) return raw;
  if (service === undefined) throw new Error(`fragment ${name} needs a monitoringService in FRAGMENT_SERVICE`);
  return wrapAlertContext(raw, { monitoringService: service });
}

const monitorFixtures = fixtureNames('monitor-');
const nonServiceHealth = monitorFixtures.filter((n) => !n.includes('servicehealth'));

describe('Azure Monitor fixtures', () => {
  it('the fixture folder is there', () => {
    expect(monitorFixtures.length).toBeGreaterThanOrEqual(15);
    expect(nonServiceHealth.length).toBeGreaterThanOrEqual(12);
  });

  it.each(nonServiceHealth)('%s → one ignored (or resourceHealth) signal, no throw', (name) => {
    const signals = parseAlertBody(monitorBody(name));
    expect(signals).toHaveLength(1);
    const s = signals[0] as Signal;
    expect(s.source).toBe('commonAlert');
    expect(s.id.length).toBeGreaterThan(0);
    expect(new Date(s.observedAt).toISOString()).toBe(s.observedAt);
    if (name.includes('resourcehealth')) {
      expect(s.kind).toBe('resourceHealth');
    } else {
      expect(s.kind).toBe('ignored');
      if (s.kind === 'ignored') {
        expect(s.reason).toMatch(/^monitoringService .+ is not handled yet$/);
        expect(s.eventType).toBeTruthy();
      }
    }
  });

  it.each([
    ['monitor-common-metric-alert-static.json', 'Platform', 'Platform/test-metricAlertRule'],
    ['monitor-common-log-alert-quota-usage.json', 'Log Alerts V2', 'Log Alerts V2/<quota-alert-rule-name>'],
    ['monitor-common-log-alert-v1-metric-measurement.json', 'Log Analytics', 'Log Analytics/test-logAlertRule-v1-metricMeasurement'],
    ['monitor-common-activitylog-administrative.json', 'Activity Log - Administrative', 'Activity Log - Administrative/test-activityLogAlertRule'],
    [
      'monitor-common-prometheus-kube-node-not-ready.json',
      'Prometheus',
      'Prometheus/KubernetesAlert-RecommendedMetricAlertsaks-gpu-eus2-Node-level/KubeNodeNotReady',
    ],
  ])('%s: reason names %s, eventType is monitoringService/alertRule', (name, service, eventType) => {
    const [s] = parseAlertBody(monitorBody(name));
    expect(s).toMatchObject({ kind: 'ignored', reason: `monitoringService ${service} is not handled yet`, eventType });
  });

  it('a resolved metric alert is keyed on Resolved and observed at resolvedDateTime', () => {
    const [s] = parseAlertBody(monitorBody('monitor-common-metric-alert-resolved-vm-cpu.json'));
    expect(s).toMatchObject({
      kind: 'ignored',
      id: '/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e:Resolved',
      observedAt: '2019-03-22T14:03:16.224Z',
    });
  });

  it('a common-schema body without monitoringService is still ignored, not an error', () => {
    const body = withField(fixture('monitor-common-metric-alert-static.json'), 'data.essentials.monitoringService', undefined);
    expect(parseAlertBody(body)).toMatchObject([{ kind: 'ignored', reason: 'monitoringService unknown is not handled yet' }]);
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

  it('legacy Resource Health on an AKS node → pool and node', () => {
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
        reason: 'activity-log eventSource Administrative is not handled yet',
        eventType: 'Administrative/Microsoft.Insights/actionGroups/write',
      },
    ]);
  });
});
