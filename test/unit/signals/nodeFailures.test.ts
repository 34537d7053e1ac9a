/**
 * Node, GPU and Spot failure signals (issue #5): each source reaches the planner as the right Signal, with the
 * cluster resolved to the fleet's id when the fleet index knows it, and a `deadline` on the notices that come
 * before the VM is taken away.
 */
import { describe, expect, it } from 'vitest';
import {
  annotationDeadline,
  defaultNodeResourceGroup,
  instanceIdOfNode,
  isApplicationXid,
  isPreemptionAnnotation,
  nodeNameOf,
  parseAlertBody,
  parseEventGridBody,
  poolOfVmss,
  vmssOfNode,
  xidName,
  type Signal,
} from '../../../shared/signals/index.js';
import { parseInboundBody } from '../../../shared/signals/parseInbound.js';
import type { FleetIndex } from '../../../shared/signals/fleetIndex.js';
import { fixture as alertFixture, withField } from './alertBodies.js';
import { EUS2, FLEET, annotated, availabilityChanged, fixture, vmssInstanceId } from './eventGrid/bodies.js';

const FIXTURE_CLUSTER = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-gpu/providers/Microsoft.ContainerService/managedClusters/aks-gpu-eus2';
/** A fleet that knows the fixtures' cluster `aks-gpu-eus2` (by name, in another spelling). */
const FIXTURE_FLEET: FleetIndex = { clusters: [{ id: FIXTURE_CLUSTER, name: 'AKS-GPU-EUS2', region: 'eastus2' }] };
/** The same name twice (another subscription): a name alone cannot say which. */
const AMBIGUOUS: FleetIndex = {
  clusters: [...FIXTURE_FLEET.clusters, { id: FIXTURE_CLUSTER.replace('11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222'), name: 'aks-gpu-eus2', region: 'westus3' }],
};

function only(signals: Signal[]): Signal {
  expect(signals).toHaveLength(1);
  return signals[0] as Signal;
}

function signalsOf(body: unknown, fleet?: FleetIndex): Signal[] {
  const r = parseInboundBody(body, fleet !== undefined ? { fleet } : {});
  if (r.kind !== 'signals') throw new Error('expected signals');
  return r.signals;
}

describe('Prometheus node readiness → nodeNotReady', () => {
  const notReady = alertFixture('monitor-common-prometheus-kube-node-not-ready.json');

  it('Fired: node from labels.node, cluster name from labels.cluster, clusterId from the fleet by that name', () => {
    expect(only(signalsOf(notReady, FIXTURE_FLEET))).toEqual({
      kind: 'nodeNotReady',
      id: '/subscriptions/<subscription id>/providers/Microsoft.AlertsManagement/alerts/<alert-guid>:Fired',
      source: 'commonAlert',
      observedAt: '2025-04-15T18:30:00.000Z',
      cluster: 'aks-gpu-eus2',
      clusterId: FIXTURE_CLUSTER,
      node: 'aks-gpunp-12345678-vmss000003',
      stage: 'active',
    });
  });

  it('Resolved pairs with Fired by alertId: same node and cluster, id …:Resolved, stage resolved', () => {
    const resolved = withField(withField(notReady, 'data.essentials.monitorCondition', 'Resolved'), 'data.essentials.resolvedDateTime', '2025-04-15T18:52:00.000Z');
    const fired = only(signalsOf(notReady, FIXTURE_FLEET));
    const back = only(signalsOf(resolved, FIXTURE_FLEET));
    expect(back).toMatchObject({ kind: 'nodeNotReady', stage: 'resolved', observedAt: '2025-04-15T18:52:00.000Z', node: (fired as { node: string }).node, clusterId: FIXTURE_CLUSTER });
    expect(back.id.replace(/:Resolved$/, '')).toBe(fired.id.replace(/:Fired$/, ''));
  });

  it('without labels.cluster the name comes from configurationItems, and still resolves through the fleet', () => {
    const body = withField(notReady, 'data.alertContext.labels.cluster', undefined);
    expect(only(signalsOf(body, FIXTURE_FLEET))).toMatchObject({ cluster: 'aks-gpu-eus2', clusterId: FIXTURE_CLUSTER });
  });

  it('an ambiguous name (two fleet clusters) or no fleet index: cluster name only, no clusterId', () => {
    for (const fleet of [AMBIGUOUS, undefined]) {
      const s = only(signalsOf(notReady, fleet));
      expect(s).toMatchObject({ kind: 'nodeNotReady', cluster: 'aks-gpu-eus2' });
      expect(s).not.toHaveProperty('clusterId');
    }
  });

  it('KubeNodeUnreachable is a nodeNotReady too; KubeNodeReadinessFlapping Fired is, its Resolved is ignored', () => {
    const rename = (name: string) => withField(withField(notReady, 'data.alertContext.labels.alertname', name), 'data.essentials.alertRule', `KubernetesAlert-RecommendedMetricAlertsaks-gpu-eus2-Node-level/${name}`);
    expect(only(signalsOf(rename('KubeNodeUnreachable'), FIXTURE_FLEET))).toMatchObject({ kind: 'nodeNotReady', stage: 'active', clusterId: FIXTURE_CLUSTER });
    expect(only(signalsOf(rename('KubeNodeReadinessFlapping'), FIXTURE_FLEET))).toMatchObject({ kind: 'nodeNotReady', stage: 'active' });
    const flapResolved = withField(rename('KubeNodeReadinessFlapping'), 'data.essentials.monitorCondition', 'Resolved');
    expect(only(signalsOf(flapResolved, FIXTURE_FLEET))).toMatchObject({ kind: 'ignored' });
  });
});

