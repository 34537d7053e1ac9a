/** Node, GPU and Spot failures in the planner: one drain per episode, replacement within quota, storms, rollouts. */
import { describe, expect, it } from 'vitest';
import { ledgerOf } from '../../../shared/capacity/ledger.js';
import { DEFAULT_CATALOGUE } from '../../../shared/capacity/vmSizes.js';
import type { ClusterSpec } from '../../../shared/fleet/types.js';
import { applyNodeFault, type NodeIncident } from '../../../shared/nodes/nodeIncident.js';
import type { Action } from '../../../shared/planner/plan.js';
import { planForSignal } from '../../../shared/planner/planForSignal.js';
import { planNodeReconcile } from '../../../shared/planner/planNodeReconcile.js';
import type { FleetSnapshot } from '../../../shared/planner/snapshot.js';
import { clusterGpus } from '../../../shared/planner/snapshot.js';
import type { GpuFaultSignal, NodeNotReadySignal, ResourceHealthSignal, Signal } from '../../../shared/signals/types.js';
import { NOW, runningJob, snapshot } from '../../support/builders.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const FAMILY = 'standardNCADSA100v4Family';
const mk = (region: string, suffix = 'a'): ClusterSpec => ({
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${region}-${suffix}`,
  name: `aks-${region}-${suffix}`, region, gpus: 0, rayEndpoint: `http://ray-${region}-${suffix}.invalid`,
  pools: [{ name: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', minCount: 0, maxCount: 10, spot: false, autoscale: false }],
});
const EAST = mk('eastus2');
const WEST = mk('westus3');
const node = (i: number) => `aks-gpu-12345678-vmss${i.toString(36).padStart(6, '0')}`;
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();

function fleet(over: Partial<FleetSnapshot> = {}, count = 4, familyUsed = 96): FleetSnapshot {
  const { clusters: _c, ...rest } = over;
  return snapshot({
    clusters: [EAST, WEST],
    capacity: {
      catalogue: DEFAULT_CATALOGUE,
      pools: [EAST, WEST].map((c) => ({ clusterId: c.id, pool: 'gpu', observedAt: NOW.toISOString(), observed: { ref: { clusterId: c.id, pool: 'gpu' }, vmSize: 'Standard_NC24ads_A100_v4', count, autoscale: false, spot: false, provisioningState: 'Succeeded', eTag: 'e1' } })),
      ledger: ledgerOf(['eastus2', 'westus3'].map((region) => ({ subscriptionId: SUB, region, readAt: NOW, usages: [{ name: FAMILY, used: familyUsed, limit: 480 }, { name: 'cores', used: familyUsed, limit: 1000 }] }))),
      reservations: [], blocks: [],
    },
    ...rest,
  });
}

const notReady = (n: string, stage: 'active' | 'resolved', s = 0, over: Partial<NodeNotReadySignal> = {}): NodeNotReadySignal =>
  ({ kind: 'nodeNotReady', id: `nr-${n}-${stage}-${s}`, source: 'commonAlert', observedAt: at(s), cluster: EAST.name, node: n, stage, ...over });
const xid = (n: string, code: number | undefined, s = 0): GpuFaultSignal =>
  ({ kind: 'gpuFault', id: `xid-${n}-${code}-${s}`, source: 'commonAlert', observedAt: at(s), clusterId: EAST.id, node: n, ...(code !== undefined ? { xid: code } : {}), stage: 'active' });
const vmHealth = (n: string, status: ResourceHealthSignal['status'], over: Partial<ResourceHealthSignal> = {}): ResourceHealthSignal => ({
  kind: 'resourceHealth', id: `rh-${n}-${status}`, source: 'eventGrid', observedAt: at(0), status, clusterId: EAST.id, pool: 'gpu', node: n,
  resourceId: `/subscriptions/${SUB}/resourceGroups/mc_rg_aks-eastus2-a_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-12345678-vmss/virtualMachines/1`,
  resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', ...over,
});
const kinds = (actions: readonly Action[]) => actions.map((a) => a.kind);
const of = <K extends Action['kind']>(actions: readonly Action[], kind: K) => actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);

/** Applies a plan's node records to the snapshot, as the executor would. */
function recorded(s: FleetSnapshot, actions: readonly Action[], drained = false): FleetSnapshot {
  let nodes = [...(s.nodes ?? [])];
  for (const a of of(actions, 'recordNodeFault')) {
    const cur = nodes.find((n) => n.node === a.fault.node);
    const o = applyNodeFault(cur, a.fault);
    if (o.changed) nodes = [...nodes.filter((n) => n !== cur), drained ? { ...o.next, drainedAt: o.next.drainedAt ?? NOW.toISOString() } : o.next];
  }
  return { ...s, nodes };
}

describe('a node failure signal', () => {
  it('NotReady: records the episode and drains the node once, without spending the budget or replacing it yet', () => {
    const plan = planForSignal(fleet(), notReady(node(1), 'active'), NOW);
    expect(kinds(plan.actions)).toEqual(['recordNodeFault', 'drainNode']);
    expect(of(plan.actions, 'drainNode')[0]).toMatchObject({ clusterId: EAST.id, node: node(1), pool: 'gpu', cause: 'notReady', replace: false, chargeBudget: false, openedAt: at(0) });
  });

  it('a node that flaps 10 times in a minute is one episode and one drain (the same action key every time)', () => {
    let s = fleet();
    const drainKeys = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const plan = planForSignal(s, notReady(node(1), i % 2 === 0 ? 'active' : 'resolved', i * 3), NOW);
      for (const d of of(plan.actions, 'drainNode')) drainKeys.add(d.key);
      s = recorded(s, plan.actions, true);
    }
    expect(drainKeys.size).toBe(1);
    expect(s.nodes).toHaveLength(1);
    expect(s.nodes![0]).toMatchObject({ flaps: 9, openedAt: at(0) });
  });

  it('a drained episode is not drained again by a repeat, and an older delivery is stale', () => {
    let s = recorded(fleet(), planForSignal(fleet(), notReady(node(1), 'active', 10), NOW).actions, true);
    expect(kinds(planForSignal(s, notReady(node(1), 'active', 20), NOW).actions)).toEqual(['recordNodeFault']);
    expect(planForSignal(s, notReady(node(1), 'resolved', 5), NOW)).toMatchObject({ actions: [], reasons: [expect.stringMatching(/stale/)] });
    s = recorded(s, planForSignal(s, notReady(node(1), 'active', 20), NOW).actions, true);
  });

  it('a hardware XID drains and asks for a replacement node: pool +1 within quota, in the resize key format planCapacity uses', () => {
    const plan = planForSignal(fleet(), xid(node(2), 79), NOW);
    expect(kinds(plan.actions)).toEqual(['recordNodeFault', 'drainNode', 'replaceNode']);
    const replace = of(plan.actions, 'replaceNode')[0]!;
    expect(replace.decision).toMatchObject({ clusterId: EAST.id, pool: 'gpu', mode: 'count', from: 4, to: 5, change: { kind: 'count', count: 5 }, key: `resize:${EAST.id}/gpu:4->5:after:none` });
    expect(replace.decision!.reservation).toMatchObject({ vcpus: 24, region: 'eastus2' });
    expect(replace.decision!.reservation!.family.toLowerCase()).toBe(FAMILY.toLowerCase());
  });

  it('no quota: the replacement is recorded as impossible, with the headroom that stopped it', () => {
    const plan = planForSignal(fleet({}, 4, 480), xid(node(2), 48), NOW);
    const replace = of(plan.actions, 'replaceNode')[0]!;
    expect(replace.decision).toBeUndefined();
    expect(replace.reason).toMatch(/no quota for a replacement: headroom 0 vCPU/);
  });

  it('a PUT to the pool within the minute: the replacement waits for the next pass (one PUT per pool per minute)', () => {
    const s = fleet();
    const busy = { ...s, capacity: { ...s.capacity!, pools: s.capacity!.pools.map((p) => ({ ...p, lastPutAt: at(-20) })) } };
    const plan = planForSignal(busy, xid(node(2), 79), NOW);
    expect(kinds(plan.actions)).toEqual(['recordNodeFault', 'drainNode']);
    expect(plan.reasons.join('\n')).toMatch(/replacement for .*later: .*last PUT 20 s ago/);
  });

  it.each([13, 31, 43, 45, 68])('XID %i is the application\'s fault: the node stays in service', (code) => {
    const plan = planForSignal(fleet(), xid(node(2), code), NOW);
    expect(plan.actions).toEqual([]);
    expect(plan.reasons[0]).toMatch(/caused by the application/);
  });

  it('Spot preemption with a deadline: drain before the deadline and replace at once', () => {
    const plan = planForSignal(fleet(), vmHealth(node(3), 'unavailable', { deadline: at(30), reason: 'VirtualMachinePreempted (Platform Initiated)' }), NOW);
    expect(of(plan.actions, 'drainNode')[0]).toMatchObject({ cause: 'preempted', deadline: at(30), replace: true, chargeBudget: false });
    expect(of(plan.actions, 'replaceNode')[0]!.decision).toMatchObject({ from: 4, to: 5 });
  });

  it('a degraded VM still runs its work: draining it spends the disruption budget', () => {
    const plan = planForSignal(fleet(), vmHealth(node(4), 'degraded'), NOW);
    expect(of(plan.actions, 'drainNode')[0]).toMatchObject({ cause: 'vmDegraded', chargeBudget: true, replace: false });
  });

  it('a deallocation we caused (Customer Initiated) is not a failure', () => {
    const plan = planForSignal(fleet(), vmHealth(node(4), 'unavailable', { reason: 'VirtualMachineDeallocationInitiated (Customer Initiated): scale down' }), NOW);
    expect(plan.actions).toEqual([]);
    expect(plan.reasons[0]).toMatch(/not a failure/);
  });

  it('a cluster name that is not in the fleet is recorded, not acted on', () => {
    const plan = planForSignal(fleet(), notReady(node(1), 'active', 0, { cluster: 'aks-elsewhere' }), NOW);
    expect(plan.actions).toEqual([]);
    expect(plan.reasons[0]).toMatch(/not \(uniquely\) in the fleet/);
  });

  it('the failed node offers no GPUs to placement while its episode is open', () => {
    const s = fleet();
    expect(clusterGpus(s, EAST)).toBe(4);
    expect(clusterGpus(recorded(s, planForSignal(s, notReady(node(1), 'active'), NOW).actions), EAST)).toBe(3);
  });
});

