/**
 * A scenario's timeline played on a target — the in-process harness on its virtual clock, or the live stack on the
 * wall clock: each event changes the world or the ARM model at its time, and the alert Azure would send about it is
 * built as the real wire body (the twin's body builders) and delivered after the detection delay, as many copies as
 * asked, spread out and so reordered by the seeded generator.
 */
import type { ArmFault, ArmTwin } from '../twin/arm/armTwin.js';
import type { TwinNode } from '../twin/kubernetes/model.js';
import { gpuXidAlert, nodeNotReadyAlert, spotPreemptionEvent, vmssInstanceHealthEvent } from '../twin/nodeSignals.js';
import { quotaAlertBody } from '../twin/quotaAlert.js';
import { serviceHealthAlertBody } from '../twin/serviceHealthAlert.js';
import type { FleetWorld } from '../twin/world.js';
import type { Random } from './random.js';
import type { Delivery, Scenario, ScenarioEvent } from './scenario.js';

export interface TimelineEntry {
  readonly at: number;
  readonly text: string;
}

/** A fault is about to interrupt work: the target may note what it hits, and learns when it is first reported. */
export interface DisruptionHooks {
  regionDown(label: string, regions: readonly string[]): { detected(): void; readonly interrupted: number };
  nodeFault(label: string, clusterId: string, nodes: readonly string[]): { detected(): void; readonly interrupted: number };
}

export interface TimelineTarget {
  readonly world: FleetWorld;
  readonly arm: ArmTwin;
  readonly subscription: string;
  /** A scenario cluster name → the target's cluster id, or undefined when the target has no such cluster. */
  clusterId(name: string): string | undefined;
  /** The quota family of a region's GPU pools (quota events act on it). */
  family(region: string): string;
  /** Now, in the target's time (Unix ms). */
  now(): number;
  /** Runs `fn` after `fleetMs` of scenario time. */
  after(fleetMs: number, label: string, fn: () => void): void;
  /** A scenario duration in the target's time (a faster wall clock shortens it). */
  span(fleetMs: number): number;
  /** Delivers one inbound body to the autopilot now: an alert (POST /api/alerts) or Event Grid events (POST /api/events). */
  deliver(label: string, body: unknown): void;
  /** false when the target's world already tells the autopilot about node faults itself (the live stack does). */
  readonly sendsNodeSignals: boolean;
  readonly hooks?: DisruptionHooks;
  say(text: string): void;
}

/** Why an event cannot be played on this target, or undefined when it can. */
export function unplayable(e: ScenarioEvent, t: Pick<TimelineTarget, 'world' | 'clusterId'>): string | undefined {
  if ('region' in e && e.region !== undefined && !t.world.regions.some((r) => r.name === e.region)) return `region ${e.region} is not in this fleet`;
  if ('cluster' in e && e.cluster !== undefined) {
    const id = t.clusterId(e.cluster);
    if (!id) return `cluster ${e.cluster} is not in this fleet`;
    if (e.event === 'spotEviction' && !t.world.kube(id).gpuNodes().some((n) => n.spot)) return `cluster ${e.cluster} has no Spot nodes here`;
  }
  return undefined;
}