describe('DCGM XID alert → gpuFault', () => {
  const xidAlert = alertFixture('monitor-common-prometheus-gpu-xid-errors.json');

  it('the reconstructed fixture: node from Hostname (exporter run with NODE_NAME), xid from err_code, clusterId from the fleet', () => {
    expect(only(signalsOf(xidAlert, FIXTURE_FLEET))).toEqual({
      kind: 'gpuFault',
      id: '/subscriptions/<subscription id>/providers/Microsoft.AlertsManagement/alerts/<alert-guid>:Fired',
      source: 'commonAlert',
      observedAt: '2025-04-15T19:02:10.553Z',
      cluster: 'aks-gpu-eus2',
      clusterId: FIXTURE_CLUSTER,
      node: 'aks-gpunp-12345678-vmss000003',
      xid: 79,
      stage: 'active',
    });
  });

  it('an older exporter (no NODE_NAME): Hostname is its pod, not a node → ignored, never the exporter taken for a node', () => {
    const body = withField(withField(xidAlert, 'data.alertContext.labels.Hostname', 'dcgm-nvidia-dcgm-exporter-7xk2p'), 'data.alertContext.labels.instance', '10.244.3.17:9400');
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('names no node') });
  });

  it('an application XID (13) is still a gpuFault: the signal carries the XID and isApplicationXid tells the planner', () => {
    const body = withField(withField(xidAlert, 'data.alertContext.labels.err_code', '13'), 'data.alertContext.expressionValue', '13');
    const s = only(parseAlertBody(body));
    expect(s).toMatchObject({ kind: 'gpuFault', xid: 13 });
    expect(isApplicationXid((s as { xid: number }).xid)).toBe(true);
    expect(isApplicationXid(79)).toBe(false);
  });

  it('XID from the gauge value when there is no err_code label', () => {
    const body = withField(withField(xidAlert, 'data.alertContext.labels.err_code', undefined), 'data.alertContext.expressionValue', '48');
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'gpuFault', xid: 48 });
  });
});

describe('the XID catalogue', () => {
  it('application XIDs are those NVIDIA’s device plugin does not count against the GPU', () => {
    expect([13, 31, 43, 45, 68].every(isApplicationXid)).toBe(true);
    expect([48, 63, 64, 74, 79, 92, 94, 95, 119, 120].some(isApplicationXid)).toBe(false);
    expect(xidName(79)).toBe('GPU has fallen off the bus');
    expect(xidName(4242)).toBeUndefined();
  });
});

describe('HealthResources for a VMSS instance → resourceHealth with clusterId, pool, node', () => {
  const defaultRg = defaultNodeResourceGroup('rg-gpu', 'aks-gpu-eus2', 'eastus2');
  const target = vmssInstanceId(defaultRg, 'aks-gpu1-12345678-vmss', 37);

  it('AvailabilityStatusChanged Unavailable', () => {
    const r = parseEventGridBody([availabilityChanged(target, 'Unavailable', 'Available', { id: 'evt-u' })], { fleet: FLEET });
    expect(r.kind === 'signals' && r.signals).toEqual([
      {
        kind: 'resourceHealth',
        id: 'evt-u',
        source: 'eventGrid',
        observedAt: '2025-05-01T10:00:00.123Z',
        resourceId: target,
        resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
        status: 'unavailable',
        previousStatus: 'available',
        clusterId: EUS2.id,
        pool: 'gpu1',
        node: 'aks-gpu1-12345678-vmss000011',
      },
    ]);
  });

  it('AvailabilityStatusChanged carries no deadline (it reports, it does not announce)', () => {
    const r = parseEventGridBody([availabilityChanged(target, 'Degraded', 'Available')], { fleet: FLEET });
    expect(r.kind === 'signals' && r.signals[0]).not.toHaveProperty('deadline');
  });
});