describe('many failed nodes in one region', () => {
  it('the third failed node within the window makes the region suspect (one source: not impaired, nothing evacuated)', () => {
    let s = fleet({ jobs: [runningJob('j1', EAST)] });
    const evidence: Action[] = [];
    for (let i = 1; i <= 3; i++) {
      const plan = planForSignal(s, notReady(node(i), 'active', i), NOW);
      evidence.push(...of(plan.actions, 'applyEvidence'));
      expect(of(plan.actions, 'drainNode')).toHaveLength(1);
      s = recorded(s, plan.actions);
    }
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ kind: 'applyEvidence', region: 'eastus2', source: 'nodes/eastus2', signal: { status: 'unavailable' } });
    expect(evidence[0]!.reason).toMatch(/eastus2 healthy → suspect: .*3 nodes failed within 10 min/);
  });

  it('reconcile clears the storm evidence once the episodes close', () => {
    let s = fleet();
    for (let i = 1; i <= 3; i++) s = recorded(s, planForSignal(s, notReady(node(i), 'active', i), NOW).actions, true);
    const suspect = { ...s, health: new Map([['eastus2', { region: 'eastus2', state: 'suspect' as const, since: NOW.toISOString(), reason: '', incidents: {}, evidence: { 'nodes/eastus2': { bad: true, at: NOW.toISOString(), signalId: 'nodestorm', detail: 'x' } } }]]) };
    const closed = { ...suspect, nodes: suspect.nodes!.map((n): NodeIncident => ({ ...n, closedAt: at(700) })) };
    const plan = planNodeReconcile(closed, new Date(at(900)));
    expect(of(plan.actions, 'applyEvidence')[0]).toMatchObject({ region: 'eastus2', signal: { status: 'available' } });
  });
});

