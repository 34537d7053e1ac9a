/**
 * Which node a signal is about and what it says about it: the one shape node handling works on,
 * whatever the source (Prometheus NotReady, a DCGM XID alert, Resource Health of the node's VMSS
 * instance, a Spot preemption notice). Pure.
 */
import type { ClusterSpec } from '../fleet/types.js';
import type { Signal } from '../signals/types.js';
import { isApplicationXid, xidName } from '../signals/xid.js';

/**
 * - notReady: the kubelet stopped reporting; it may come back (restart, network blip);
 * - gpuFault: a hardware XID; the node is Ready but its GPU is not trustworthy;
 * - vmUnavailable: Azure says the VM is down or going away;
 * - vmDegraded: Azure says the VM runs at risk (predicted hardware failure, freeze); work still runs;
 * - preempted: Spot eviction (or maintenance) with a deadline.
 */
export type NodeCause = 'notReady' | 'gpuFault' | 'vmUnavailable' | 'vmDegraded' | 'preempted';

export interface NodeFault {
  readonly clusterId: string;
  readonly region: string;
  readonly node: string;
  readonly pool?: string;
  /** true: bad news; false: the node says it is fine again (Resolved / Available). */
  readonly bad: boolean;
  readonly cause: NodeCause;
  /** Event time. */
  readonly at: string;
  /** When the VM will be taken away (Spot notice, planned maintenance). */
  readonly deadline?: string;
  readonly signalId: string;
  readonly detail: string;
}


/** The node fault a signal reports, `{ ignore }` with why when it is not one we act on, or undefined for other kinds. */
export function nodeFaultOf(signal: Signal, clusters: readonly ClusterSpec[]): NodeFault | { readonly ignore: string } | undefined {
  switch (signal.kind) {
    case 'nodeNotReady':
    case 'gpuFault': {
      const cluster = findCluster(clusters, signal.clusterId, signal.cluster);
      if (!cluster) return { ignore: `${signal.kind} for ${signal.node}: cluster ${signal.clusterId ?? signal.cluster ?? '(none)'} is not (uniquely) in the fleet` };
      const bad = signal.stage === 'active';
      if (signal.kind === 'gpuFault' && bad && signal.xid !== undefined && isApplicationXid(signal.xid)) {
        return { ignore: `XID ${signal.xid} on ${signal.node} is caused by the application, not the GPU: the node stays in service` };
      }
      const detail = signal.kind === 'gpuFault'
        ? `GPU XID${signal.xid !== undefined ? ` ${signal.xid}${xidName(signal.xid) ? ` (${xidName(signal.xid)})` : ''}` : ''} on ${signal.node} (${signal.stage})`
        : `${signal.node} NotReady (${signal.stage})`;
      return {
        clusterId: cluster.id, region: cluster.region, node: signal.node, bad, cause: signal.kind === 'gpuFault' ? 'gpuFault' : 'notReady',
        at: signal.observedAt, signalId: signal.id, detail,
      };
    }
    case 'resourceHealth': {
      if (!signal.node) return undefined; // a cluster or another resource: region evidence, not a node
      const cluster = findCluster(clusters, signal.clusterId, undefined);
      if (!cluster) return { ignore: `Resource Health of node ${signal.node}: its cluster is not in the fleet` };
      // An annotation we caused (AKS scaling a pool down deallocates nodes): not a failure.
      if (signal.reason && /\(Customer Initiated\)/i.test(signal.reason)) return { ignore: `${signal.node}: ${signal.reason}: initiated by us or an operator, not a failure` };
      if (signal.status === 'unknown') return { ignore: `Resource Health of ${signal.node} is unknown: nothing to act on` };
      const bad = signal.status !== 'available';
      const cause: NodeCause = signal.deadline ? 'preempted' : signal.status === 'degraded' ? 'vmDegraded' : 'vmUnavailable';
      return {
        clusterId: cluster.id, region: cluster.region, node: signal.node, ...(signal.pool ? { pool: signal.pool } : {}), bad, cause,
        at: signal.observedAt, ...(signal.deadline ? { deadline: signal.deadline } : {}), signalId: signal.id,
        detail: `${signal.node} ${signal.status}${signal.reason ? ` (${signal.reason})` : ''}${signal.deadline ? `, taken away at ${signal.deadline}` : ''}`,
      };
    }
    default:
      return undefined;
  }
}

function findCluster(clusters: readonly ClusterSpec[], clusterId: string | undefined, name: string | undefined): ClusterSpec | undefined {
  if (clusterId) return clusters.find((c) => c.id.toLowerCase() === clusterId.toLowerCase());
  if (!name) return undefined;
  const named = clusters.filter((c) => c.name.toLowerCase() === name.toLowerCase());
  return named.length === 1 ? named[0] : undefined;
}

/** AKS names VMSS nodes `aks-<pool>-<digits>-vmss<instance>`: the pool when the signal did not say. */
export function poolOfNode(node: string): string | undefined {
  return /^aks-([a-z][a-z0-9]{0,11})-\d+-vmss[0-9a-z]{6}$/.exec(node)?.[1];
}
