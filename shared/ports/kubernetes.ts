/**
 * The Kubernetes API of each AKS cluster, shaped like our needs (cordon, drain Ray workers), not like the
 * client library. Clusters are named by their ARM id; the adapter finds the API server and authenticates
 * (listClusterUserCredentials for server + CA, an Entra token for the AKS server application).
 *
 * Every method is idempotent: a retry after a crash or a redelivery does no harm. Failures other than the results
 * below are thrown with `retryable` (true for throttling, server errors, conflicts and no answer; false for a
 * refusal that cannot pass, e.g. 403, or a cluster ARM does not know).
 */

export interface KubeNodeInfo {
  readonly name: string;
  readonly unschedulable: boolean;
  /** The `Ready` condition is `True`. */
  readonly ready: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** `spec.providerID`, e.g. `azure:///subscriptions/…/virtualMachineScaleSets/aks-gpu-1-vmss/virtualMachines/3`. */
  readonly providerId?: string;
}

export interface KubePodInfo {
  readonly name: string;
  readonly namespace: string;
  readonly nodeName?: string;
  readonly podIp?: string;
  /** Pending | Running | Succeeded | Failed | Unknown */
  readonly phase: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Set when the pod is being deleted (`metadata.deletionTimestamp`). */
  readonly terminating: boolean;
}

export type EvictionResult =
  | { readonly outcome: 'evicted' }
  /** The pod is already gone: as good as evicted. */
  | { readonly outcome: 'notFound' }
  /** 429: a PodDisruptionBudget (or API rate limiting) blocks it now; try again later. `reason` is the server's message. */
  | { readonly outcome: 'blocked'; readonly reason: string; readonly retryAfterMs?: number };

export type ScaleInResult =
  /**
   * `replicas` lowered (never below the group's `minReplicas`: KubeRay then replaces the victims elsewhere) and the
   * pods named in `workersToDelete` (KubeRay deletes exactly those).
   */
  | { readonly outcome: 'patched'; readonly replicas: number }
  /** None of the pods is still counted in the group: nothing to do. */
  | { readonly outcome: 'nothingToDo' }
  /** No such RayCluster, or no such worker group in it. */
  | { readonly outcome: 'notFound' };

export interface Kubernetes {
  getNode(clusterId: string, node: string): Promise<KubeNodeInfo | 'notFound'>;
  /** Merge-patch `spec.unschedulable: true`. 'notFound' when the node is gone (as good as cordoned). */
  cordon(clusterId: string, node: string): Promise<'cordoned' | 'notFound'>;
  uncordon(clusterId: string, node: string): Promise<'uncordoned' | 'notFound'>;
  /** Pods bound to the node (`fieldSelector spec.nodeName=<node>`), optionally narrowed by a label selector. */
  podsOnNode(clusterId: string, node: string, labelSelector?: string): Promise<KubePodInfo[]>;
  /** The Eviction API (`policy/v1`): honours PodDisruptionBudgets; 429 is `blocked`, never an error. */
  evict(clusterId: string, namespace: string, pod: string): Promise<EvictionResult>;
  /**
   * Scale a RayCluster worker group in by exactly these pods: lower `replicas` by the pods still counted and add
   * them to `scaleStrategy.workersToDelete`, in one JSON patch guarded by `resourceVersion` (re-read and retried
   * on a conflict), so KubeRay deletes these pods rather than picking some at random.
   */
  scaleInRayWorkers(clusterId: string, namespace: string, rayCluster: string, group: string, pods: readonly string[]): Promise<ScaleInResult>;
}
