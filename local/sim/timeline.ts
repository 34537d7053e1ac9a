/**
 * A scenario's timeline on the agenda: each event changes the world or the ARM model at its time, and the alert
 * Azure would send about it is built as the real wire body (the twin's body builders) and delivered — after the
 * detection delay, as many copies as asked, spread out and so reordered by the seeded generator.
 */
import type { ArmFault } from '../twin/arm/armTwin.js';
import type { TwinNode } from '../twin/kubernetes/model.js';
import { gpuXidAlert, nodeNotReadyAlert, spotPreemptionEvent, vmssInstanceHealthEvent } from '../twin/nodeSignals.js';
import { quotaAlertBody } from '../twin/quotaAlert.js';
import { serviceHealthAlertBody } from '../twin/serviceHealthAlert.js';
import type { Agenda } from './agenda.js';
import type { Harness } from './harness.js';
import type { Disruption, Observer } from './observer.js';
import type { Random } from './random.js';
import type { Delivery, Scenario, ScenarioEvent } from './scenario.js';
import { familyOf } from './scenarioFleet.js';

export interface TimelineEntry {
  readonly at: number;
  readonly text: string;
}

/** Delivers one inbound body to the autopilot now (as POST /api/alerts would). */
export type Deliver = (label: string, body: unknown) => void;

