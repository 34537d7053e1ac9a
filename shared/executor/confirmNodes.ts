/**
 * Asking Azure Monitor before acting on what we were told about nodes: a pushed alert can be stale, late or
 * wrong. Used before a storm of node failures makes a region suspect, and before a node cordoned for being
 * NotReady is uncordoned. When Monitor cannot answer (not configured, slow, throttled) the decision stands on
 * the signals alone: confirmation can only hold an action back, never invent one.
 */
import type { NodeIncident } from '../nodes/nodeIncident.js';
import type { Ports } from './ports.js';

/** How far back node inventory records are read: Container insights reports every minute. */
const READINESS_WINDOW_MIN = 15;

export type Confirmation = { readonly confirmed: true; readonly why: string } | { readonly confirmed: false; readonly why: string };

/** The storm is confirmed when enough of its nodes are NotReady per Monitor (or failed in ways Monitor cannot see). */
export async function confirmStorm(ports: Ports, region: string, failing: readonly NodeIncident[], needed: number): Promise<Confirmation> {
  if (!ports.telemetry) return { confirmed: true, why: 'Monitor not configured: the signals stand' };
  const clusters = ports.fleet.clusters.filter((c) => c.region === region);
  const answer = await ports.telemetry.nodeReadiness(clusters, READINESS_WINDOW_MIN);
  if (answer.status === 'unavailable') return { confirmed: true, why: `Monitor unavailable (${answer.reason}): the signals stand` };
  const readiness = new Map<string, boolean>();
  for (const [clusterId, readings] of answer.clusters) for (const r of readings) readiness.set(`${clusterId.toLowerCase()}|${r.node}`, r.ready);
  // NotReady is what Monitor can see; a GPU fault or a VM that Azure takes away looks Ready to the kubelet.
  const seen = failing.filter((n) => n.cause !== 'notReady' || readiness.get(`${n.clusterId.toLowerCase()}|${n.node}`) !== true);
  return seen.length >= needed
    ? { confirmed: true, why: `Monitor agrees: ${seen.length} of ${failing.length} failing nodes are not Ready or failed in ways it cannot see` }
    : { confirmed: false, why: `Monitor does not confirm: only ${seen.length} of ${failing.length} reported nodes look failed (${needed} make a storm)` };
}

/** A node is uncordoned only if Monitor does not say it is NotReady now. */
export async function confirmReady(ports: Ports, incident: NodeIncident): Promise<Confirmation> {
  if (!ports.telemetry) return { confirmed: true, why: 'Monitor not configured' };
  const cluster = ports.fleet.clusters.find((c) => c.id.toLowerCase() === incident.clusterId.toLowerCase());
  if (!cluster) return { confirmed: true, why: 'cluster not in the fleet' };
  const answer = await ports.telemetry.nodeReadiness([cluster], READINESS_WINDOW_MIN);
  if (answer.status === 'unavailable') return { confirmed: true, why: `Monitor unavailable (${answer.reason})` };
  const reading = [...answer.clusters.values()].flat().find((r) => r.node === incident.node);
  return reading && !reading.ready
    ? { confirmed: false, why: `Monitor says ${incident.node} is NotReady at ${reading.at}; it stays cordoned` }
    : { confirmed: true, why: reading ? `Monitor says ${incident.node} is Ready at ${reading.at}` : `Monitor has no record of ${incident.node}` };
}
