/**
 * The twin's node, GPU and Spot bodies: each parses (parseInboundBody, with the demo fleet's index) to the
 * signal the planner should get, has the shape of the fixture it imitates, and is deterministic — the same
 * inputs give the same body and ids, and an episode's Fired and Resolved share an alert id.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_POOL, demoClusters } from '../../../local/demoFleet.js';
import {
  gpuXidAlert,
  instanceIdOfNode,
  nodeNameOf,
  nodeNotReadyAlert,
  poolVmssName,
  spotPreemptionEvent,
  vmssInstanceAnnotatedEvent,
  vmssInstanceHealthEvent,
  vmssInstanceResourceId,
  vmssOfNode,
} from '../../../local/twin/nodeSignals.js';
import { parseInboundBody } from '../../../shared/signals/parseInbound.js';
import type { FleetIndex } from '../../../shared/signals/fleetIndex.js';
import type { Signal } from '../../../shared/signals/types.js';

const CLUSTERS = demoClusters();
const FLEET: FleetIndex = { clusters: CLUSTERS };
const C = CLUSTERS[0] as (typeof CLUSTERS)[number];
const OTHER = CLUSTERS[3] as (typeof CLUSTERS)[number];
const VMSS = poolVmssName(C.id, DEMO_POOL.name);
const NODE = nodeNameOf(VMSS, 3);
const FIRED = new Date('2025-06-02T12:15:00.000Z');
const RESOLVED = new Date('2025-06-02T12:41:30.000Z');

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../fixtures/signals/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

function parse(body: unknown, fleet: FleetIndex = FLEET): Signal {
  const r = parseInboundBody(body, { fleet });
  if (r.kind !== 'signals') throw new Error('expected signals');
  expect(r.signals).toHaveLength(1);
  return r.signals[0] as Signal;
}

/** The key paths of a JSON value (objects only; arrays by their first element), for comparing shapes. */
function shape(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return v.length > 0 ? shape(v[0], `${at}[]`) : [`${at}[]`];
  if (v === null || typeof v !== 'object') return [at];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => shape(x, at === '' ? k : `${at}.${k}`));
}

const at = (body: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], body);

describe('AKS node naming', () => {
  it('scale set aks-<pool>-<8 digits>-vmss, deterministic per cluster and pool', () => {
    expect(VMSS).toMatch(/^aks-gpu-\d{8}-vmss$/);
    expect(poolVmssName(C.id, 'gpu')).toBe(VMSS);
    expect(poolVmssName(OTHER.id, 'gpu')).not.toBe(VMSS);
  });

  it('node ⇄ scale set and instance id', () => {
    expect(NODE).toBe(`${VMSS}000003`);
    expect(vmssOfNode(nodeNameOf(VMSS, 46))).toBe(VMSS);
    expect(instanceIdOfNode(nodeNameOf(VMSS, 46))).toBe('46');
    expect(nodeNameOf(VMSS, 46).endsWith('00001a')).toBe(true);
  });
});

