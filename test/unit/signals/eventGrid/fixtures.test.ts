/**
 * Table test: every Event Grid / CloudEvents / Resource Notifications fixture in test/fixtures/signals
 * (SOURCES.md says where each is from) → the exact parse result, written by reading the fixture. A fixture
 * added without a row here fails the first test. Each Event Grid event is also parsed as a one-element
 * array and as the equivalent CloudEvent.
 */
import { describe, expect, it } from 'vitest';
import { SignalParseError, parseEventGridBody, type EventGridParse, type Signal } from '../../../../shared/signals/index.js';
import { EUS2, eventFixtureNames, fixture, scheduledEvent, toCloudEvent } from './bodies.js';

type Row = { body?: (raw: unknown) => unknown; expected: EventGridParse | { error: string } };

const AKS_TOPIC_CLUSTER =
  '/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.ContainerService/managedClusters/{cluster}';
const AKS_ID = '1234567890abcdef1234567890abcdef12345678';
const VM = '/subscriptions/{subscription-id}/resourceGroups/{rg-name}/providers/Microsoft.Compute/virtualMachines/{vm-name}';

const SPOT_VM =
  '/subscriptions/{subscription-id}/resourceGroups/MC_rg-gpu_aks-gpu-eus2_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spotgpu-12345678-vmss/virtualMachines/10';

const eg = (signal: Signal): EventGridParse => ({ kind: 'signals', schema: 'eventGrid', signals: [signal] });

