/**
 * parseEventGridBody on bodies built from the schemas (research/signals.md §1–§3): batches, CloudEvents,
 * validation handshakes, AKS node health, malformed batch members, bodies that are not Event Grid at all.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SignalParseError,
  parseEventGridBody,
  type EventGridParse,
  type ResourceHealthSignal,
  type Signal,
} from '../../../../shared/signals/index.js';
import {
  EUS2,
  FLEET,
  SUB,
  SUB2,
  SWC,
  WUS3,
  aksEvent,
  annotated,
  availabilityChanged,
  clusterId,
  egEvent,
  mixedBatch,
  resourceEvent,
  scheduledEvent,
  toCloudEvent,
  validationEvent,
  vmssInstanceId,
} from './bodies.js';

function signals(r: EventGridParse): Signal[] {
  if (r.kind !== 'signals') throw new Error(`expected signals, got ${r.kind}`);
  return r.signals;
}

function errorField(body: unknown): string {
  try {
    parseEventGridBody(body);
  } catch (e) {
    if (e instanceof SignalParseError) return e.field;
    throw e;
  }
  throw new Error('expected a SignalParseError');
}

const one = (body: unknown, fleet = FLEET): Signal => {
  const s = signals(parseEventGridBody(body, { fleet }));
  expect(s).toHaveLength(1);
  return s[0] as Signal;
};

describe('a 1,000-event Event Grid batch of mixed types', () => {
  const batch = mixedBatch(1000);

  it('one signal per event, in order, keyed by the event id', () => {
    const r = parseEventGridBody(batch, { fleet: FLEET });
    expect(r.kind).toBe('signals');
    const s = signals(r);
    expect(s).toHaveLength(1000);
    expect(s.map((x) => x.id)).toEqual(batch.map((e) => e.id));
    expect(new Set(s.map((x) => x.source))).toEqual(new Set(['eventGrid']));
  });

  it('each type becomes its kind', () => {
    const s = signals(parseEventGridBody(batch, { fleet: FLEET }));
    const kinds = s.slice(0, 8).map((x) => x.kind);
    expect(kinds).toEqual(['poolRollout', 'resourceHealth', 'resourceHealth', 'clusterLifecycle', 'clusterLifecycle', 'ignored', 'ignored', 'clusterLifecycle']);
    const count = (k: string): number => s.filter((x) => x.kind === k).length;
    expect(count('poolRollout')).toBe(125);
    expect(count('resourceHealth')).toBe(250);
    expect(count('clusterLifecycle')).toBe(375);
    expect(count('ignored')).toBe(250);
    expect(s[9]).toEqual({
      kind: 'resourceHealth',
      id: 'evt-9',
      source: 'eventGrid',
      observedAt: '2025-05-01T10:00:09.000Z',
      resourceId: vmssInstanceId('MC_rg-gpu_aks-gpu-eus2_eastus2', 'aks-gpu1-12345678-vmss', 9),
      resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
      status: 'unavailable',
      previousStatus: 'available',
      clusterId: EUS2.id,
      pool: 'gpu1',
      node: 'aks-gpu1-12345678-vmss000009',
    });
    expect(s[10]).toMatchObject({ kind: 'resourceHealth', status: 'unavailable', pool: 'gpu2', node: 'aks-gpu2-87654321-vmss00000a', clusterId: EUS2.id });
    expect(s[11]).toMatchObject({ kind: 'clusterLifecycle', clusterId: SWC.id, event: 'supportEnding', detail: 'kubernetesVersion=1.29.4' });
    expect(s[15]).toMatchObject({ kind: 'clusterLifecycle', clusterId: WUS3.id, event: 'newKubernetesVersionAvailable' });
  });

});

// Throughput is measured by `npm run bench` (bench/signalParsing.ts), never by a timed test.

describe('CloudEvents 1.0', () => {
  it('a single CloudEvent object', () => {
    const ce = toCloudEvent(aksEvent('NodePoolRollingStarted', { nodePoolName: 'GPU1' }, EUS2, { id: 'ce-1' }));
    expect(parseEventGridBody(ce, { fleet: FLEET })).toEqual({
      kind: 'signals',
      schema: 'cloudEvents',
      signals: [{ kind: 'poolRollout', id: 'ce-1', source: 'cloudEvents', observedAt: '2025-05-01T10:00:00.123Z', clusterId: EUS2.id, pool: 'gpu1', phase: 'started' }],
    });
  });

  it('a batch: the same signals as the Event Grid batch, with source cloudEvents', () => {
    const batch = mixedBatch(64);
    const fromEg = signals(parseEventGridBody(batch, { fleet: FLEET }));
    const r = parseEventGridBody(batch.map(toCloudEvent), { fleet: FLEET });
    expect(r.kind === 'signals' && r.schema).toBe('cloudEvents');
    expect(signals(r)).toEqual(fromEg.map((s) => ({ ...s, source: 'cloudEvents' })));
  });

  it('no `time`: the Resource Notifications data time is used', () => {
    const ce = toCloudEvent(availabilityChanged(vmssInstanceId('MC_rg-gpu_aks-gpu-eus2_eastus2', 'aks-gpu1-12345678-vmss', 1), 'Degraded', undefined, { eventTime: '2025-06-01T01:02:03.4567891' }));
    delete ce.time;
    expect(one(ce)).toMatchObject({ kind: 'resourceHealth', status: 'degraded', observedAt: '2025-06-01T01:02:03.456Z' });
  });

  it('no usable time at all: a single CloudEvent is refused naming `time`', () => {
    const ce = toCloudEvent(aksEvent('NodePoolRollingStarted', { nodePoolName: 'gpu1' }));
    delete ce.time;
    expect(errorField(ce)).toBe('time');
  });

  it('binary data (data_base64) holding JSON is read', () => {
    const ce = toCloudEvent(aksEvent('NodePoolRollingFailed', {}, EUS2, { id: 'b64' }));
    delete ce.data;
    ce.data_base64 = Buffer.from(JSON.stringify({ nodePoolName: 'gpu3' })).toString('base64');
    expect(one(ce)).toMatchObject({ kind: 'poolRollout', pool: 'gpu3', phase: 'failed' });
  });

  it('a CloudEvent that is not 1.0 is refused naming specversion', () => {
    const ce = { ...toCloudEvent(aksEvent('NodePoolRollingFailed', { nodePoolName: 'gpu1' })), specversion: '0.3' };
    expect(errorField(ce)).toBe('specversion');
  });
});

describe('subscription validation handshakes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('Event Grid schema → the code; validationUrl is never fetched', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const r = parseEventGridBody([validationEvent('code-123')]);
    expect(r).toEqual({ kind: 'validation', validationCode: 'code-123', schema: 'eventGrid' });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('CloudEvents with data as an object, and as JSON text (relayed by the Functions host)', () => {
    const ce = toCloudEvent(validationEvent('code-ce'));
    expect(parseEventGridBody(ce)).toEqual({ kind: 'validation', validationCode: 'code-ce', schema: 'cloudEvents' });
    const textData = { ...ce, data: JSON.stringify(ce.data) };
    expect(parseEventGridBody(textData)).toEqual({ kind: 'validation', validationCode: 'code-ce', schema: 'cloudEvents' });
    expect(parseEventGridBody([textData])).toEqual({ kind: 'validation', validationCode: 'code-ce', schema: 'cloudEvents' });
  });

  it('the event type is matched ignoring case', () => {
    const e = { ...validationEvent('c'), eventType: 'microsoft.eventgrid.subscriptionvalidationevent' };
    expect(parseEventGridBody([e])).toMatchObject({ kind: 'validation', validationCode: 'c' });
  });

  it('a validation event without a code is refused, naming the field', () => {
    const e = egEvent('Microsoft.EventGrid.SubscriptionValidationEvent', { validationUrl: 'https://example.invalid' });
    expect(errorField([e])).toBe('[0].data.validationCode');
    expect(errorField(e)).toBe('data.validationCode');
  });
});

describe('AvailabilityStatusChanged for a VMSS instance in an AKS node resource group', () => {
  const sub = SUB;
  const defaultRg = 'MC_rg-gpu_aks-gpu-eus2_eastus2';

  it('default node RG, with the fleet: the fleet cluster, pool and node', () => {
    const s = one(availabilityChanged(vmssInstanceId(defaultRg, 'aks-gpu1-12345678-vmss', 10), 'Unavailable', 'Available'));
    expect(s).toMatchObject({ kind: 'resourceHealth', status: 'unavailable', previousStatus: 'available', clusterId: EUS2.id, pool: 'gpu1', node: 'aks-gpu1-12345678-vmss00000a' });
  });

  it('default node RG, no fleet: the cluster from the MC_<rg>_<cluster>_<region> convention', () => {
    const s = signals(parseEventGridBody([availabilityChanged(vmssInstanceId(defaultRg, 'aks-gpu1-12345678-vmss', 35), 'Unavailable', 'Available')]))[0];
    expect(s).toMatchObject({ clusterId: clusterId('rg-gpu', 'aks-gpu-eus2', sub), pool: 'gpu1', node: 'aks-gpu1-12345678-vmss00000z' });
  });

  it('custom nodeResourceGroup (any case) with the fleet → that cluster; without the fleet → pool and node only', () => {
    const target = vmssInstanceId('NODES-GPU-SWC', 'aks-a100-11112222-vmss', 36);
    const withFleet = one(availabilityChanged(target, 'Degraded', 'Available')) as ResourceHealthSignal;
    expect(withFleet).toMatchObject({ status: 'degraded', clusterId: SWC.id, pool: 'a100', node: 'aks-a100-11112222-vmss000010' });
    const noFleet = signals(parseEventGridBody([availabilityChanged(target, 'Degraded', 'Available')]))[0] as ResourceHealthSignal;
    expect(noFleet.clusterId).toBeUndefined();
    expect(noFleet).toMatchObject({ pool: 'a100', node: 'aks-a100-11112222-vmss000010' });
  });

  it('underscores in group and cluster names: the fleet resolves them, the convention does not guess', () => {
    const target = vmssInstanceId('MC_rg_ml_aks_train_westus3', 'aks-h100-99998888-vmss', 0);
    expect(one(availabilityChanged(target, 'Unavailable', 'Available'))).toMatchObject({ clusterId: WUS3.id, pool: 'h100', node: 'aks-h100-99998888-vmss000000' });
    const noFleet = signals(parseEventGridBody([availabilityChanged(target, 'Unavailable', 'Available')]))[0] as ResourceHealthSignal;
    expect(noFleet.clusterId).toBeUndefined();
    expect(noFleet.node).toBe('aks-h100-99998888-vmss000000');
  });

  it('the same node RG name in another subscription is not the fleet cluster', () => {
    const target = vmssInstanceId('nodes-gpu-swc', 'aks-a100-11112222-vmss', 1, SUB2);
    const s = one(availabilityChanged(target, 'Unavailable', 'Available')) as ResourceHealthSignal;
    expect(s.clusterId).toBeUndefined();
  });

  it('status and previous status are lower-cased; anything else is unknown; previous absent stays absent', () => {
    const target = vmssInstanceId(defaultRg, 'aks-gpu1-12345678-vmss', 2);
    const s = one(availabilityChanged(target, 'DEGRADED', 'Rebooting')) as ResourceHealthSignal;
    expect([s.status, s.previousStatus]).toEqual(['degraded', 'unknown']);
    const t = one(availabilityChanged(target, 'Available', undefined)) as ResourceHealthSignal;
    expect(t.status).toBe('available');
    expect('previousStatus' in t).toBe(false);
  });

  it('observedAt is the event time; the data\'s resourceEventTime is only a fallback', () => {
    const target = vmssInstanceId(defaultRg, 'aks-gpu1-12345678-vmss', 2);
    const e = availabilityChanged(target, 'Unavailable', 'Available', { eventTime: '2025-05-01T09:00:00.0000000Z' });
    e.eventTime = '2025-05-01T10:30:00.5000000Z';
    expect(one(e).observedAt).toBe('2025-05-01T10:30:00.500Z');
    e.eventTime = 'not a time';
    expect(one(e).observedAt).toBe('2025-05-01T09:00:00.000Z');
  });

  it('a reason when the event has one', () => {
    const target = vmssInstanceId(defaultRg, 'aks-gpu1-12345678-vmss', 2);
    const s = one(availabilityChanged(target, 'Unavailable', 'Available', { extra: { reasonType: 'Unplanned', summary: 'Host failure' } }));
    expect(s).toMatchObject({ reason: 'Unplanned: Host failure' });
  });

  it('a VM outside AKS: no cluster fields', () => {
    const vm = `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-1`;
    const s = one(availabilityChanged(vm, 'Unavailable', 'Available', { targetType: 'Microsoft.Compute/virtualMachines' }));
    expect(s).toEqual({
      kind: 'resourceHealth',
      id: 'evt-0001',
      source: 'eventGrid',
      observedAt: '2025-05-01T10:00:00.123Z',
      resourceId: vm,
      resourceType: 'Microsoft.Compute/virtualMachines',
      status: 'unavailable',
      previousStatus: 'available',
    });
  });

  it('no targetResourceId: recovered from resourceInfo.id; nothing at all → ignored naming the field', () => {
    const target = vmssInstanceId(defaultRg, 'aks-gpu1-12345678-vmss', 3);
    const e = availabilityChanged(target, 'Unavailable', 'Available') as { data: { resourceInfo: { properties: Record<string, unknown> } } };
    delete e.data.resourceInfo.properties.targetResourceId;
    delete e.data.resourceInfo.properties.targetResourceType;
    expect(one(e)).toMatchObject({ resourceId: target, resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', node: 'aks-gpu1-12345678-vmss000003' });
    const bare = egEvent('Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged', { resourceInfo: { properties: {} } });
    expect(one(bare)).toMatchObject({ kind: 'ignored', reason: 'data.resourceInfo.properties.targetResourceId is missing' });
  });
});

describe('ResourceAnnotated → a status from the annotation', () => {
  const target = vmssInstanceId('MC_rg-gpu_aks-gpu-eus2_eastus2', 'aks-gpu1-12345678-vmss', 4);

  it.each([
    ['VirtualMachineDeallocationInitiated', 'unavailable'],
    ['VirtualMachineRebootInitiatedByControlPlane', 'unavailable'],
    ['VirtualMachinePreempted', 'unavailable'],
    ['VirtualMachineRebootInitiatedForPlannedMaintenance', 'unavailable'],
    ['VirtualMachineHostCrashed', 'unavailable'],
    ['VirtualMachinePossiblyDegradedDueToHardwareFailure', 'degraded'],
    ['VirtualMachineScheduledForServiceHealing', 'degraded'],
    ['VirtualMachinePlannedFreezeStarted', 'degraded'],
    ['VirtualMachineAllocated', 'unknown'],
    ['LiveMigrationSucceeded', 'unknown'],
  ])('%s → %s', (name, status) => {
    expect(one(annotated(target, name))).toMatchObject({ kind: 'resourceHealth', status, pool: 'gpu1', clusterId: EUS2.id });
  });

  it('an unknown annotation → unknown, reason = name (context): summary', () => {
    expect(one(annotated(target, 'VirtualMachineSomethingNew', { summary: 'New thing.', context: 'Platform Initiated' }))).toMatchObject({
      status: 'unknown',
      reason: 'VirtualMachineSomethingNew (Platform Initiated): New thing.',
    });
  });

  it('an unknown annotation with an impactType gets its status from it', () => {
    expect(one(annotated(target, 'VirtualMachineSomethingNew', { impactType: 'Downtime Reboot' }))).toMatchObject({ status: 'unavailable' });
    expect(one(annotated(target, 'VirtualMachineSomethingNew', { impactType: 'Degraded' }))).toMatchObject({ status: 'degraded' });
  });

  it('annotation names are matched ignoring case', () => {
    expect(one(annotated(target, 'virtualmachinepreempted'))).toMatchObject({ status: 'unavailable' });
  });
});

describe('AKS system topic', () => {
  it('pool names are lower-cased; a missing nodePoolName → ignored naming the field', () => {
    expect(one(aksEvent('NodePoolRollingSucceeded', { nodePoolName: ' GPU7 ' }))).toMatchObject({ kind: 'poolRollout', pool: 'gpu7', phase: 'succeeded', clusterId: EUS2.id });
    expect(one(aksEvent('NodePoolRollingSucceeded', {}))).toMatchObject({ kind: 'ignored', reason: 'data.nodePoolName is missing' });
    expect(signals(parseEventGridBody([aksEvent('NodePoolRollingSucceeded', { nodePoolName: 5 })]))[0]).toMatchObject({ pool: '5' });
  });

  it('the fleet spelling of the cluster id wins over the topic casing', () => {
    const topic = EUS2.id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/');
    const e = egEvent('Microsoft.ContainerService.NodePoolRollingStarted', { nodePoolName: 'gpu1' }, { topic, subject: 'AKS-GPU-EUS2' });
    expect(one(e)).toMatchObject({ clusterId: EUS2.id });
    expect(signals(parseEventGridBody([e]))[0]).toMatchObject({ clusterId: clusterId('RG-GPU', 'AKS-GPU-EUS2', SUB.toUpperCase()) });
  });

  it('a topic that is not a cluster id: the fleet cluster named like the subject, else ignored', () => {
    const e = egEvent('Microsoft.ContainerService.ClusterSupportEnded', { kubernetesVersion: '1.27.1' }, { topic: 'garbage', subject: 'aks-gpu-swc' });
    expect(one(e)).toMatchObject({ kind: 'clusterLifecycle', clusterId: SWC.id, event: 'supportEnded', detail: 'kubernetesVersion=1.27.1' });
    expect(signals(parseEventGridBody([e]))[0]).toMatchObject({ kind: 'ignored', reason: 'cannot tell which cluster: [0].topic garbage is not a managed cluster id' });
  });

  it('NewKubernetesVersionAvailable without a preview version, and with no data', () => {
    const e = aksEvent('NewKubernetesVersionAvailable', { latestSupportedKubernetesVersion: '1.31.2', latestStableKubernetesVersion: '1.30.6', lowestMinorKubernetesVersion: '1.29.10' });
    expect(one(e)).toMatchObject({ detail: 'latestSupported=1.31.2; latestStable=1.30.6; lowestMinor=1.29.10' });
    const bare = one(aksEvent('NewKubernetesVersionAvailable', null));
    expect(bare).toMatchObject({ kind: 'clusterLifecycle', event: 'newKubernetesVersionAvailable' });
    expect('detail' in bare).toBe(false);
  });

  it('event types are dispatched ignoring case; other AKS types are ignored with their type', () => {
    const e = { ...aksEvent('NodePoolRollingFailed', { nodePoolName: 'gpu1' }), eventType: 'microsoft.containerservice.nodepoolrollingfailed' };
    expect(one(e)).toMatchObject({ kind: 'poolRollout', phase: 'failed' });
    expect(one(aksEvent('ClusterUpgradeStarted', {}))).toMatchObject({
      kind: 'ignored',
      reason: 'AKS event type not used by the autopilot',
      eventType: 'Microsoft.ContainerService.ClusterUpgradeStarted',
    });
  });
});

describe('Resources.CreatedOrUpdated / Deleted', () => {
  const pool = { id: `${EUS2.id}/agentPools/gpu1`, name: 'gpu1', type: 'Microsoft.ContainerService/managedClusters/agentPools' };
  const cluster = { id: EUS2.id, name: EUS2.name, type: 'Microsoft.ContainerService/managedClusters' };

  it('a managed cluster: created (Creating), updated, deleted', () => {
    expect(one(resourceEvent('CreatedOrUpdated', { ...cluster, properties: { provisioningState: 'Creating', kubernetesVersion: '1.30.6' } }))).toEqual({
      kind: 'clusterLifecycle',
      id: 'evt-0001',
      source: 'eventGrid',
      observedAt: '2025-05-01T10:00:00.123Z',
      clusterId: EUS2.id,
      event: 'created',
      detail: 'provisioningState=Creating; kubernetesVersion=1.30.6',
    });
    expect(one(resourceEvent('CreatedOrUpdated', { ...cluster, properties: { provisioningState: 'Succeeded', currentKubernetesVersion: '1.30.6', powerState: { code: 'Running' } } }))).toMatchObject({
      event: 'updated',
      detail: 'provisioningState=Succeeded; kubernetesVersion=1.30.6; powerState=Running',
    });
    const del = one(resourceEvent('Deleted', cluster));
    expect(del).toMatchObject({ kind: 'clusterLifecycle', clusterId: EUS2.id, event: 'deleted' });
    expect('detail' in del).toBe(false);
  });

  it('an agent pool: agentPool:<change> on its cluster, never the cluster\'s own event', () => {
    expect(one(resourceEvent('CreatedOrUpdated', { ...pool, properties: { provisioningState: 'Succeeded', count: 3, vmSize: 'Standard_ND96asr_v4', orchestratorVersion: '1.30.6' } }))).toMatchObject({
      kind: 'clusterLifecycle',
      clusterId: EUS2.id,
      event: 'agentPool:updated',
      detail: 'pool=gpu1; provisioningState=Succeeded; count=3; vmSize=Standard_ND96asr_v4; orchestratorVersion=1.30.6',
    });
    expect(one(resourceEvent('Deleted', pool))).toMatchObject({ event: 'agentPool:deleted', detail: 'pool=gpu1' });
  });

  it('a cluster type with an id that is not a cluster id → ignored', () => {
    expect(one(resourceEvent('Deleted', { ...cluster, id: 'not-an-id' }))).toMatchObject({ kind: 'ignored', reason: 'data.resourceInfo.id is not a managed cluster id' });
  });
});

describe('ScheduledEventEmitted', () => {
  it('EOL notice whose eventDetails is JSON text', () => {
    const e = scheduledEvent({
      description: 'KubernetesVersionOutOfSupport',
      eventSource: 'EOLNotification',
      eventStatus: 'Completed',
      eventDetails: JSON.stringify({ kubernetesVersion: '1.29.0', preview: false }),
      scheduledTime: '0001-01-01T00:00:00.0000000Z',
    }, SWC);
    expect(one(e)).toMatchObject({
      kind: 'clusterLifecycle',
      clusterId: SWC.id,
      event: 'eol:KubernetesVersionOutOfSupport',
      detail: 'eventSource=EOLNotification; eventStatus=Completed; kubernetesVersion=1.29.0; preview=false',
    });
  });

  it('maintenance with a start time; no cluster anywhere → ignored', () => {
    const e = scheduledEvent({ eventSource: 'AutoUpgrader', eventStatus: 'Canceled', startTime: '2025-05-02T03:04:05+02:00' });
    expect(one(e)).toMatchObject({ event: 'maintenance:Canceled', detail: 'eventSource=AutoUpgrader; startTime=2025-05-02T01:04:05.000Z' });
    const lost = egEvent('Microsoft.ResourceNotifications.ContainerServiceEventResources.ScheduledEventEmitted', { resourceInfo: { properties: { eventStatus: 'Started' } } });
    expect(one(lost)).toMatchObject({ kind: 'ignored' });
  });
});

describe('a malformed member of a batch is ignored; the rest parse', () => {
  const good1 = aksEvent('NodePoolRollingFailed', { nodePoolName: 'gpu1' }, EUS2, { id: 'good-1', eventTime: '2025-05-01T10:00:00Z' });
  const good2 = aksEvent('NodePoolRollingSucceeded', { nodePoolName: 'gpu2' }, EUS2, { id: 'good-2' });
  const noType = { ...good1, id: 'no-type' } as Record<string, unknown>;
  delete noType.eventType;
  const noId = { ...good1 } as Record<string, unknown>;
  delete noId.id;
  const badTime = { ...good1, id: 'bad-time', eventTime: 'soon' };
  const oldCe = { specversion: '0.3', type: 'x', source: '/x', id: 'old-ce', time: '2025-05-01T11:00:00Z' };

  it('each bad member says which field is wrong; good members are untouched', () => {
    const s = signals(parseEventGridBody([good1, 42, noType, noId, badTime, oldCe, good2], { fleet: FLEET }));
    expect(s).toHaveLength(7);
    expect(s[0]).toMatchObject({ kind: 'poolRollout', id: 'good-1', pool: 'gpu1' });
    expect(s[6]).toMatchObject({ kind: 'poolRollout', id: 'good-2', pool: 'gpu2' });
    expect(s[1]).toMatchObject({ kind: 'ignored', source: 'eventGrid', observedAt: '2025-05-01T10:00:00.000Z', reason: 'malformed event: [1] must be an event object, got a number' });
    expect(s[2]).toMatchObject({ kind: 'ignored', id: 'no-type', reason: 'malformed event: [2].eventType is missing (an Event Grid event names its type)' });
    expect(s[3]).toMatchObject({ kind: 'ignored', reason: 'malformed event: [3].id is missing (an Event Grid event has an id)', eventType: 'Microsoft.ContainerService.NodePoolRollingFailed' });
    expect(s[3]?.id).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(s[4]).toMatchObject({ kind: 'ignored', id: 'bad-time', reason: expect.stringContaining('[4].eventTime') });
    expect(s[5]).toMatchObject({ kind: 'ignored', id: 'old-ce', source: 'cloudEvents', observedAt: '2025-05-01T11:00:00.000Z', reason: 'malformed event: [5].specversion must be "1.0" (CloudEvents 1.0)' });
  });

  it('the digest id of an id-less member is stable across redeliveries', () => {
    const a = signals(parseEventGridBody([good1, noId]))[1];
    const b = signals(parseEventGridBody(JSON.stringify([good1, structuredClone(noId)])))[1];
    expect(a?.id).toBe(b?.id);
  });

  it('a batch in which no member is an event is refused, naming the first member\'s problem', () => {
    expect(errorField([noType, 42])).toBe('[0].eventType');
    expect(errorField([42, noType])).toBe('[0]');
  });
});

describe('bodies that are not Event Grid or CloudEvents → SignalParseError naming the field', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'body'],
    ['a number', 42, 'body'],
    ['a boolean', true, 'body'],
    ['empty text', '', 'body'],
    ['whitespace', '  \n', 'body'],
    ['text that is not JSON', 'hello', 'body'],
    ['an empty array', [], 'body'],
    ['an empty object', {}, 'specversion'],
    ['the validation response', { validationResponse: 'x' }, 'specversion'],
    ['an action-group alert', { schemaId: 'azureMonitorCommonAlertSchema', data: {} }, 'specversion'],
    ['an array of strings', ['a', 'b'], '[0]'],
    ['an array of objects without eventType', [{ id: 'x' }], '[0].eventType'],
    ['an Event Grid object without id', { eventType: 'x', eventTime: '2025-01-01T00:00:00Z' }, 'id'],
    ['an Event Grid object with a bad time', { eventType: 'x', id: '1', eventTime: 'later' }, 'eventTime'],
    ['a CloudEvent without type', { specversion: '1.0', id: '1', source: '/s' }, 'type'],
    ['a CloudEvent without source', { specversion: '1.0', id: '1', type: 't' }, 'source'],
    ['a CloudEvent without id', { specversion: '1.0', source: '/s', type: 't' }, 'id'],
  ])('%s → %s', (_what, body, fieldName) => {
    expect(errorField(body)).toBe(fieldName);
  });

  it('bytes are decoded like text', () => {
    const bytes = new TextEncoder().encode(JSON.stringify([validationEvent('bytes')]));
    expect(parseEventGridBody(bytes)).toMatchObject({ kind: 'validation', validationCode: 'bytes' });
  });
});