describe('ResourceAnnotated: Spot preemption and notices → deadline', () => {
  const target = vmssInstanceId('MC_rg-gpu_aks-gpu-eus2_eastus2', 'aks-spot-87654321-vmss', 2);
  const parse = (e: Record<string, unknown>): Signal => {
    const r = parseEventGridBody([e], { fleet: FLEET });
    if (r.kind !== 'signals') throw new Error('expected signals');
    return only(r.signals);
  };
  const withProps = (e: Record<string, unknown>, props: Record<string, unknown>): Record<string, unknown> => {
    const data = e.data as { resourceInfo: { properties: Record<string, unknown> } };
    Object.assign(data.resourceInfo.properties, props);
    return e;
  };

  it('VirtualMachinePreempted → unavailable, deadline = occurredTime + 30 s, with cluster, pool and node', () => {
    expect(parse(annotated(target, 'VirtualMachinePreempted', { id: 'evt-spot' }))).toMatchObject({
      kind: 'resourceHealth',
      id: 'evt-spot',
      status: 'unavailable',
      clusterId: EUS2.id,
      pool: 'spot',
      node: 'aks-spot-87654321-vmss000002',
      deadline: '2025-05-01T10:00:30.123Z',
    });
  });

  it('the deadline runs from occurredTime, not the (later) delivery time', () => {
    const e = withProps(annotated(target, 'VirtualMachinePreempted'), { occurredTime: '2025-05-01T09:59:50.000Z' });
    expect(parse(e)).toMatchObject({ observedAt: '2025-05-01T10:00:00.123Z', deadline: '2025-05-01T10:00:20.000Z' });
  });

  it('no usable occurredTime: from the event time', () => {
    const e = withProps(annotated(target, 'VirtualMachinePreempted'), { occurredTime: 'soon' });
    expect(parse(e)).toMatchObject({ deadline: '2025-05-01T10:00:30.123Z' });
  });

  it('an explicit impactStartTime wins for a preemption, even one already past', () => {
    expect(parse(withProps(annotated(target, 'VirtualMachinePreempted'), { impactStartTime: '2025-05-01T10:02:00Z' }))).toMatchObject({ deadline: '2025-05-01T10:02:00.000Z' });
    expect(parse(withProps(annotated(target, 'VirtualMachinePreempted'), { impactStartTime: '2025-05-01T09:59:00Z' }))).toMatchObject({ deadline: '2025-05-01T09:59:00.000Z' });
  });

  it('a maintenance notice with a future impactStartTime gets it as deadline; a past one, or none, gives no deadline', () => {
    const notice = withProps(annotated(target, 'VirtualMachineScheduledForMigrationWithGracePeriod'), { impactStartTime: '2025-05-03T02:00:00Z' });
    expect(parse(notice)).toMatchObject({ status: 'degraded', deadline: '2025-05-03T02:00:00.000Z' });
    const begun = withProps(annotated(target, 'VirtualMachinePossiblyDegradedDueToHardwareFailure'), { impactStartTime: '2025-05-01T09:00:00Z' });
    expect(parse(begun)).not.toHaveProperty('deadline');
    expect(parse(annotated(target, 'VirtualMachineRebootInitiatedForPlannedMaintenance'))).not.toHaveProperty('deadline');
  });

  it('an informational annotation never has a deadline, whatever times it carries', () => {
    const e = withProps(annotated(target, 'VirtualMachineAllocated'), { impactStartTime: '2025-05-03T02:00:00Z' });
    expect(parse(e)).toMatchObject({ status: 'unknown' });
    expect(parse(e)).not.toHaveProperty('deadline');
  });

  it('the reconstructed Spot fixture through parseInboundBody (no fleet: cluster by the MC_ convention)', () => {
    expect(only(signalsOf(fixture('eventgrid-arn-health-resource-annotated-spot-preempted.json')))).toMatchObject({
      status: 'unavailable',
      pool: 'spotgpu',
      node: 'aks-spotgpu-12345678-vmss00000a',
      deadline: '2025-04-15T20:12:12.123Z',
    });
  });

  it.each([
    ['VirtualMachinePossiblyDegradedDueToHardwareFailureLiveMigrationNotEligible', 'degraded'],
    ['VirtualMachinePossiblyDegradedDueToHardwareFailureWithRedeployDeadline', 'degraded'],
    ['PossiblyDegradedDueToHardwareFailureWithRedeployDeadline', 'degraded'],
    ['VirtualMachineScheduledForServiceHealingLiveMigrationEligible', 'degraded'],
    ['VirtualMachineMigrationScheduledForDegradedHardwareLiveMigrationNotEligible', 'degraded'],
    ['VirtualMachineScheduledForMigrationWithGracePeriod', 'degraded'],
    ['VirtualMachineStopInitiatedByControlPlaneTrackingId', 'unavailable'],
    ['VirtualMachineFailedSecureKeyRelease', 'unavailable'],
    ['NetworkUnhealthy', 'unavailable'],
    ['VirtualMachineMigratedDueToHardwareFailure', 'unknown'],
  ])('annotation %s (current doc) → %s', (name, status) => {
    expect(parse(annotated(target, name))).toMatchObject({ kind: 'resourceHealth', status });
  });

  it('annotationDeadline directly: only unavailable/degraded; preemption names matched ignoring case', () => {
    const at = '2025-05-01T10:00:00.000Z';
    expect(isPreemptionAnnotation('virtualmachinepreempted')).toBe(true);
    expect(annotationDeadline('virtualmachinepreempted', 'unavailable', at, undefined)).toBe('2025-05-01T10:00:30.000Z');
    expect(annotationDeadline('VirtualMachinePreempted', 'unknown', at, undefined)).toBeUndefined();
    expect(annotationDeadline('VirtualMachineCrashed', 'unavailable', at, undefined)).toBeUndefined();
  });
});

