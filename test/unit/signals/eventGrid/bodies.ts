/**
 * Event Grid / CloudEvents bodies built from the documented schemas (research/signals.md §1–§3) for the
 * Event Grid parser tests, a test fleet index, and fixture loading. Not a test file itself.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetIndex } from '../../../../shared/signals/fleetIndex.js';

export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/signals');

export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(fixturesDir, name), 'utf8')) as unknown;
}

/** The Event Grid, CloudEvents and Resource Notifications fixtures. */
export function eventFixtureNames(): string[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.json') && /^(eventgrid|cloudevents|arn)-/.test(f))
    .sort();
}

export const SUB = '11111111-1111-1111-1111-111111111111';
export const SUB2 = '22222222-2222-2222-2222-222222222222';
export const clusterId = (rg: string, name: string, sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

/** Default node RG `MC_rg-gpu_aks-gpu-eus2_eastus2`. */
export const EUS2 = { id: clusterId('rg-gpu', 'aks-gpu-eus2'), name: 'aks-gpu-eus2', region: 'eastus2' };
/** Custom node resource group. */
export const SWC = { id: clusterId('rg-gpu', 'aks-gpu-swc'), name: 'aks-gpu-swc', region: 'swedencentral', nodeResourceGroup: 'nodes-gpu-swc' };
/** Underscores in both names: the default node RG `MC_rg_ml_aks_train_westus3` cannot be split by convention. */
export const WUS3 = { id: clusterId('rg_ml', 'aks_train'), name: 'aks_train', region: 'westus3' };

export const FLEET: FleetIndex = { clusters: [EUS2, SWC, WUS3] };

export const vmssInstanceId = (nodeRg: string, vmss: string, instance: number | string, sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${nodeRg}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${instance}`;

/** An Event Grid schema event (§1.1). */
export function egEvent(
  eventType: string,
  data: unknown,
  over: { id?: string; topic?: string; subject?: string; eventTime?: string } = {},
): Record<string, unknown> {
  return {
    id: over.id ?? 'evt-0001',
    topic: over.topic ?? `/subscriptions/${SUB}`,
    subject: over.subject ?? '',
    eventType,
    eventTime: over.eventTime ?? '2025-05-01T10:00:00.1234567Z',
    data,
    dataVersion: '1',
    metadataVersion: '1',
  };
}

/** The same event in CloudEvents 1.0 (§1.2): `source` = topic, `time` = eventTime. */
export function toCloudEvent(eg: Record<string, unknown>): Record<string, unknown> {
  const ce: Record<string, unknown> = {
    specversion: '1.0',
    type: eg.eventType,
    source: eg.topic,
    id: eg.id,
    time: eg.eventTime,
    subject: eg.subject,
    data: eg.data,
  };
  return ce;
}

export function aksEvent(kind: string, data: unknown, cluster = EUS2, over: { id?: string; eventTime?: string } = {}): Record<string, unknown> {
  return egEvent(`Microsoft.ContainerService.${kind}`, data, { topic: cluster.id, subject: cluster.name, ...over });
}

/** HealthResources.AvailabilityStatusChanged about `target` (§3.1). */
export function availabilityChanged(
  target: string,
  state: string,
  previous: string | undefined,
  over: { id?: string; eventTime?: string; targetType?: string; extra?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const time = over.eventTime ?? '2025-05-01T10:00:00.1234567Z';
  return egEvent(
    'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
    {
      resourceInfo: {
        id: `${target}/providers/Microsoft.ResourceHealth/availabilityStatuses/${over.id ?? 'evt-0001'}`,
        name: over.id ?? 'evt-0001',
        type: 'Microsoft.ResourceHealth/availabilityStatuses',
        properties: {
          targetResourceId: target,
          targetResourceType: over.targetType ?? 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
          occurredTime: time,
          ...(previous !== undefined ? { previousAvailabilityState: previous } : {}),
          availabilityState: state,
          ...over.extra,
        },
      },
      operationalInfo: { resourceEventTime: time },
      apiVersion: '2023-12-01',
    },
    { id: over.id, subject: target, eventTime: time },
  );
}

/** HealthResources.ResourceAnnotated about `target` (§3.1). */
export function annotated(
  target: string,
  annotationName: string,
  over: { id?: string; summary?: string; context?: string; impactType?: string } = {},
): Record<string, unknown> {
  return egEvent(
    'Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated',
    {
      resourceInfo: {
        id: `${target}/providers/Microsoft.ResourceHealth/resourceAnnotations/${over.id ?? 'evt-0001'}`,
        name: over.id ?? 'evt-0001',
        type: 'Microsoft.ResourceHealth/resourceAnnotations',
        properties: {
          targetResourceId: target,
          targetResourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
          occurredTime: '2025-05-01T10:00:00.1234567Z',
          annotationName,
          reason: 'Some reason',
          summary: over.summary ?? 'Some summary.',
          context: over.context ?? 'Platform Initiated',
          category: 'Unplanned',
          ...(over.impactType !== undefined ? { impactType: over.impactType } : {}),
        },
      },
      operationalInfo: { resourceEventTime: '2025-05-01T10:00:00.1234567Z' },
      apiVersion: '2022-08-01',
    },
    { id: over.id, subject: target },
  );
}

/** Resources.CreatedOrUpdated / Deleted for an ARM resource (§3.2). */
export function resourceEvent(
  change: 'CreatedOrUpdated' | 'Deleted',
  resource: { id: string; name: string; type: string; properties?: Record<string, unknown> },
  over: { id?: string } = {},
): Record<string, unknown> {
  return egEvent(
    `Microsoft.ResourceNotifications.Resources.${change}`,
    {
      resourceInfo: {
        id: resource.id,
        name: resource.name,
        type: resource.type,
        ...(resource.properties !== undefined ? { location: 'eastus2', tags: {}, properties: resource.properties } : {}),
      },
      operationalInfo: { resourceEventTime: '2025-05-01T10:00:00.1234567' },
      ...(change === 'CreatedOrUpdated' ? { apiVersion: '2024-02-01' } : {}),
    },
    { id: over.id, subject: resource.id },
  );
}

/** ContainerServiceEventResources.ScheduledEventEmitted with the given `resourceInfo.properties` (§3.3). */
export function scheduledEvent(properties: Record<string, unknown>, cluster = EUS2, over: { id?: string } = {}): Record<string, unknown> {
  return egEvent(
    'Microsoft.ResourceNotifications.ContainerServiceEventResources.ScheduledEventEmitted',
    {
      resourceInfo: {
        id: `${cluster.id}/scheduledEvents/sched-1`,
        name: 'sched-1',
        type: 'Microsoft.ContainerService/managedClusters/scheduledEvents',
        location: cluster.region,
        properties: { resources: [cluster.id], resourceType: 'ManagedCluster', ...properties },
      },
      operationalInfo: { resourceEventTime: '2025-05-01T10:00:00.1234567' },
      apiVersion: '2023-11-02-preview',
    },
    { id: over.id, subject: `${cluster.id}/scheduledEvents/sched-1` },
  );
}

/** A subscription validation event in the Event Grid schema (§1.3). */
export function validationEvent(code: string): Record<string, unknown> {
  return egEvent('Microsoft.EventGrid.SubscriptionValidationEvent', {
    validationCode: code,
    validationUrl: `https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/sub/validate?id=${code}&token=x`,
  });
}

/**
 * `n` events of mixed types (AKS rolling/lifecycle, health changes of AKS nodes, annotations, ARN resources,
 * scheduled events, Storage noise), each with a unique id `evt-<i>`.
 */
export function mixedBatch(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const nodeRg = 'MC_rg-gpu_aks-gpu-eus2_eastus2';
  for (let i = 0; i < n; i++) {
    const id = `evt-${i}`;
    const eventTime = new Date(Date.UTC(2025, 4, 1, 10, 0, 0) + i * 1000).toISOString().replace('Z', '0000Z');
    switch (i % 8) {
      case 0:
        out.push(aksEvent(['NodePoolRollingStarted', 'NodePoolRollingSucceeded', 'NodePoolRollingFailed'][i % 3] as string, { nodePoolName: `gpu${i % 5}` }, EUS2, { id, eventTime }));
        break;
      case 1:
        out.push(availabilityChanged(vmssInstanceId(nodeRg, 'aks-gpu1-12345678-vmss', i), i % 2 ? 'Unavailable' : 'Available', 'Available', { id, eventTime }));
        break;
      case 2:
        out.push(annotated(vmssInstanceId(nodeRg, 'aks-gpu2-87654321-vmss', i), 'VirtualMachinePreempted', { id }));
        break;
      case 3:
        out.push(aksEvent('ClusterSupportEnding', { kubernetesVersion: '1.29.4' }, SWC, { id, eventTime }));
        break;
      case 4:
        out.push(scheduledEvent({ description: 'ScheduledEvents', eventSource: 'AutoUpgrader', eventStatus: 'Scheduled', eventDetails: 'node image upgrade', scheduledTime: '2025-05-08T00:00:00Z' }, EUS2, { id }));
        break;
      case 5:
        out.push(resourceEvent('CreatedOrUpdated', { id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa${i}`, name: `sa${i}`, type: 'Microsoft.Storage/storageAccounts', properties: {} }, { id }));
        break;
      case 6:
        out.push(egEvent('Microsoft.Storage.BlobCreated', { url: 'https://example.invalid/blob' }, { id, eventTime }));
        break;
      default:
        out.push(aksEvent('NewKubernetesVersionAvailable', { latestSupportedKubernetesVersion: '1.31.2', latestStableKubernetesVersion: '1.30.6', lowestMinorKubernetesVersion: '1.29.10' }, WUS3, { id, eventTime }));
    }
  }
  return out;
}