describe('node reconcile', () => {
  const open = (over: Partial<NodeIncident> = {}): NodeIncident => ({
    clusterId: EAST.id, region: 'eastus2', node: node(1), pool: 'gpu', cause: 'notReady', openedAt: at(0), lastAt: at(0), bad: true, flaps: 0,
    replace: false, detail: 'x', signals: ['s'], ...over,
  });

  it('retries a drain that did not finish, under the same key', () => {
    const plan = planNodeReconcile(fleet({ nodes: [open()] }), new Date(at(60)));
    expect(of(plan.actions, 'drainNode')[0]!.key).toBe(`drain:${EAST.id.toLowerCase()}|${node(1)}:${at(0)}`);
  });

  it('a node NotReady past replaceNotReadyAfter gets a replacement; not before', () => {
    const s = fleet({ nodes: [open({ drainedAt: at(5) })] });
    expect(of(planNodeReconcile(s, new Date(at(60))).actions, 'replaceNode')).toHaveLength(0);
    expect(of(planNodeReconcile(s, new Date(at(181))).actions, 'replaceNode')[0]!.decision).toMatchObject({ from: 4, to: 5 });
  });

  it('several failed nodes of one pool are one PUT', () => {
    const s = fleet({ nodes: [1, 2, 3].map((i) => open({ node: node(i), cause: 'gpuFault', replace: true, drainedAt: at(1) })) });
    const replace = of(planNodeReconcile(s, new Date(at(10))).actions, 'replaceNode');
    expect(replace).toHaveLength(1);
    expect(replace[0]!.decision).toMatchObject({ from: 4, to: 7, nodes: 3 });
  });

  it('closes a recovered NotReady episode and uncordons; a GPU fault stays cordoned', () => {
    const fine = open({ bad: false, goodSince: at(10), drainedAt: at(5) });
    const gpu = open({ node: node(2), cause: 'gpuFault', bad: false, goodSince: at(10), drainedAt: at(5), replace: true, replacement: { at: at(5), outcome: 'x' } });
    const plan = planNodeReconcile(fleet({ nodes: [fine, gpu] }), new Date(at(10 + 600)));
    const closes = of(plan.actions, 'closeNodeEpisode');
    expect(closes.map((c) => [c.node, c.uncordon])).toEqual([[node(1), true], [node(2), false]]);
    expect(of(planNodeReconcile(fleet({ nodes: [fine] }), new Date(at(10 + 599))).actions, 'closeNodeEpisode')).toHaveLength(0);
  });

  it('finishes a move a drain began: stop (idempotent key) and requeue with drain set', () => {
    const job = runningJob('j1', EAST, { drainingFrom: `${EAST.id}|${node(1)}` });
    const plan = planNodeReconcile(fleet({ jobs: [job] }), NOW);
    expect(plan.actions.map((a) => a.key)).toEqual(['stop:j1-1', 'requeue:j1:2']);
    expect(of(plan.actions, 'requeueJob')[0]).toMatchObject({ drain: true, excludeRegions: [] });
  });
});

describe('pool rollouts', () => {
  const rollout = (phase: 'started' | 'succeeded' | 'failed', pool = 'gpu'): Signal => ({ kind: 'poolRollout', id: `roll-${phase}`, source: 'eventGrid', observedAt: at(0), clusterId: EAST.id, pool, phase });

  it('a failed rolling upgrade of a managed pool blocks its growth for 30 min', () => {
    const plan = planForSignal(fleet(), rollout('failed'), NOW);
    expect(of(plan.actions, 'blockPool')[0]!.block).toMatchObject({ scope: 'pool', clusterId: EAST.id, pool: 'gpu', code: 'NodePoolRollingFailed', until: at(1800) });
  });

  it.each([['started', 'gpu'], ['succeeded', 'gpu'], ['failed', 'system']] as const)('%s on %s is recorded only', (phase, pool) => {
    expect(planForSignal(fleet(), rollout(phase, pool), NOW).actions).toEqual([]);
  });
});