export function scheduleTimeline(h: Harness, agenda: Agenda, observer: Observer, random: Random, deliver: Deliver): TimelineEntry[] {
  const s = h.scenario;
  const start = Date.parse(s.start);
  const entries: TimelineEntry[] = [];
  const baselines = new Map<string, number>();
  const say = (text: string) => entries.push({ at: h.time.ms(), text });

  const send = (event: ScenarioEvent, label: string, body: () => unknown, disruption?: Disruption) => {
    const d: Delivery = 'deliveries' in event && event.deliveries ? event.deliveries : s.alerts;
    const now = h.time.ms();
    // The body is built once, when the condition is observed: every copy is the same alert (a duplicate).
    const built = body();
    for (let copy = 0; copy < d.copies; copy++) {
      const at = now + d.delay + (d.spread > 0 ? random.int(d.spread + 1) : 0);
      agenda.add(at, `${label}${d.copies > 1 ? ` (copy ${copy + 1}/${d.copies})` : ''}`, () => {
        if (disruption) observer.detected(disruption);
        deliver(label, built);
      });
    }
  };

  const serviceHealth = (region: string, trackingId: string, stage: 'Active' | 'Resolved') => () => serviceHealthAlertBody({
    subscriptionId: h.fleet.subscription, trackingId, regions: [h.fleet.regions.find((r) => r.name === region)!.displayName], stage, at: h.time.now(),
  });

  const quotaAlert = (region: string, stage: 'Fired' | 'Resolved') => () => {
    const family = familyOf(s, h.fleet, region);
    const usage = h.arm.usage(h.fleet.subscription, region).find((u) => u.name.toLowerCase() === family.toLowerCase())!;
    return quotaAlertBody({ subscriptionId: h.fleet.subscription, region, family, used: usage.used, limit: usage.limit, stage, at: h.time.now() });
  };

  const down = (e: ScenarioEvent & { region: string }, trackingId: string) => {
    const d = observer.regionDown(`${e.region} down (${trackingId})`, [e.region]);
    h.world.regionDown(e.region);
    say(`${e.region} goes dark (${d.affected.size} jobs there); Service Health incident ${trackingId} Active`);
    send(e, `Service Health ${trackingId} Active`, serviceHealth(e.region, trackingId, 'Active'), d);
  };
  const up = (e: ScenarioEvent & { region: string }, trackingId: string) => {
    h.world.regionUp(e.region);
    say(`${e.region} is back; Service Health incident ${trackingId} Resolved`);
    send(e, `Service Health ${trackingId} Resolved`, serviceHealth(e.region, trackingId, 'Resolved'));
  };

  /** The nodes a node fault hits: healthy GPU nodes of the cluster (Spot ones for an eviction), busy ones first, seeded. */
  const pick = (e: Extract<ScenarioEvent, { cluster: string; nodes: number }>, spotOnly: boolean): { clusterId: string; nodes: TwinNode[] } => {
    const clusterId = h.fleet.clusterIds.get(e.cluster)!;
    const kube = h.world.kube(clusterId);
    const healthy = kube.gpuNodes().filter((n) => n.ready && n.xid === undefined && n.spotDeadline === undefined && (!spotOnly || n.spot));
    const busy = (n: TwinNode) => (e.pick === 'busy' && h.world.jobsOnNode(clusterId, n.name).length > 0 ? 0 : 1);
    const ordered = random.shuffle(healthy).sort((a, b) => busy(a) - busy(b));
    return { clusterId, nodes: ordered.slice(0, e.nodes) };
  };
  const clusterRef = (clusterId: string) => {
    const c = h.world.clusters.get(clusterId)!;
    return { id: c.id, name: c.name, region: c.region };
  };
  const vmss = (clusterId: string, n: TwinNode) => ({ cluster: clusterRef(clusterId), vmss: n.vmss, instanceId: n.instanceId });
  const nodeFault = (e: Extract<ScenarioEvent, { cluster: string; nodes: number }>, what: string, spotOnly = false) => {
    const { clusterId, nodes } = pick(e, spotOnly);
    const names = nodes.map((n) => n.name);
    const d = observer.nodeFault(`${what} on ${e.cluster}: ${names.join(', ') || 'no node'}`, clusterId, names);
    say(`${what} on ${e.cluster}: ${names.join(', ') || 'no healthy node to hit'} (${d.affected.size} jobs there)`);
    return { clusterId, nodes, d };
  };

  const apply = (e: ScenarioEvent): void => {
    switch (e.event) {
      case 'regionDown': return down(e, e.trackingId);
      case 'regionUp': return up(e, e.trackingId);
      case 'serviceHealth':
        say(`Service Health incident ${e.trackingId} ${e.stage} for ${e.region} (the region itself still works)`);
        return send(e, `Service Health ${e.trackingId} ${e.stage}`, serviceHealth(e.region, e.trackingId, e.stage));
      case 'regionFlap':
        // Each cycle is its own incident; the first goes down now, the rest follow on the agenda.
        for (let i = 0; i < e.cycles; i++) {
          const at = h.time.ms() + i * (e.downFor + e.upFor);
          const id = `${e.trackingId}-${i + 1}`;
          agenda.add(at, `flap ${id} down`, () => down(e, id));
          agenda.add(at + e.downFor, `flap ${id} up`, () => up(e, id));
        }
        return;
      case 'quotaExhausted': {
        const family = familyOf(s, h.fleet, e.region);
        const usage = h.arm.usage(h.fleet.subscription, e.region).find((u) => u.name.toLowerCase() === family.toLowerCase())!;
        const key = `${e.region}|${family}`;
        const baseline = (baselines.get(key) ?? 0) + Math.max(0, usage.limit - e.leaveVcpus - usage.used);
        baselines.set(key, baseline);
        h.arm.setBaseline(h.fleet.subscription, e.region, family, baseline);
        say(`other workloads take ${family} quota in ${e.region}: ${e.leaveVcpus} vCPUs left; the quota alert fires`);
        return send(e, `quota alert ${e.region} Fired`, quotaAlert(e.region, 'Fired'));
      }
      case 'quotaRestored': {
        const family = familyOf(s, h.fleet, e.region);
        baselines.delete(`${e.region}|${family}`);
        h.arm.setBaseline(h.fleet.subscription, e.region, family, 0);
        say(`${family} quota in ${e.region} is free again; the quota alert resolves`);
        return send(e, `quota alert ${e.region} Resolved`, quotaAlert(e.region, 'Resolved'));
      }
      case 'quotaAlerts': {
        say(`alert storm: ${e.count} quota alerts for ${e.region} over ${e.over / 1000} s`);
        for (let i = 0; i < e.count; i++) {
          // Distinct alerts (each its own evaluation time, so its own id), each delivered as the event says.
          agenda.add(h.time.ms() + Math.floor((i * e.over) / e.count), `quota alert ${i + 1}/${e.count}`, () => send(e, `quota alert ${e.region} #${i + 1}`, quotaAlert(e.region, 'Fired')));
        }
        return;
      }
      case 'nodeNotReady': {
        const { clusterId, nodes, d } = nodeFault(e, 'nodes NotReady');
        const firedAt = h.time.now();
        const body = (node: TwinNode, up: boolean) => () => e.signal === 'resourceHealth'
          ? vmssInstanceHealthEvent({ ...vmss(clusterId, node), state: up ? 'Available' : 'Unavailable', previous: up ? 'Unavailable' : 'Available', occurredAt: h.time.now() })
          : nodeNotReadyAlert({ cluster: clusterRef(clusterId), node: node.name, ...(up ? { stage: 'Resolved' as const, firedAt, resolvedAt: h.time.now() } : { stage: 'Fired' as const, firedAt }) });
        for (const node of nodes) {
          h.world.nodeNotReady(clusterId, node.name);
          send(e, `${node.name} NotReady`, body(node, false), d);
        }
        if (e.for !== undefined) {
          agenda.add(h.time.ms() + e.for, `nodes Ready again on ${e.cluster}`, () => {
            for (const node of nodes) {
              if (!h.world.kube(clusterId).node(node.name)) continue; // replaced meanwhile
              h.world.nodeReady(clusterId, node.name);
              send(e, `${node.name} Ready`, body(node, true));
            }
            say(`nodes Ready again on ${e.cluster}: ${nodes.map((n) => n.name).join(', ')}`);
          });
        }
        return;
      }
      case 'gpuXid': {
        const { clusterId, nodes, d } = nodeFault(e, `GPU XID ${e.xid}`);
        const firedAt = h.time.now();
        for (const node of nodes) {
          h.world.gpuXid(clusterId, node.name, e.xid);
          send(e, `${node.name} XID ${e.xid}`, () => gpuXidAlert({ cluster: clusterRef(clusterId), node: node.name, xid: e.xid, gpu: 0, stage: 'Fired', firedAt }), d);
        }
        if (e.clearAfter !== undefined) {
          agenda.add(h.time.ms() + e.clearAfter, `XID cleared on ${e.cluster}`, () => {
            for (const node of nodes) {
              if (!h.world.kube(clusterId).node(node.name)) continue;
              h.world.clearGpuFault(clusterId, node.name);
              send(e, `${node.name} XID resolved`, () => gpuXidAlert({ cluster: clusterRef(clusterId), node: node.name, xid: e.xid, gpu: 0, stage: 'Resolved', firedAt, resolvedAt: h.time.now() }));
            }
            say(`GPUs healthy again on ${e.cluster}: ${nodes.map((n) => n.name).join(', ')}`);
          });
        }
        return;
      }
      case 'spotEviction': {
        const { clusterId, nodes, d } = nodeFault(e, `Spot eviction (${e.notice / 1000} s notice)`, true);
        for (const node of nodes) {
          h.world.spotEvict(clusterId, node.name, e.notice);
          send(e, `${node.name} preempted`, () => spotPreemptionEvent({ ...vmss(clusterId, node), occurredAt: h.time.now() }), d);
        }
        return;
      }
      case 'nodeLost': {
        const { clusterId, nodes, d } = nodeFault(e, 'VMs lost');
        for (const node of nodes) {
          h.world.nodeGone(clusterId, node.name);
          send(e, `${node.name} Unavailable`, () => vmssInstanceHealthEvent({ ...vmss(clusterId, node), state: 'Unavailable', previous: 'Available', occurredAt: h.time.now() }), d);
        }
        return;
      }
      case 'armFault': {
        const clusterId = e.cluster ? h.fleet.clusterIds.get(e.cluster) : undefined;
        const fault: ArmFault = h.arm.injectFault({
          kind: e.kind, ...(e.region ? { region: e.region } : {}), ...(clusterId ? { clusterId } : {}),
          ...(e.times !== undefined ? { times: e.times } : {}), ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
        });
        const where = e.cluster ?? e.region ?? 'every pool';
        say(`ARM answers ${where} with ${e.kind}${e.for !== undefined ? ` for ${e.for / 1000} s` : ''}${e.times !== undefined ? ` (${e.times} requests)` : ''}`);
        if (e.for !== undefined) agenda.add(h.time.ms() + e.for, `armFault ${e.kind} ends`, () => { fault.clear(); say(`ARM ${e.kind} on ${where} ends`); });
        return;
      }
    }
  };

  for (const [i, e] of s.timeline.entries()) agenda.add(start + e.at, `timeline.${i} ${e.event}`, () => apply(e));
  return entries;
}

