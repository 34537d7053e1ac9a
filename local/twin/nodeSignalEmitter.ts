/**
 * The twin tells the autopilot about node faults the way Azure would: a world event becomes the real wire
 * body — Prometheus `KubeNodeNotReady` Fired/Resolved and the DCGM XID alert through the action group webhook
 * (`POST /api/alerts`), a Spot preemption as a Resource Notifications `ResourceAnnotated` event through the
 * Event Grid webhook (`POST /api/events`). Posts are asynchronous like Azure's; `flush()` waits for them.
 */
import type { FleetWorld } from './world.js';
import { gpuXidAlert, nodeNotReadyAlert, spotPreemptionEvent, vmssOfNode, instanceIdOfNode } from './nodeSignals.js';

export type Post = (path: '/api/alerts' | '/api/events', body: unknown) => Promise<{ status: number }>;

export interface NodeSignalEmitter {
  /** Every body posted so far, in order (for tests and the demo's output). */
  readonly sent: Array<{ path: string; kind: 'nodeNotReady' | 'nodeReady' | 'gpuXid' | 'spotPreemption'; node: string; status?: number; at: number }>;
  /** Waits until every post started so far has been answered. */
  flush(): Promise<void>;
  stop(): void;
}

export function emitNodeSignals(world: FleetWorld, post: Post, options: { log?: (r: Record<string, unknown>) => void; now?: () => number } = {}): NodeSignalEmitter {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const pending = new Set<Promise<unknown>>();
  const sent: NodeSignalEmitter['sent'] = [];
  /** When each node's current NotReady episode fired: its Resolved names the same alert. */
  const firedAt = new Map<string, Date>();
  const cluster = (id: string) => {
    const c = world.clusters.get(id)!;
    return { id: c.id, name: c.name, region: c.region };
  };
  const send = (path: '/api/alerts' | '/api/events', body: unknown, kind: NodeSignalEmitter['sent'][number]['kind'], node: string) => {
    const entry: NodeSignalEmitter['sent'][number] = { path, kind, node, at: performance.now() };
    sent.push(entry);
    const p = post(path, body)
      .then((r) => { entry.status = r.status; })
      .catch((e: Error) => log({ level: 'warn', message: `twin: posting ${kind} for ${node} failed: ${e.message}` }))
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  const onNotReady = (clusterId: string, node: string) => {
    const at = new Date(now());
    firedAt.set(`${clusterId}|${node}`, at);
    send('/api/alerts', nodeNotReadyAlert({ stage: 'Fired', firedAt: at, cluster: cluster(clusterId), node }), 'nodeNotReady', node);
  };
  const onReady = (clusterId: string, node: string) => {
    const fired = firedAt.get(`${clusterId}|${node}`);
    if (!fired) return;
    firedAt.delete(`${clusterId}|${node}`);
    send('/api/alerts', nodeNotReadyAlert({ stage: 'Resolved', firedAt: fired, resolvedAt: new Date(now()), cluster: cluster(clusterId), node }), 'nodeReady', node);
  };
  const onXid = (clusterId: string, node: string, xid: number) => {
    send('/api/alerts', gpuXidAlert({ stage: 'Fired', firedAt: new Date(now()), cluster: cluster(clusterId), node, xid, gpu: 0 }), 'gpuXid', node);
  };
  const onSpot = (clusterId: string, node: string) => {
    send('/api/events', spotPreemptionEvent({ cluster: cluster(clusterId), vmss: vmssOfNode(node)!, instanceId: instanceIdOfNode(node)!, occurredAt: new Date(now()) }), 'spotPreemption', node);
  };
  world.on('nodeNotReady', onNotReady);
  world.on('nodeReady', onReady);
  world.on('gpuXid', onXid);
  world.on('spotEvictionNotice', onSpot);
  return {
    sent,
    flush: async () => { while (pending.size) await Promise.all([...pending]); },
    stop: () => {
      world.off('nodeNotReady', onNotReady);
      world.off('nodeReady', onReady);
      world.off('gpuXid', onXid);
      world.off('spotEvictionNotice', onSpot);
    },
  };
}
