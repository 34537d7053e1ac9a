import { describe, expect, it } from 'vitest';
import { parseAlertBody, type Signal } from '../../../shared/signals/index.js';
import type { FleetIndex } from '../../../shared/signals/fleetIndex.js';
import {
  AKS_NODE_VMSS_INSTANCE,
  SUB,
  activityLogAlert,
  alertIdOf,
  fixture,
  legacyActivityLog,
  legacyResourceHealth,
  logAlertV1,
  withField,
} from './alertBodies.js';

function only(signals: Signal[]): Signal {
  expect(signals).toHaveLength(1);
  return signals[0] as Signal;
}

const AGENT_POOL_WRITE = 'Microsoft.ContainerService/managedClusters/agentPools/write';

describe('Activity log Administrative / Policy / Autoscale / Security → ignored naming operation and status', () => {
  it('Administrative (common schema)', () => {
    expect(parseAlertBody(activityLogAlert())).toEqual([
      {
        kind: 'ignored',
        id: `/subscriptions/${SUB}/resourceGroups/aks-rg/providers/microsoft.insights/activityLogAlerts/fleet-administrative:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T14:00:00.000Z',
        reason: `Activity Log - Administrative activity-log operation ${AGENT_POOL_WRITE} (Succeeded) is not a fleet signal`,
        eventType: `Activity Log - Administrative/${AGENT_POOL_WRITE}`,
      },
    ]);
  });

  it.each(['Policy', 'Autoscale', 'Security', 'Recommendation'])('%s (common schema)', (category) => {
    expect(only(parseAlertBody(activityLogAlert({ category, status: 'Failed', subStatus: 'Conflict' })))).toMatchObject({
      kind: 'ignored',
      reason: `Activity Log - ${category} activity-log operation ${AGENT_POOL_WRITE} (Failed/Conflict) is not a fleet signal`,
      eventType: `Activity Log - ${category}/${AGENT_POOL_WRITE}`,
    });
  });

  it('operationName and status as { value, localizedValue } objects (activity-log REST shape)', () => {
    const body = activityLogAlert({
      operationName: { value: 'Microsoft.Compute/virtualMachineScaleSets/delete', localizedValue: 'Delete Virtual Machine Scale Set' },
      status: { value: 'Started', localizedValue: 'Started' },
      subStatus: { value: '', localizedValue: '' },
    });
    expect(only(parseAlertBody(body))).toMatchObject({
      reason: 'Activity Log - Administrative activity-log operation Microsoft.Compute/virtualMachineScaleSets/delete (Started) is not a fleet signal',
      eventType: 'Activity Log - Administrative/Microsoft.Compute/virtualMachineScaleSets/delete',
    });
  });

  it('no operationName, no status, no alertContext → ignored, never a throw', () => {
    expect(only(parseAlertBody(activityLogAlert({ operationName: undefined, status: undefined, subStatus: undefined })))).toMatchObject({
      kind: 'ignored',
      reason: 'Activity Log - Administrative activity-log an event without operationName is not a fleet signal',
      eventType: 'Activity Log - Administrative/fleet-administrative',
    });
    expect(only(parseAlertBody(withField(activityLogAlert(), 'data.alertContext', undefined)))).toMatchObject({ kind: 'ignored' });
  });

  it('legacy schema: Administrative and Autoscale', () => {
    expect(parseAlertBody(legacyActivityLog())).toEqual([
      {
        kind: 'ignored',
        id: '8195a56a-85de-4663-943e-1a2bf401ad94:Activated',
        source: 'legacyAlert',
        observedAt: '2017-03-29T15:43:08.001Z',
        reason: 'Administrative activity-log operation Microsoft.Insights/actionGroups/write (Succeeded) is not a fleet signal',
        eventType: 'Administrative/Microsoft.Insights/actionGroups/write',
      },
    ]);
    expect(
      only(parseAlertBody(legacyActivityLog({ eventSource: 'Autoscale', operationName: 'Microsoft.Insights/AutoscaleSettings/Scaleup/Action' }))),
    ).toMatchObject({ kind: 'ignored', eventType: 'Autoscale/Microsoft.Insights/AutoscaleSettings/Scaleup/Action' });
  });
});

describe('Log Alerts V1 (Log Analytics / Application Insights) → ignored, parsed without throwing', () => {
  const V1_ALERT = alertIdOf('00000000-0000-4000-8000-00000000a1e7');

  it('Log Analytics with firedDateTime', () => {
    expect(parseAlertBody(logAlertV1())).toEqual([
      {
        kind: 'ignored',
        id: `${V1_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2019-03-22T13:36:45.123Z',
        reason:
          'Log Analytics (V1) log alert (Number of results) is not handled (query: Perf | where ObjectName == "Processor" | summarize Aggregat…)',
        eventType: 'Log Analytics/fleet-v1-rule',
      },
    ]);
  });

  it('no firedDateTime: the time is SearchIntervalEndtimeUtc (lower-case t) in the legacy "3/22/2019 1:36:31 PM" form', () => {
    expect(only(parseAlertBody(logAlertV1({ firedDateTime: undefined })))).toMatchObject({
      kind: 'ignored',
      observedAt: '2019-03-22T13:36:31.000Z',
    });
    expect(only(parseAlertBody(logAlertV1({ firedDateTime: undefined, searchIntervalEnd: '12/1/2019 12:05:00 AM' })))).toMatchObject({
      observedAt: '2019-12-01T00:05:00.000Z',
    });
  });

  it('Application Insights, and an empty alertContext', () => {
    expect(only(parseAlertBody(logAlertV1({ monitoringService: 'Application Insights' })))).toMatchObject({
      kind: 'ignored',
      eventType: 'Application Insights/fleet-v1-rule',
    });
    expect(only(parseAlertBody(logAlertV1({ alertContext: {} })))).toMatchObject({
      kind: 'ignored',
      reason: 'Log Analytics (V1) log alert is not handled',
    });
  });

  it('the V1 fixture with its firedDateTime removed falls back to SearchIntervalEndtimeUtc', () => {
    const body = withField(fixture('monitor-common-log-alert-v1-metric-measurement.json'), 'data.essentials.firedDateTime', undefined);
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'ignored', observedAt: '2025-04-15T17:57:27.967Z' });
  });
});