describe('AKS node names', () => {
  it('instance id ⇄ base-36 suffix, both ways', () => {
    expect(nodeNameOf('aks-gpu1-12345678-vmss', 10)).toBe('aks-gpu1-12345678-vmss00000a');
    expect(nodeNameOf('AKS-GPU1-12345678-VMSS', '1295')).toBe('aks-gpu1-12345678-vmss0000zz');
    expect(vmssOfNode('aks-gpu1-12345678-vmss00000a')).toBe('aks-gpu1-12345678-vmss');
    expect(instanceIdOfNode('aks-gpu1-12345678-vmss00000a')).toBe('10');
    expect(instanceIdOfNode('aks-gpu1-12345678-vmss0000zz')).toBe('1295');
    expect(poolOfVmss('aks-gpu1-12345678-vmss')).toBe('gpu1');
    for (const id of [0, 1, 35, 36, 99_999, 2_176_782_335]) {
      const node = nodeNameOf('aks-np-1-vmss', id);
      expect([vmssOfNode(node), instanceIdOfNode(node)]).toEqual(['aks-np-1-vmss', String(id)]);
    }
  });

  it('names that are not VMSS pool nodes give undefined', () => {
    for (const n of ['aks-gpu1-12345678-vmss', 'aks-gpu1-12345678-vmss0000a', 'aks-gpu1-vmss00000a', 'gpu-node-1', 'aks-nodepool1-12345678-0']) {
      expect(vmssOfNode(n), n).toBeUndefined();
      expect(instanceIdOfNode(n), n).toBeUndefined();
    }
  });

  it('default node resource group, cut to 80 characters', () => {
    expect(defaultNodeResourceGroup('rg-gpu', 'aks-gpu-eus2', 'eastus2')).toBe('MC_rg-gpu_aks-gpu-eus2_eastus2');
    expect(defaultNodeResourceGroup('r'.repeat(60), 'c'.repeat(30), 'eastus2')).toHaveLength(80);
  });
});

describe('AKS NodePoolRollingFailed → poolRollout failed', () => {
  it('the fixture', () => {
    expect(only(signalsOf(fixture('eventgrid-aks-nodepool-rolling-failed.json')))).toMatchObject({ kind: 'poolRollout', phase: 'failed', pool: 'nodepool1' });
  });
});
