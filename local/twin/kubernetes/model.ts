/**
 * The Kubernetes side of one twin cluster, as plain records: AKS nodes (VMSS instances), the KubeRay pods on
 * them, and the Ray nodes and actors those pods are. `kubeCluster.ts` changes them; `kubeObjects.ts` turns them
 * into the JSON the API server would send.
 */

/** A node pool as the world sees it: how many VMs, and GPUs per VM. */
export interface WorldPool {
  readonly name: string;
  /** Default `Standard_NC24ads_A100_v4`. */
  readonly vmSize?: string;
  readonly gpusPerNode: number;
  readonly count: number;
  readonly spot?: boolean;
}

export interface TwinNode {
  readonly name: string;
  readonly pool: string;
  readonly mode: 'System' | 'User';
  readonly vmss: string;
  readonly instanceId: number;
  readonly providerId: string;
  readonly vmSize: string;
  readonly vcpus: number;
  readonly gpus: number;
  readonly gpuType?: string;
  readonly spot: boolean;
  /** The node's pod CIDR is 10.244.<index>.0/24 (kubenet), its VM address 10.224.0.<index + 4>. */
  readonly index: number;
  readonly uid: string;
  readonly createdAt: number;
  unschedulable: boolean;
  /** The kubelet posts status (the `Ready` condition is True). */
  ready: boolean;
  /** Last change of `ready`, for the condition's `lastTransitionTime`. */
  readyChangedAt: number;
  /** An NVIDIA XID on the node's GPUs: the device plugin marks them unhealthy (allocatable GPUs 0). */
  xid?: number;
  /** Ticks the node has spent NotReady or with a GPU fault; jobs on it fail when it reaches the limit. */
  faultTicks: number;
  /** Spot eviction: the VM is gone at this instant (Unix ms). */
  spotDeadline?: number;
  resourceVersion: string;
  /** Last host number handed to a pod in the node's /24. */
  lastPodHost: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface TwinPod {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly nodeName: string;
  readonly ip: string;
  readonly role: 'head' | 'worker';
  readonly createdAt: number;
  /** Set when deleted (eviction, delete, KubeRay scale-in); the pod lingers for the grace period. */
  deletionTimestamp?: number;
  /** World tick at which a terminating pod is gone. */
  removeAtTick?: number;
  deletionReason?: PodDeletionReason;
  resourceVersion: string;
  /** The Ray node this pod runs (a restart after the GCS declared it dead gives a new one). */
  rayNodeId: string;
}

export type NodeRemovalReason = 'scaleDown' | 'spotEvicted' | 'gone';
export type PodDeletionReason = 'evicted' | 'deleted' | 'workersToDelete' | 'surplus' | 'nodeRemoved';

/** What a Kubernetes object read or write can answer besides the object. */
export type KubeRefusal =
  | { readonly refused: 'notFound' }
  | { readonly refused: 'conflict' }
  | { readonly refused: 'invalid'; readonly message: string; readonly field?: string }
  | { readonly refused: 'badRequest'; readonly message: string }
  /** 422 from a JSON patch that could not be applied (a failed `test`, a path that does not exist). */
  | { readonly refused: 'patchNotApplied' };

export type EvictionOutcome =
  | { readonly outcome: 'evicted' }
  | { readonly outcome: 'notFound' }
  | { readonly outcome: 'blocked'; readonly pdb: string; readonly desiredHealthy: number; readonly currentHealthy: number };

export interface PdbStatus {
  readonly expectedPods: number;
  readonly currentHealthy: number;
  readonly desiredHealthy: number;
  readonly disruptionsAllowed: number;
}