export function scheduleTimeline(s: Scenario, t: TimelineTarget, random: Random, events: readonly ScenarioEvent[] = s.timeline): void {
  const baselines = new Map<string, number>();
  const noHit = { detected: () => {}, interrupted: -1 };

  const send = (event: ScenarioEvent, label: string, body: () => unknown, detected?: () => void) => {
    const d: Delivery = 'deliveries' in event && event.deliveries ? event.deliveries : s.alerts;
    // The body is built once, when the condition is observed: every copy is the same alert (a duplicate).
    const built = body();
    for (let copy = 0; copy < d.copies; copy++) {
      t.after(d.delay + (d.spread > 0 ? random.int(d.spread + 1) : 0), `${label}${d.copies > 1 ? ` (copy ${copy + 1}/${d.copies})` : ''}`, () => {
        detected?.();
        t.deliver(label, built);
      });
    }
  };
  const jobs = (n: number) => (n >= 0 ? ` (${n} jobs there)` : '');

  const serviceHealth = (region: string, trackingId: string, stage: 'Active' | 'Resolved') => () => serviceHealthAlertBody({
    subscriptionId: t.subscription, trackingId, regions: [t.world.regions.find((r) => r.name === region)!.displayName], stage, at: new Date(t.now()),
  });

  const quotaAlert = (region: string, stage: 'Fired' | 'Resolved') => () => {
    const family = t.family(region);
    const usage = t.arm.usage(t.subscription, region).find((u) => u.name.toLowerCase() === family.toLowerCase())!;
    return quotaAlertBody({ subscriptionId: t.subscription, region, family, used: usage.used, limit: usage.limit, stage, at: new Date(t.now()) });
  };

  const down = (e: ScenarioEvent & { region: string }, trackingId: string) => {
    const hit = t.hooks?.regionDown(`${e.region} down (${trackingId})`, [e.region]) ?? noHit;
    t.world.regionDown(e.region);
    t.say(`${e.region} goes dark${jobs(hit.interrupted)}; Service Health incident ${trackingId} Active`);
    send(e, `Service Health ${trackingId} Active`, serviceHealth(e.region, trackingId, 'Active'), hit.detected);
  };
  const up = (e: ScenarioEvent & { region: string }, trackingId: string) => {
    t.world.regionUp(e.region);
    t.say(`${e.region} is back; Service Health incident ${trackingId} Resolved`);
    send(e, `Service Health ${trackingId} Resolved`, serviceHealth(e.region, trackingId, 'Resolved'));
  };

  type NodeEvent = Extract<ScenarioEvent, { cluster: string; nodes: number }>;
  /** The nodes a node fault hits: healthy GPU nodes of the cluster (Spot ones for an eviction), busy ones first, seeded. */
  const pick = (e: NodeEvent, spotOnly: boolean): { clusterId: string; nodes: TwinNode[] } => {
    const clusterId = t.clusterId(e.cluster)!;
    const kube = t.world.kube(clusterId);
    const healthy = kube.gpuNodes().filter((n) => n.ready && n.xid === undefined && n.spotDeadline === undefined && (!spotOnly || n.spot));
    const busy = (n: TwinNode) => (e.pick === 'busy' && t.world.jobsOnNode(clusterId, n.name).length > 0 ? 0 : 1);
    const ordered = random.shuffle(healthy).sort((a, b) => busy(a) - busy(b));
    return { clusterId, nodes: ordered.slice(0, e.nodes) };
  };
  const clusterRef = (clusterId: string) => {
    const c = t.world.clusters.get(clusterId)!;
    return { id: c.id, name: c.name, region: c.region };
  };
  const vmss = (clusterId: string, n: TwinNode) => ({ cluster: clusterRef(clusterId), vmss: n.vmss, instanceId: n.instanceId });
  const nodeFault = (e: NodeEvent, what: string, spotOnly = false) => {
    const { clusterId, nodes } = pick(e, spotOnly);
    const names = nodes.map((n) => n.name);
    const hit = t.hooks?.nodeFault(`${what} on ${e.cluster}: ${names.join(', ') || 'no node'}`, clusterId, names) ?? noHit;
    t.say(`${what} on ${e.cluster}: ${names.join(', ') || 'no healthy node to hit'}${jobs(hit.interrupted)}`);
    return { clusterId, nodes, hit };
  };
  /** Node signals: sent here unless the target's world sends its own. */
  const nodeSignal = (e: ScenarioEvent, label: string, body: () => unknown, detected?: () => void) => {
    if (t.sendsNodeSignals) send(e, label, body, detected);
    else detected?.();
  };
  const stillThere = (clusterId: string, node: TwinNode) => t.world.kube(clusterId).node(node.name) !== undefined;

  const apply = (e: ScenarioEvent): void => {
    switch (e.event) {
      case 'regionDown': return down(e, e.trackingId);
      case 'regionUp': return up(e, e.trackingId);
      case 'serviceHealth':
        t.say(`Service Health incident ${e.trackingId} ${e.stage} for ${e.region} (the region itself still works)`);
        return send(e, `Service Health ${e.trackingId} ${e.stage}`, serviceHealth(e.region, e.trackingId, e.stage));
      case 'regionFlap':
        // Each cycle is its own incident; the first goes down now, the rest follow.
        for (let i = 0; i < e.cycles; i++) {
          const id = `${e.trackingId}-${i + 1}`;
          const at = i * (e.downFor + e.upFor);
          if (at === 0) down(e, id);
          else t.after(at, `flap ${id} down`, () => down(e, id));
          t.after(at + e.downFor, `flap ${id} up`, () => up(e, id));
        }
        return;
      case 'quotaExhausted': {
        const family = t.family(e.region);
        const usage = t.arm.usage(t.subscription, e.region).find((u) => u.name.toLowerCase() === family.toLowerCase())!;
        const key = `${e.region}|${family}`;
        const baseline = (baselines.get(key) ?? 0) + Math.max(0, usage.limit - e.leaveVcpus - usage.used);
        baselines.set(key, baseline);
        t.arm.setBaseline(t.subscription, e.region, family, baseline);
        t.say(`other workloads take ${family} quota in ${e.region}: ${e.leaveVcpus} vCPUs left; the quota alert fires`);
        return send(e, `quota alert ${e.region} Fired`, quotaAlert(e.region, 'Fired'));
      }
      case 'quotaRestored': {
        const family = t.family(e.region);
        baselines.delete(`${e.region}|${family}`);
        t.arm.setBaseline(t.subscription, e.region, family, 0);
        t.say(`${family} quota in ${e.region} is free again; the quota alert resolves`);
        return send(e, `quota alert ${e.region} Resolved`, quotaAlert(e.region, 'Resolved'));
      }
      case 'quotaAlerts': {
        t.say(`alert storm: ${e.count} quota alerts for ${e.region} over ${e.over / 1000} s`);
        // Distinct alerts (each its own evaluation time, so its own id), each delivered as the event says.
        for (let i = 0; i < e.count; i++) t.after(Math.floor((i * e.over) / e.count), `quota alert ${i + 1}/${e.count}`, () => send(e, `quota alert ${e.region} #${i + 1}`, quotaAlert(e.region, 'Fired')));
        return;
      }
      case 'nodeNotReady': {
        const { clusterId, nodes, hit } = nodeFault(e, 'nodes NotReady');
        const firedAt = new Date(t.now());
        const body = (node: TwinNode, up: boolean) => () => e.signal === 'resourceHealth'
          ? vmssInstanceHealthEvent({ ...vmss(clusterId, node), state: up ? 'Available' : 'Unavailable', previous: up ? 'Unavailable' : 'Available', occurredAt: new Date(t.now()) })
          : nodeNotReadyAlert({ cluster: clusterRef(clusterId), node: node.name, ...(up ? { stage: 'Resolved' as const, firedAt, resolvedAt: new Date(t.now()) } : { stage: 'Fired' as const, firedAt }) });
        for (const node of nodes) {
          t.world.nodeNotReady(clusterId, node.name);
          nodeSignal(e, `${node.name} NotReady`, body(node, false), hit.detected);
        }
        if (e.for !== undefined) {
          t.after(e.for, `nodes Ready again on ${e.cluster}`, () => {
            for (const node of nodes.filter((n) => stillThere(clusterId, n))) {
              t.world.nodeReady(clusterId, node.name);
              nodeSignal(e, `${node.name} Ready`, body(node, true));
            }
            t.say(`nodes Ready again on ${e.cluster}: ${nodes.map((n) => n.name).join(', ')}`);
          });
        }
        return;
      }
      case 'gpuXid': {
        const { clusterId, nodes, hit } = nodeFault(e, `GPU XID ${e.xid}`);
        const firedAt = new Date(t.now());
        for (const node of nodes) {
          t.world.gpuXid(clusterId, node.name, e.xid);
          nodeSignal(e, `${node.name} XID ${e.xid}`, () => gpuXidAlert({ cluster: clusterRef(clusterId), node: node.name, xid: e.xid, gpu: 0, stage: 'Fired', firedAt }), hit.detected);
        }
        if (e.clearAfter !== undefined) {
          t.after(e.clearAfter, `XID cleared on ${e.cluster}`, () => {
            for (const node of nodes.filter((n) => stillThere(clusterId, n))) {
              t.world.clearGpuFault(clusterId, node.name);
              nodeSignal(e, `${node.name} XID resolved`, () => gpuXidAlert({ cluster: clusterRef(clusterId), node: node.name, xid: e.xid, gpu: 0, stage: 'Resolved', firedAt, resolvedAt: new Date(t.now()) }));
            }
            t.say(`GPUs healthy again on ${e.cluster}: ${nodes.map((n) => n.name).join(', ')}`);
          });
        }
        return;
      }
      case 'spotEviction': {
        const { clusterId, nodes, hit } = nodeFault(e, `Spot eviction (${e.notice / 1000} s notice)`, true);
        for (const node of nodes) {
          t.world.spotEvict(clusterId, node.name, t.span(e.notice));
          nodeSignal(e, `${node.name} preempted`, () => spotPreemptionEvent({ ...vmss(clusterId, node), occurredAt: new Date(t.now()) }), hit.detected);
        }
        return;
      }
      case 'nodeLost': {
        const { clusterId, nodes, hit } = nodeFault(e, 'VMs lost');
        for (const node of nodes) {
          t.world.nodeGone(clusterId, node.name);
          // No world event announces a lost VM: Resource Health's report is always sent from here.
          send(e, `${node.name} Unavailable`, () => vmssInstanceHealthEvent({ ...vmss(clusterId, node), state: 'Unavailable', previous: 'Available', occurredAt: new Date(t.now()) }), hit.detected);
        }
        return;
      }
      case 'armFault': {
        const clusterId = e.cluster ? t.clusterId(e.cluster) : undefined;
        const fault: ArmFault = t.arm.injectFault({
          kind: e.kind, ...(e.region ? { region: e.region } : {}), ...(clusterId ? { clusterId } : {}),
          ...(e.times !== undefined ? { times: e.times } : {}), ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
        });
        const where = e.cluster ?? e.region ?? 'every pool';
        t.say(`ARM answers ${where} with ${e.kind}${e.for !== undefined ? ` for ${e.for / 1000} s` : ''}${e.times !== undefined ? ` (${e.times} requests)` : ''}`);
        if (e.for !== undefined) t.after(e.for, `armFault ${e.kind} ends`, () => { fault.clear(); t.say(`ARM ${e.kind} on ${where} ends`); });
        return;
      }
    }
  };

  for (const [i, e] of events.entries()) t.after(e.at, `timeline.${i} ${e.event}`, () => apply(e));
}