describe('Resource Health in the legacy schema → resourceHealth, as in the common schema', () => {
  it('Activated on an AKS node (VMSS instance) → cluster from the MC_ node resource group, pool and node', () => {
    expect(parseAlertBody(legacyResourceHealth())).toEqual([
      {
        kind: 'resourceHealth',
        id: '2b37e2d0-7bda-4de7-8c6a-1447d02265b2:Activated',
        source: 'legacyAlert',
        observedAt: '2017-03-29T15:43:08.001Z',
        resourceId: AKS_NODE_VMSS_INSTANCE,
        resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
        status: 'unavailable',
        previousStatus: 'available',
        clusterId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-gpu-eus2`,
        pool: 'gpunp',
        node: 'aks-gpunp-12345678-vmss000011', // instance 37 = "11" in base 36
        reason: 'Virtual Machine health status changed to unavailable (PlatformInitiated)',
      },
    ]);
  });

  it('a custom node resource group: the cluster comes from the fleet index, and only with it', () => {
    const resourceId = AKS_NODE_VMSS_INSTANCE.replace('MC_rg_aks-gpu-eus2_eastus2', 'gpu-nodes-eus2');
    const clusterId = `/subscriptions/${SUB}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/aks-gpu-eus2`;
    const fleet: FleetIndex = { clusters: [{ id: clusterId, name: 'aks-gpu-eus2', region: 'eastus2', nodeResourceGroup: 'gpu-nodes-eus2' }] };
    expect(only(parseAlertBody(legacyResourceHealth({ resourceId }), { fleet }))).toMatchObject({
      kind: 'resourceHealth',
      clusterId,
      pool: 'gpunp',
      node: 'aks-gpunp-12345678-vmss000011',
    });
    const without = only(parseAlertBody(legacyResourceHealth({ resourceId })));
    expect(without).toMatchObject({ pool: 'gpunp', node: 'aks-gpunp-12345678-vmss000011' });
    expect(without).not.toHaveProperty('clusterId');
  });

  it('Activated and Resolved deliveries of one event have different ids', () => {
    const a = only(parseAlertBody(legacyResourceHealth()));
    const r = only(parseAlertBody(legacyResourceHealth({ dataStatus: 'Resolved', current: 'Available', previous: 'Unavailable' })));
    expect(r).toMatchObject({ kind: 'resourceHealth', id: '2b37e2d0-7bda-4de7-8c6a-1447d02265b2:Resolved', status: 'available' });
    expect(a.id).not.toBe(r.id);
  });

  it('the same event in the common schema, under both spellings of the service, gives the same content', () => {
    const common = (monitoringService: string) => ({
      schemaId: 'azureMonitorCommonAlertSchema',
      data: {
        essentials: {
          alertId: alertIdOf('rh-1'),
          monitorCondition: 'Fired',
          monitoringService,
          alertTargetIDs: [AKS_NODE_VMSS_INSTANCE],
          firedDateTime: '2017-03-29T15:43:10Z',
        },
        alertContext: (legacyResourceHealth()['data'] as any).context.activityLog,
      },
    });
    const legacy = only(parseAlertBody(legacyResourceHealth()));
    for (const service of ['ResourceHealth', 'Resource Health']) {
      const s = only(parseAlertBody(common(service)));
      expect({ ...s, id: '', source: '' }, service).toEqual({ ...legacy, id: '', source: '' });
      expect(s.id).toBe(`${alertIdOf('rh-1')}:Fired`);
    }
  });

  it('legacy without eventSource: the Microsoft.Resourcehealth operation still says Resource Health', () => {
    const body = legacyResourceHealth();
    delete (body['data'] as any).context.activityLog.eventSource;
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'resourceHealth', status: 'unavailable' });
  });
});