const TABLE: Record<string, Row> = {
  // FRAGMENT (resourceInfo.properties only): wrapped in a ScheduledEventEmitted event about EUS2.
  'arn-containerservice-eol-notification-properties.json': {
    body: (raw) => [scheduledEvent(raw as Record<string, unknown>, EUS2, { id: 'eol-0001' })],
    expected: eg({
      kind: 'clusterLifecycle',
      id: 'eol-0001',
      source: 'eventGrid',
      observedAt: '2025-05-01T10:00:00.123Z',
      clusterId: EUS2.id,
      event: 'eol:KubernetesVersionEOLOneWeek',
      detail:
        'eventSource=EOLNotification; eventStatus=Scheduled; scheduledTime=2026-03-01T00:00:00.000Z; kubernetesVersion=1.32.3; ' +
        'eolDate=2026-03-01T00:00:00Z; supportType=Community; daysUntilEOL=5; region=eastus',
    }),
  },
  'cloudevents-envelope-blobcreated.json': {
    expected: {
      kind: 'signals',
      schema: 'cloudEvents',
      signals: [
        {
          kind: 'ignored',
          id: '9aeb0fdf-c01e-0131-0922-9eb54906e209',
          source: 'cloudEvents',
          observedAt: '2019-11-18T15:13:39.458Z',
          reason: 'event type not used by the autopilot',
          eventType: 'Microsoft.Storage.BlobCreated',
        },
      ],
    },
  },
  'eventgrid-aks-cluster-support-ended.json': {
    expected: eg({
      kind: 'clusterLifecycle',
      id: AKS_ID,
      source: 'eventGrid',
      observedAt: '2023-03-29T18:00:00.000Z',
      clusterId: AKS_TOPIC_CLUSTER,
      event: 'supportEnded',
      detail: 'kubernetesVersion=1.23.15',
    }),
  },
  'eventgrid-aks-cluster-support-ending.json': {
    expected: eg({
      kind: 'clusterLifecycle',
      id: AKS_ID,
      source: 'eventGrid',
      observedAt: '2023-03-29T18:00:00.000Z',
      clusterId: AKS_TOPIC_CLUSTER,
      event: 'supportEnding',
      detail: 'kubernetesVersion=1.23.15',
    }),
  },
  // The doc sample's topic has `resourceGroups<rg>` (no slash): recovered as group "<rg>".
  'eventgrid-aks-new-kubernetes-version-available.json': {
    expected: eg({
      kind: 'clusterLifecycle',
      id: AKS_ID,
      source: 'eventGrid',
      observedAt: '2021-07-01T04:52:57.000Z',
      clusterId: '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<cluster>',
      event: 'newKubernetesVersionAvailable',
      detail: 'latestSupported=1.20.7; latestStable=1.19.11; lowestMinor=1.18.19; latestPreview=1.21.1',
    }),
  },
  'eventgrid-aks-nodepool-rolling-failed.json': {
    expected: eg({ kind: 'poolRollout', id: AKS_ID, source: 'eventGrid', observedAt: '2023-03-29T18:00:00.000Z', clusterId: AKS_TOPIC_CLUSTER, pool: 'nodepool1', phase: 'failed' }),
  },
  'eventgrid-aks-nodepool-rolling-started.json': {
    expected: eg({ kind: 'poolRollout', id: AKS_ID, source: 'eventGrid', observedAt: '2023-03-29T18:00:00.000Z', clusterId: AKS_TOPIC_CLUSTER, pool: 'nodepool1', phase: 'started' }),
  },
  'eventgrid-aks-nodepool-rolling-succeeded.json': {
    expected: eg({ kind: 'poolRollout', id: AKS_ID, source: 'eventGrid', observedAt: '2023-03-29T18:00:00.000Z', clusterId: AKS_TOPIC_CLUSTER, pool: 'nodepool1', phase: 'succeeded' }),
  },
  // resources[0] uses `resourcegroups` (lower case): the id comes out in canonical casing. `AutoUprader` typo
  // kept; startTime/lastUpdateTime are 0001-01-01 (unset) and left out; 9-digit scheduledTime cut to ms.
  'eventgrid-arn-containerservice-scheduled-event-emitted.json': {
    expected: eg({
      kind: 'clusterLifecycle',
      id: '5bdb52cf-5489-4845-86c8-7fe94a4fc6c1',
      source: 'eventGrid',
      observedAt: '2024-04-16T22:17:12.103Z',
      clusterId: '/subscriptions/{subscription-id}/resourceGroups/{rg-name}/providers/Microsoft.ContainerService/managedClusters/{managedcluster-name}',
      event: 'maintenance:Started',
      detail: 'eventSource=AutoUprader; scheduledTime=2024-04-16T22:17:12.103Z; eventDetails=Start to upgrade security vhd',
    }),
  },
  'eventgrid-arn-health-availability-status-changed.json': {
    expected: eg({
      kind: 'resourceHealth',
      id: '1fb6fa94-d965-4306-abeq-4810f0774e97',
      source: 'eventGrid',
      observedAt: '2023-07-24T19:20:37.924Z',
      resourceId: VM,
      resourceType: 'Microsoft.Compute/virtualMachines',
      status: 'available',
      previousStatus: 'unavailable',
    }),
  },
  'eventgrid-arn-health-resource-annotated.json': {
    expected: eg({
      kind: 'resourceHealth',
      id: '8945cf9b-e220-496e-ab4f-f3a239318995',
      source: 'eventGrid',
      observedAt: '2023-07-24T19:20:37.924Z',
      resourceId: VM,
      resourceType: 'Microsoft.Compute/virtualMachines',
      status: 'unavailable',
      reason:
        'VirtualMachineDeallocationInitiated (Customer Initiated): This virtual machine is stopped and deallocated as requested by an authorized user or process.',
    }),
  },
  // RECONSTRUCTED (SOURCES.md): a Spot VMSS instance of an AKS pool in the default node resource group, so the
  // cluster comes from the MC_ convention; instance 10 is node …vmss00000a; deadline = occurredTime + 30 s.
  'eventgrid-arn-health-resource-annotated-spot-preempted.json': {
    expected: eg({
      kind: 'resourceHealth',
      id: '5b0e6f43-8d2a-4c1e-9f7a-2d4c6e8a0b13',
      source: 'eventGrid',
      observedAt: '2025-04-15T20:11:42.123Z',
      resourceId: SPOT_VM,
      resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
      status: 'unavailable',
      clusterId: '/subscriptions/{subscription-id}/resourceGroups/rg-gpu/providers/Microsoft.ContainerService/managedClusters/aks-gpu-eus2',
      pool: 'spotgpu',
      node: 'aks-spotgpu-12345678-vmss00000a',
      reason:
        'VirtualMachinePreempted (Platform Initiated): This Spot virtual machine is being preempted because Azure needed the capacity back or its price exceeded the maximum price you set.',
      deadline: '2025-04-15T20:12:12.123Z',
    }),
  },
  'eventgrid-arn-resources-created-or-updated.json': {
    expected: eg({
      kind: 'ignored',
      id: '4eef929a-a65c-47dd-93e2-46b8c17c6c17',
      source: 'eventGrid',
      observedAt: '2023-07-28T20:13:10.841Z',
      reason: 'resource type Microsoft.Storage/storageAccounts is not a managed cluster or agent pool',
      eventType: 'Microsoft.ResourceNotifications.Resources.CreatedOrUpdated',
    }),
  },
  'eventgrid-arn-resources-deleted.json': {
    expected: eg({
      kind: 'ignored',
      id: 'd4611260-d179-4f86-b196-3a9d4128be2d',
      source: 'eventGrid',
      observedAt: '2023-07-28T20:11:36.634Z',
      reason: 'resource type Microsoft.Storage/storageAccounts is not a managed cluster or agent pool',
      eventType: 'Microsoft.ResourceNotifications.Resources.Deleted',
    }),
  },
  // Headers-only description of the OPTIONS handshake: its request body is empty.
  'eventgrid-cloudevents-abuse-protection-handshake.json': {
    body: (raw) => (raw as { request: { body: unknown } }).request.body,
    expected: { error: 'body' },
  },
  // dataVersion "" (the doc sample): accepted.
  'eventgrid-envelope-blobcreated.json': {
    expected: eg({
      kind: 'ignored',
      id: '831e1650-001e-001b-66ab-eeb76e069631',
      source: 'eventGrid',
      observedAt: '2017-06-26T18:41:00.958Z',
      reason: 'event type not used by the autopilot',
      eventType: 'Microsoft.Storage.BlobCreated',
    }),
  },
  // What we must answer, not something Event Grid sends.
  'eventgrid-subscription-validation-response.json': { expected: { error: 'specversion' } },
  'eventgrid-subscription-validation.json': {
    expected: { kind: 'validation', validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', schema: 'eventGrid' },
  },
};

function run(body: unknown): EventGridParse | { error: string } {
  try {
    return parseEventGridBody(body);
  } catch (e) {
    if (e instanceof SignalParseError) return { error: e.field };
    throw e;
  }
}

const names = eventFixtureNames();

describe('Event Grid fixtures', () => {
  it('every eventgrid-*, cloudevents-*, arn-* fixture has a row, and every row a fixture', () => {
    expect(names.length).toBeGreaterThanOrEqual(17);
    expect(Object.keys(TABLE).sort()).toEqual(names);
  });

  it.each(names)('%s', (name) => {
    const row = TABLE[name] as Row;
    const raw = fixture(name);
    expect(run(row.body ? row.body(raw) : raw)).toEqual(row.expected);
  });

  it.each(names)('%s: same result from its JSON text', (name) => {
    const row = TABLE[name] as Row;
    const raw = fixture(name);
    const body = row.body ? row.body(raw) : raw;
    expect(run(typeof body === 'string' ? body : JSON.stringify(body))).toEqual(row.expected);
  });

  /** Single-object Event Grid fixtures (documented as one event; delivery wraps it in an array). */
  const singleEvents = names.filter((n) => {
    const raw = fixture(n);
    return !Array.isArray(raw) && typeof raw === 'object' && raw !== null && 'eventType' in raw;
  });

  it('the single-event fixtures are the AKS and ARN ones', () => {
    expect(singleEvents.length).toBe(12);
  });

  it.each(singleEvents)('%s: as a one-element array, the same signals', (name) => {
    expect(run([fixture(name)])).toEqual((TABLE[name] as Row).expected);
  });

  it.each(singleEvents)('%s: as a CloudEvent, the same signals with source cloudEvents', (name) => {
    const expected = (TABLE[name] as Row).expected as Extract<EventGridParse, { kind: 'signals' }>;
    const ce = toCloudEvent(fixture(name) as Record<string, unknown>);
    expect(run(ce)).toEqual({
      kind: 'signals',
      schema: 'cloudEvents',
      signals: expected.signals.map((s) => ({ ...s, source: 'cloudEvents' })),
    });
  });
});