describe('nodeNotReadyAlert', () => {
  const fired = nodeNotReadyAlert({ cluster: C, node: NODE, stage: 'Fired', firedAt: FIRED });
  const resolved = nodeNotReadyAlert({ cluster: C, node: NODE, stage: 'Resolved', firedAt: FIRED, resolvedAt: RESOLVED });

  it('Fired → nodeNotReady active, the demo cluster resolved by name to its id', () => {
    const alertId = at(fired, 'data.essentials.alertId') as string;
    expect(parse(fired)).toEqual({
      kind: 'nodeNotReady',
      id: `${alertId}:Fired`,
      source: 'commonAlert',
      observedAt: FIRED.toISOString(),
      cluster: C.name,
      clusterId: C.id,
      node: NODE,
      stage: 'active',
    });
  });

  it('Resolved pairs with Fired (same alert id), observed at resolvedAt', () => {
    const alertId = at(fired, 'data.essentials.alertId') as string;
    expect(at(resolved, 'data.essentials.alertId')).toBe(alertId);
    expect(parse(resolved)).toEqual({
      kind: 'nodeNotReady',
      id: `${alertId}:Resolved`,
      source: 'commonAlert',
      observedAt: RESOLVED.toISOString(),
      cluster: C.name,
      clusterId: C.id,
      node: NODE,
      stage: 'resolved',
    });
  });

  it('the same inputs give the same body; another node, cluster or episode another alert id', () => {
    expect(nodeNotReadyAlert({ cluster: C, node: NODE, stage: 'Fired', firedAt: FIRED.toISOString() })).toEqual(fired);
    const id = (b: unknown) => at(b, 'data.essentials.alertId');
    const others = [
      nodeNotReadyAlert({ cluster: C, node: nodeNameOf(VMSS, 4), stage: 'Fired', firedAt: FIRED }),
      nodeNotReadyAlert({ cluster: OTHER, node: NODE, stage: 'Fired', firedAt: FIRED }),
      nodeNotReadyAlert({ cluster: C, node: NODE, stage: 'Fired', firedAt: new Date(FIRED.getTime() + 3_600_000) }),
      nodeNotReadyAlert({ cluster: C, node: NODE, stage: 'Fired', firedAt: FIRED, alertName: 'KubeNodeUnreachable' }),
    ].map(id);
    expect(new Set([id(fired), ...others]).size).toBe(5);
    expect(at(fired, 'data.essentials.alertId')).toMatch(/^\/subscriptions\/[^/]+\/providers\/Microsoft\.AlertsManagement\/alerts\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('has the fixture’s shape field by field, with the recommended rule group, workspace target and cluster name', () => {
    const fx = fixture('monitor-common-prometheus-kube-node-not-ready.json');
    expect(shape(fired)).toEqual(shape(fx));
    expect(shape(resolved)).toEqual([...shape(fx)].flatMap((p) => (p === 'data.essentials.firedDateTime' ? [p, 'data.essentials.resolvedDateTime'] : [p])));
    expect(at(fired, 'data.essentials.alertRule')).toBe(`KubernetesAlert-RecommendedMetricAlerts${C.name}-Node-level/KubeNodeNotReady`);
    expect(at(fired, 'data.essentials.configurationItems')).toEqual([C.name]);
    expect((at(fired, 'data.essentials.alertTargetIDs') as string[])[0]).toMatch(/\/providers\/microsoft\.monitor\/accounts\/[^/]+$/);
    expect(at(fired, 'data.alertContext.expression')).toBe(at(fx, 'data.alertContext.expression'));
    expect(at(fired, 'data.alertContext.ruleGroup')).toMatch(new RegExp(`/prometheusRuleGroups/KubernetesAlert-RecommendedMetricAlerts${C.name}-Node-level$`));
    expect(at(fired, 'data.essentials.firedDateTime')).toBe('2025-06-02T12:15:00.0000000Z');
  });

  it('alertId and workspaceId can be given', () => {
    const ws = '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-mon/providers/Microsoft.Monitor/accounts/amw-eus2';
    const b = nodeNotReadyAlert({ cluster: C, node: NODE, stage: 'Fired', firedAt: FIRED, workspaceId: ws, alertId: '/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/a1' });
    expect(at(b, 'data.essentials.alertTargetIDs')).toEqual([ws]);
    expect(at(b, 'data.alertContext.ruleGroup')).toMatch(/^\/subscriptions\/33333333-3333-3333-3333-333333333333\/resourceGroups\/rg-mon\//);
    expect(parse(b)).toMatchObject({ id: '/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/a1:Fired', clusterId: C.id });
  });

  it('KubeNodeUnreachable → nodeNotReady; KubeNodeReadinessFlapping Fired → nodeNotReady, Resolved → ignored', () => {
    expect(parse(nodeNotReadyAlert({ cluster: C, node: NODE, stage: 'Fired', firedAt: FIRED, alertName: 'KubeNodeUnreachable' }))).toMatchObject({ kind: 'nodeNotReady', node: NODE, clusterId: C.id });
    const flap = { cluster: C, node: NODE, firedAt: FIRED, alertName: 'KubeNodeReadinessFlapping' } as const;
    expect(parse(nodeNotReadyAlert({ ...flap, stage: 'Fired' }))).toMatchObject({ kind: 'nodeNotReady', stage: 'active' });
    expect(parse(nodeNotReadyAlert({ ...flap, stage: 'Resolved', resolvedAt: RESOLVED }))).toMatchObject({ kind: 'ignored' });
  });

  it('a cluster name twice in the fleet stays unresolved (name only)', () => {
    const twice: FleetIndex = { clusters: [...CLUSTERS, { ...C, id: C.id.replace('rg-fleet-', 'rg-other-') }] };
    const s = parse(fired, twice);
    expect(s).toMatchObject({ kind: 'nodeNotReady', cluster: C.name });
    expect(s).not.toHaveProperty('clusterId');
  });

  it('a Resolved without resolvedAt is a mistake, not a silent guess', () => {
    expect(() => nodeNotReadyAlert({ cluster: C, node: NODE, stage: 'Resolved', firedAt: FIRED } as never)).toThrow(/resolvedAt/);
  });
});

describe('gpuXidAlert', () => {
  const fired = gpuXidAlert({ cluster: C, node: NODE, xid: 79, gpu: 0, stage: 'Fired', firedAt: FIRED });

  it('→ gpuFault with the XID, the node (from Hostname) and the demo cluster id', () => {
    const alertId = at(fired, 'data.essentials.alertId') as string;
    expect(parse(fired)).toEqual({
      kind: 'gpuFault',
      id: `${alertId}:Fired`,
      source: 'commonAlert',
      observedAt: FIRED.toISOString(),
      cluster: C.name,
      clusterId: C.id,
      node: NODE,
      xid: 79,
      stage: 'active',
    });
  });

  it('Resolved pairs with Fired; an application XID parses the same way, with its own alert', () => {
    const resolved = gpuXidAlert({ cluster: C, node: NODE, xid: 79, gpu: 0, stage: 'Resolved', firedAt: FIRED, resolvedAt: RESOLVED });
    expect(at(resolved, 'data.essentials.alertId')).toBe(at(fired, 'data.essentials.alertId'));
    expect(parse(resolved)).toMatchObject({ kind: 'gpuFault', stage: 'resolved', xid: 79, observedAt: RESOLVED.toISOString() });
    const app = gpuXidAlert({ cluster: C, node: NODE, xid: 13, gpu: 0, stage: 'Fired', firedAt: FIRED });
    expect(parse(app)).toMatchObject({ kind: 'gpuFault', xid: 13 });
    expect(at(app, 'data.essentials.alertId')).not.toBe(at(fired, 'data.essentials.alertId'));
  });

  it('has the reconstructed fixture’s shape; labels say where the exporter and the workload are', () => {
    expect(shape(fired)).toEqual(shape(fixture('monitor-common-prometheus-gpu-xid-errors.json')));
    expect(at(fired, 'data.alertContext.labels.err_code')).toBe('79');
    expect(at(fired, 'data.alertContext.labels.err_msg')).toBe('GPU has fallen off the bus');
    expect(at(fired, 'data.alertContext.labels.Hostname')).toBe(NODE);
    expect(at(fired, 'data.alertContext.labels.pod')).toMatch(/dcgm-exporter/);
    expect(gpuXidAlert({ cluster: C, node: NODE, xid: 79, gpu: 0, stage: 'Fired', firedAt: FIRED })).toEqual(fired);
  });
});

describe('vmssInstanceHealthEvent', () => {
  const body = vmssInstanceHealthEvent({ cluster: C, vmss: VMSS, instanceId: 3, state: 'Unavailable', previous: 'Available', occurredAt: FIRED });

  it('→ resourceHealth with the demo cluster id, pool and node', () => {
    const target = vmssInstanceResourceId({ cluster: C, vmss: VMSS, instanceId: 3 });
    expect(target).toBe(`/subscriptions/${C.id.split('/')[2]}/resourceGroups/MC_rg-fleet-${C.region}_${C.name}_${C.region}/providers/Microsoft.Compute/virtualMachineScaleSets/${VMSS}/virtualMachines/3`);
    expect(parse(body)).toEqual({
      kind: 'resourceHealth',
      id: body[0]?.id,
      source: 'eventGrid',
      observedAt: FIRED.toISOString(),
      resourceId: target,
      resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
      status: 'unavailable',
      previousStatus: 'available',
      clusterId: C.id,
      pool: DEMO_POOL.name,
      node: NODE,
    });
  });

  it('Available after Unavailable, Degraded; ids deterministic and distinct per change; an explicit id is kept', () => {
    const back = vmssInstanceHealthEvent({ cluster: C, vmss: VMSS, instanceId: 3, state: 'Available', previous: 'Unavailable', occurredAt: RESOLVED });
    expect(parse(back)).toMatchObject({ status: 'available', previousStatus: 'unavailable', node: NODE });
    expect(parse(vmssInstanceHealthEvent({ cluster: C, vmss: VMSS, instanceId: 3, state: 'Degraded', occurredAt: FIRED }))).toMatchObject({ status: 'degraded' });
    expect(vmssInstanceHealthEvent({ cluster: C, vmss: VMSS, instanceId: 3, state: 'Unavailable', previous: 'Available', occurredAt: FIRED.toISOString() })).toEqual(body);
    expect(back[0]?.id).not.toBe(body[0]?.id);
    const named = vmssInstanceHealthEvent({ cluster: C, vmss: VMSS, instanceId: 3, state: 'Unavailable', occurredAt: FIRED, id: 'evt-42' });
    expect(parse(named)).toMatchObject({ id: 'evt-42' });
    expect(at(named[0], 'data.resourceInfo.name')).toBe('evt-42');
  });

  it('has the fixture’s shape field by field (an array of one Event Grid event)', () => {
    expect(body).toHaveLength(1);
    expect(shape(body[0])).toEqual(shape(fixture('eventgrid-arn-health-availability-status-changed.json')));
    expect(body[0]?.subject).toBe(at(body[0], 'data.resourceInfo.properties.targetResourceId'));
    expect(body[0]?.eventTime).toBe('2025-06-02T12:15:00.0000000Z');
  });

  it('a custom node resource group maps back through the fleet index', () => {
    const custom = { ...C, nodeResourceGroup: 'nodes-eus2-a' };
    const b = vmssInstanceHealthEvent({ cluster: C, nodeResourceGroup: 'nodes-eus2-a', vmss: VMSS, instanceId: 3, state: 'Unavailable', occurredAt: FIRED });
    expect(parse(b, { clusters: [custom, ...CLUSTERS.slice(1)] })).toMatchObject({ clusterId: C.id, node: NODE });
    expect(parse(b)).not.toHaveProperty('clusterId');
  });
});

describe('spotPreemptionEvent', () => {
  const body = spotPreemptionEvent({ cluster: C, vmss: VMSS, instanceId: 3, occurredAt: FIRED });

  it('→ resourceHealth unavailable with deadline occurredAt + 30 s, cluster, pool and node', () => {
    expect(parse(body)).toEqual({
      kind: 'resourceHealth',
      id: body[0]?.id,
      source: 'eventGrid',
      observedAt: FIRED.toISOString(),
      resourceId: vmssInstanceResourceId({ cluster: C, vmss: VMSS, instanceId: 3 }),
      resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
      status: 'unavailable',
      clusterId: C.id,
      pool: DEMO_POOL.name,
      node: NODE,
      reason: expect.stringMatching(/^VirtualMachinePreempted \(Platform Initiated\): /),
      deadline: '2025-06-02T12:15:30.000Z',
    });
  });

  it('has the ResourceAnnotated fixture’s shape, Platform Initiated / Unplanned; deterministic ids', () => {
    expect(shape(body[0])).toEqual(shape(fixture('eventgrid-arn-health-resource-annotated.json')));
    expect(at(body[0], 'data.resourceInfo.properties.annotationName')).toBe('VirtualMachinePreempted');
    expect(at(body[0], 'data.resourceInfo.properties.context')).toBe('Platform Initiated');
    expect(at(body[0], 'data.resourceInfo.properties.category')).toBe('Unplanned');
    expect(spotPreemptionEvent({ cluster: C, vmss: VMSS, instanceId: 3, occurredAt: FIRED })).toEqual(body);
    expect(spotPreemptionEvent({ cluster: C, vmss: VMSS, instanceId: 4, occurredAt: FIRED })[0]?.id).not.toBe(body[0]?.id);
  });

  it('a planned notice with impactStartTime → its deadline (vmssInstanceAnnotatedEvent)', () => {
    const notice = vmssInstanceAnnotatedEvent({
      cluster: C, vmss: VMSS, instanceId: 3, occurredAt: FIRED,
      annotationName: 'VirtualMachineScheduledForMigrationWithGracePeriod', reason: 'Scheduled for migration',
      summary: 'Your Virtual Machine will be moved to a healthy host after the deadline.', context: 'Platform Initiated', category: 'Unplanned',
      impactStartTime: new Date('2025-06-03T02:00:00.000Z'),
    });
    expect(parse(notice)).toMatchObject({ status: 'degraded', node: NODE, deadline: '2025-06-03T02:00:00.000Z' });
  });
});
