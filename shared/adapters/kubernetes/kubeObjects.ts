/** The generated client's `V1Node` / `V1Pod` models → the port's shapes (only what the autopilot decides on). */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { KubeNodeInfo, KubePodInfo } from '../../ports/kubernetes.js';

export function toNodeInfo(node: V1Node): KubeNodeInfo {
  const providerId = node.spec?.providerID;
  return {
    name: node.metadata?.name ?? '',
    unschedulable: node.spec?.unschedulable === true,
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    labels: { ...(node.metadata?.labels ?? {}) },
    ...(providerId ? { providerId } : {}),
  };
}

export function toPodInfo(pod: V1Pod): KubePodInfo {
  const nodeName = pod.spec?.nodeName;
  const podIp = pod.status?.podIP;
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    ...(nodeName ? { nodeName } : {}),
    ...(podIp ? { podIp } : {}),
    phase: pod.status?.phase ?? 'Unknown',
    labels: { ...(pod.metadata?.labels ?? {}) },
    terminating: pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null,
  };
}
