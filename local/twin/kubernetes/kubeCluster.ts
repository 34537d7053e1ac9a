/**
 * One AKS cluster's Kubernetes state in the twin: a small system node with the Ray head pod, GPU node pools
 * whose nodes each carry one KubeRay worker pod, the RayCluster `ray` (namespace `ray`, worker group `gpu`),
 * the PodDisruptionBudget `ray-workers` over the worker pods, and the Ray nodes and actors the pods are.
 *
 * KubeRay's reconcile (`reconcile`, once per world tick; control-plane.md §4.3): pods named in
 * `scaleStrategy.workersToDelete` are deleted and the list cleared; without in-tree autoscaling, workers beyond
 * `replicas` are deleted in list (name) order; while `replicas` exceeds the workers, a worker pod is created on a
 * schedulable, Ready GPU node that has no pod; a lost head pod is created again on a system node. A deleted pod
 * lingers `terminationTicks` ticks (its grace period) before it is gone.
 *
 * The worker group follows the GPU pools: after a pool change, `replicas` is the number of GPU nodes that hold a
 * worker or could take one (a cordoned node without a worker does not count), as the platform's autoscaler would
 * keep it. A node that dies outside a pool change leaves `replicas` alone, so the lost worker counts against the
 * disruption budget until a node takes its place.
 *
 * Jobs are the world's business (`world.ts`): this file reports which pods went away and lets the world fail the
 * jobs that ran on them.
 */
import { DEFAULT_CATALOGUE, lookupVmSize } from '../../../shared/capacity/vmSizes.js';
import type { RayActorState, RayNodeState } from '../ray/rayState.js';
import { applyJsonPatch, applyMergePatch, decodeJsonPatch, PatchDecodeError, PatchNotApplied, type Json } from './jsonPatch.js';
import type { EvictionOutcome, KubeRefusal, NodeRemovalReason, PdbStatus, PodDeletionReason, TwinNode, TwinPod, WorldPool } from './model.js';
import { initialRayCluster, RAY_NAMESPACE, RAY_WORKER_GROUP, validateRayClusterSpec, workerGroupOf } from './rayClusterSpec.js';
import { kubeUid, podSuffix, rayActorId, rayNodeId, vmssName, vmssNodeName, vmssProviderId, nodeResourceGroup } from './names.js';

export { RAY_CLUSTER_NAME, RAY_HEAD_SERVICE, RAY_NAMESPACE, RAY_WORKER_GROUP } from './rayClusterSpec.js';
export const PDB_NAME = 'ray-workers';
export const SYSTEM_POOL = 'system';
export const DEFAULT_GPU_VM_SIZE = 'Standard_NC24ads_A100_v4';
const SYSTEM_VM_SIZE = 'Standard_D4ds_v5';

export interface KubeEvents {
  nodeAdded: [clusterId: string, node: string];
  nodeRemoved: [clusterId: string, node: string, reason: NodeRemovalReason];
  nodeCordoned: [clusterId: string, node: string, unschedulable: boolean];
  podCreated: [clusterId: string, pod: string];
  /** The pod object is gone (after its grace period, or with its node). */
  podRemoved: [clusterId: string, pod: string, reason: PodDeletionReason];
}

export interface KubeClusterHooks {
  now(): number;
  /** The world's tick counter. */
  tick(): number;
  emit<K extends keyof KubeEvents>(event: K, ...args: KubeEvents[K]): void;
}

export interface KubeClusterInfo {
  readonly id: string;
  readonly name: string;
  readonly region: string;
}

export interface KubeClusterOptions {
  /** The PodDisruptionBudget's `maxUnavailable`. Default 1. */
  readonly pdbMaxUnavailable?: number;
  /** Ticks a deleted pod lingers before it is gone. Default 1. */
  readonly terminationTicks?: number;
}

interface PoolState {
  readonly name: string;
  readonly vmss: string;
  readonly vmSize: string;
  readonly vcpus: number;
  gpusPerNode: number;
  readonly gpuType?: string;
  readonly spot: boolean;
  readonly mode: 'System' | 'User';
  nextInstance: number;
}

type JsonObject = { [key: string]: Json };
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A VM size for a pool that did not name one, by GPUs per node. */
function defaultVmSize(gpusPerNode: number): string {
  return { 2: 'Standard_NC48ads_A100_v4', 4: 'Standard_NC96ads_A100_v4', 8: 'Standard_ND96asr_v4' }[gpusPerNode] ?? DEFAULT_GPU_VM_SIZE;
}

export class KubeCluster {
  readonly nodes = new Map<string, TwinNode>();
  readonly pods = new Map<string, TwinPod>();
  /** Ray's GCS view: every Ray node ever, dead ones included. */
  readonly rayNodes = new Map<string, RayNodeState>();
  readonly actors = new Map<string, RayActorState>();
  readonly rayClusterUid: string;
  readonly rayClusterCreatedAt: number;
  readonly pdbUid: string;
  pdbMaxUnavailable: number;
  pdbResourceVersion: string;
  readonly terminationTicks: number;
  /** The stored RayCluster: metadata and spec (its status is derived when read). */
  private rayCluster: JsonObject;
  private readonly pools = new Map<string, PoolState>();
  private revision = 1000;
  private nextNodeIndex = 0;
  private podCounter = 0;

  constructor(readonly info: KubeClusterInfo, pools: readonly WorldPool[], options: KubeClusterOptions, private readonly hooks: KubeClusterHooks) {
    this.pdbMaxUnavailable = options.pdbMaxUnavailable ?? 1;
    this.terminationTicks = options.terminationTicks ?? 1;
    this.pdbUid = kubeUid(`${info.id}|pdb`);
    this.pdbResourceVersion = this.nextRv();
    this.rayClusterUid = kubeUid(`${info.id}|raycluster`);
    this.rayClusterCreatedAt = hooks.now();
    this.addPool({ name: SYSTEM_POOL, vmSize: SYSTEM_VM_SIZE, gpusPerNode: 0, count: 0 }, 'System');
    const system = this.createNode(this.pools.get(SYSTEM_POOL)!);
    this.createPod(system, 'head');
    let workers = 0;
    for (const p of pools) {
      const pool = this.addPool(p, 'User');
      for (let i = 0; i < p.count; i++) {
        const node = this.createNode(pool);
        if (node.gpus > 0) {
          this.createPod(node, 'worker');
          workers++;
        }
      }
    }
    const gpuPool = [...this.pools.values()].find((p) => p.gpusPerNode > 0);
    this.rayCluster = initialRayCluster({
      uid: this.rayClusterUid, resourceVersion: this.nextRv(), creationTimestamp: kubeTime(this.rayClusterCreatedAt), clusterName: info.name,
      workers, gpusPerWorker: gpuPool?.gpusPerNode ?? 1, cpusPerWorker: Math.max(1, (gpuPool?.vcpus ?? 24) - 2),
    });
  }

  // ------------------------------------------------------------------------------------------------ reads

  get revisionNow(): string {
    return String(this.revision);
  }

  gpuNodes(): TwinNode[] {
    return [...this.nodes.values()].filter((n) => n.gpus > 0);
  }

  headPod(): TwinPod | undefined {
    return [...this.pods.values()].find((p) => p.role === 'head');
  }

  /** The worker pod on a node that is not being deleted. */
  activeWorkerPod(nodeName: string): TwinPod | undefined {
    for (const p of this.pods.values()) if (p.nodeName === nodeName && p.role === 'worker' && p.deletionTimestamp === undefined) return p;
    return undefined;
  }

  /** A node jobs can be given to: schedulable, Ready, healthy GPUs, a live worker pod whose Ray node is alive. */
  placeable(node: TwinNode): boolean {
    if (node.gpus === 0 || node.unschedulable || !node.ready || node.xid !== undefined) return false;
    const pod = this.activeWorkerPod(node.name);
    return pod !== undefined && this.rayNodes.get(pod.rayNodeId)?.state === 'ALIVE';
  }

  /** Counted healthy by the PDB: Running, Ready (its node is), not being deleted. */
  podHealthy(pod: TwinPod): boolean {
    return pod.deletionTimestamp === undefined && this.nodes.get(pod.nodeName)?.ready === true;
  }

  workerPods(): TwinPod[] {
    return [...this.pods.values()].filter((p) => p.role === 'worker');
  }

  pool(name: string): { readonly name: string; readonly gpusPerNode: number; readonly vmSize: string } | undefined {
    return this.pools.get(name);
  }

  gpuPools(): Array<{ readonly name: string; readonly gpusPerNode: number; readonly vmSize: string }> {
    return [...this.pools.values()].filter((p) => p.name !== SYSTEM_POOL);
  }

  // ------------------------------------------------------------------------------------------------ RayCluster

  private workerGroup(): JsonObject | undefined {
    return workerGroupOf(this.rayCluster);
  }

  replicas(): number {
    const r = this.workerGroup()?.['replicas'];
    return typeof r === 'number' ? r : 0;
  }

  workersToDelete(): string[] {
    const strategy = this.workerGroup()?.['scaleStrategy'];
    const list = isObject(strategy) ? strategy['workersToDelete'] : undefined;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  }

  private inTreeAutoscaling(): boolean {
    const spec = this.rayCluster['spec'];
    return isObject(spec) && spec['enableInTreeAutoscaling'] === true;
  }

  /** The stored object (metadata + spec), a copy. */
  rayClusterStored(): JsonObject {
    return structuredClone(this.rayCluster);
  }

  private touchRayCluster(specChanged: boolean): void {
    const meta = this.rayCluster['metadata'] as JsonObject;
    meta['resourceVersion'] = this.nextRv();
    if (specChanged) meta['generation'] = (meta['generation'] as number) + 1;
  }

  private setWorkerGroup(change: (group: JsonObject) => void): void {
    const group = this.workerGroup();
    if (!group) return;
    change(group);
    this.touchRayCluster(true);
  }

  /**
   * Apply a patch to the RayCluster `ray` the way the API server does for a custom resource with a status
   * subresource: `status` changes are dropped, `metadata.resourceVersion` in the patched object is a
   * precondition (409 on mismatch), name and namespace cannot change, and a few spec fields are type-checked
   * as the CRD's schema would.
   */
  patchRayCluster(kind: 'json' | 'merge', body: unknown, rendered: Record<string, unknown>): JsonObject | KubeRefusal {
    let patched: Json;
    try {
      patched = kind === 'json' ? applyJsonPatch(rendered as Json, decodeJsonPatch(body)) : applyMergePatch(rendered as Json, body as Json);
    } catch (error) {
      if (error instanceof PatchDecodeError) return { refused: 'badRequest', message: error.message };
      if (error instanceof PatchNotApplied) return { refused: 'patchNotApplied' };
      throw error;
    }
    if (!isObject(patched) || !isObject(patched['metadata'])) return { refused: 'badRequest', message: 'Object \'metadata\' is missing' };
    const meta = patched['metadata'];
    const current = this.rayCluster['metadata'] as JsonObject;
    if (meta['name'] !== current['name'] || meta['namespace'] !== current['namespace']) {
      return { refused: 'badRequest', message: `the name of the object (${String(meta['name'])}) does not match the name on the URL (${String(current['name'])})` };
    }
    if (meta['resourceVersion'] !== undefined && meta['resourceVersion'] !== current['resourceVersion']) return { refused: 'conflict' };
    const invalid = validateRayClusterSpec(patched['spec']);
    if (invalid) return invalid;
    const specChanged = JSON.stringify(patched['spec']) !== JSON.stringify(this.rayCluster['spec']);
    const next: JsonObject = { ...current };
    for (const key of ['labels', 'annotations'] as const) {
      if (isObject(meta[key])) next[key] = meta[key];
      else delete next[key];
    }
    this.rayCluster = { apiVersion: 'ray.io/v1', kind: 'RayCluster', metadata: next, spec: patched['spec'] as Json };
    this.touchRayCluster(specChanged);
    return this.rayClusterStored();
  }

  // ------------------------------------------------------------------------------------------------ nodes

  private addPool(p: WorldPool, mode: 'System' | 'User'): PoolState {
    const vmSize = p.vmSize ?? (mode === 'System' ? SYSTEM_VM_SIZE : defaultVmSize(p.gpusPerNode));
    const size = lookupVmSize(DEFAULT_CATALOGUE, vmSize);
    const pool: PoolState = {
      name: p.name, vmss: vmssName(this.info.id, p.name), vmSize, vcpus: size?.vcpus ?? (mode === 'System' ? 4 : 24),
      gpusPerNode: p.gpusPerNode, ...(size?.gpuType ? { gpuType: size.gpuType } : {}), spot: p.spot ?? false, mode, nextInstance: 0,
    };
    this.pools.set(p.name, pool);
    return pool;
  }

  private createNode(pool: PoolState): TwinNode {
    const instanceId = pool.nextInstance++;
    const name = vmssNodeName(pool.vmss, instanceId);
    const now = this.hooks.now();
    const gpus = pool.gpusPerNode;
    const labels: Record<string, string> = {
      agentpool: pool.name,
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/instance-type': pool.vmSize,
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.azure.com/agentpool': pool.name,
      'kubernetes.azure.com/cluster': nodeResourceGroup(this.info.id, this.info.region),
      'kubernetes.azure.com/mode': pool.mode.toLowerCase(),
      'kubernetes.azure.com/role': 'agent',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/role': 'agent',
      'node.kubernetes.io/instance-type': pool.vmSize,
      'topology.kubernetes.io/region': this.info.region,
      'topology.kubernetes.io/zone': '0',
      ...(gpus > 0 ? { 'kubernetes.azure.com/accelerator': 'nvidia', 'nvidia.com/gpu.present': 'true' } : {}),
      ...(pool.spot ? { 'kubernetes.azure.com/scalesetpriority': 'spot' } : {}),
    };
    const node: TwinNode = {
      name, pool: pool.name, mode: pool.mode, vmss: pool.vmss, instanceId,
      providerId: vmssProviderId(this.info.id, this.info.region, pool.vmss, instanceId),
      vmSize: pool.vmSize, vcpus: pool.vcpus, gpus, ...(pool.gpuType && gpus > 0 ? { gpuType: pool.gpuType } : {}), spot: pool.spot,
      index: this.nextNodeIndex++, uid: kubeUid(`${this.info.id}|node|${name}`), createdAt: now,
      unschedulable: false, ready: true, readyChangedAt: now, faultTicks: 0, resourceVersion: this.nextRv(), lastPodHost: 1,
      labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    };
    this.nodes.set(name, node);
    return node;
  }

  node(name: string): TwinNode | undefined {
    return this.nodes.get(name);
  }

  /** A write to a node's metadata (labels, annotations). */
  touchNode(node: TwinNode): void {
    node.resourceVersion = this.nextRv();
  }

  /** Cordon or uncordon. */
  setUnschedulable(name: string, unschedulable: boolean): TwinNode | undefined {
    const node = this.nodes.get(name);
    if (!node) return undefined;
    if (node.unschedulable !== unschedulable) {
      node.unschedulable = unschedulable;
      node.resourceVersion = this.nextRv();
      this.hooks.emit('nodeCordoned', this.info.id, name, unschedulable);
    }
    return node;
  }

  /**
   * Ready again: the fault clock stops; a worker whose Ray node the GCS declared dead meanwhile restarts its
   * raylet (a new Ray node).
   */
  setReady(name: string, ready: boolean): TwinNode | undefined {
    const node = this.nodes.get(name);
    if (!node) return undefined;
    if (node.ready !== ready) {
      node.ready = ready;
      node.readyChangedAt = this.hooks.now();
      node.resourceVersion = this.nextRv();
    }
    if (ready) {
      if (node.xid === undefined) node.faultTicks = 0;
      for (const pod of this.pods.values()) {
        if (pod.nodeName === name && pod.deletionTimestamp === undefined && this.rayNodes.get(pod.rayNodeId)?.state === 'DEAD') this.restartRayNode(pod);
      }
    }
    return node;
  }

  setXid(name: string, xid: number | undefined): TwinNode | undefined {
    const node = this.nodes.get(name);
    if (!node) return undefined;
    if (xid === undefined) delete node.xid;
    else node.xid = xid;
    if (xid === undefined && node.ready) node.faultTicks = 0;
    node.resourceVersion = this.nextRv();
    return node;
  }

  /**
   * Removes the node and, with it, its pods (their Ray nodes die). Returns the pods that went away.
   */
  removeNode(name: string, reason: NodeRemovalReason): TwinPod[] {
    const node = this.nodes.get(name);
    if (!node) return [];
    const gone: TwinPod[] = [];
    for (const pod of [...this.pods.values()]) {
      if (pod.nodeName !== name) continue;
      pod.deletionReason ??= 'nodeRemoved';
      this.removePod(pod, 'The node was lost.');
      gone.push(pod);
    }
    this.nodes.delete(name);
    this.revision++;
    this.hooks.emit('nodeRemoved', this.info.id, name, reason);
    return gone;
  }

  /**
   * Sets a pool's node count: adds nodes (new instance ids, as a scale set does), or removes nodes — idle ones
   * first (`busy` says which carry work), then NotReady or cordoned ones, then the newest. Returns the pods
   * that went away with removed nodes.
   */
  setPoolNodes(poolName: string, count: number, gpusPerNode: number, busy: (node: string) => boolean, vmSize?: string): TwinPod[] {
    let pool = this.pools.get(poolName);
    if (!pool) pool = this.addPool({ name: poolName, gpusPerNode, count: 0, ...(vmSize ? { vmSize } : {}) }, 'User');
    pool.gpusPerNode = gpusPerNode;
    const current = [...this.nodes.values()].filter((n) => n.pool === poolName);
    const gone: TwinPod[] = [];
    if (count > current.length) {
      for (let i = current.length; i < count; i++) {
        const node = this.createNode(pool);
        this.hooks.emit('nodeAdded', this.info.id, node.name);
      }
    } else if (count < current.length) {
      const rank = (n: TwinNode): number => (busy(n.name) ? 2 : 0) + (n.ready && !n.unschedulable ? 1 : 0);
      const victims = [...current].sort((a, b) => rank(a) - rank(b) || b.instanceId - a.instanceId).slice(0, current.length - count);
      for (const v of victims) gone.push(...this.removeNode(v.name, 'scaleDown'));
    } else {
      return gone;
    }
    if (pool.gpusPerNode > 0) {
      const wanted = this.gpuNodes().filter((n) => !n.unschedulable || this.activeWorkerPod(n.name) !== undefined).length;
      this.setWorkerGroup((g) => { g['replicas'] = wanted; });
    }
    return gone;
  }

  // ------------------------------------------------------------------------------------------------ pods

  private nextRv(): string {
    this.revision++;
    return String(this.revision);
  }

  private createPod(node: TwinNode, role: 'head' | 'worker'): TwinPod {
    let name: string;
    do {
      this.podCounter++;
      name = `${role === 'head' ? 'ray-head' : `ray-${RAY_WORKER_GROUP}-worker`}-${podSuffix(`${this.info.id}|${this.podCounter}`)}`;
    } while (this.pods.has(name));
    node.lastPodHost = node.lastPodHost >= 254 ? 2 : node.lastPodHost + 1;
    const pod: TwinPod = {
      name, namespace: RAY_NAMESPACE, uid: kubeUid(`${this.info.id}|pod|${name}`), nodeName: node.name,
      ip: `10.244.${node.index}.${node.lastPodHost}`, role, createdAt: this.hooks.now(), resourceVersion: this.nextRv(), rayNodeId: '',
    };
    this.pods.set(name, pod);
    this.restartRayNode(pod);
    return pod;
  }

  /** A fresh Ray node (raylet) for a pod. */
  private restartRayNode(pod: TwinPod): void {
    const node = this.nodes.get(pod.nodeName)!;
    const id = rayNodeId(`${pod.uid}|${this.rayNodes.size}`);
    const head = pod.role === 'head';
    const resources: Record<string, number> = {
      CPU: head ? 0 : node.vcpus,
      memory: node.vcpus * 7 * 2 ** 30,
      object_store_memory: node.vcpus * 2 * 2 ** 30,
      [`node:${pod.ip}`]: 1,
      ...(head ? { 'node:__internal_head__': 1 } : {}),
      ...(node.gpus > 0 && !head ? { GPU: node.gpus, ...(node.gpuType ? { [`accelerator_type:${node.gpuType}`]: 1 } : {}) } : {}),
    };
    this.rayNodes.set(id, {
      node_id: id, node_ip: pod.ip, is_head_node: head, state: 'ALIVE', state_message: null, node_name: pod.ip,
      resources_total: resources, labels: { 'ray.io/node_id': id }, start_time_ms: this.hooks.now(), end_time_ms: null,
    });
    pod.rayNodeId = id;
  }

  /** The GCS marks a Ray node dead; its actors die with it. */
  killRayNode(nodeId: string, message: string): void {
    const rayNode = this.rayNodes.get(nodeId);
    if (!rayNode || rayNode.state === 'DEAD') return;
    rayNode.state = 'DEAD';
    rayNode.state_message = message;
    rayNode.end_time_ms = this.hooks.now();
    for (const actor of this.actors.values()) {
      if (actor.node_id === nodeId && actor.state !== 'DEAD') {
        actor.state = 'DEAD';
        actor.death_cause = { node_died_error_context: { node_id: nodeId, node_ip_address: rayNode.node_ip, reason: 'UNEXPECTED_TERMINATION', reason_message: message } };
      }
    }
  }

  private removePod(pod: TwinPod, rayMessage: string): void {
    this.pods.delete(pod.name);
    this.killRayNode(pod.rayNodeId, rayMessage);
    if (pod.role === 'worker') this.touchRayCluster(false);
    this.hooks.emit('podRemoved', this.info.id, pod.name, pod.deletionReason ?? 'deleted');
  }

  /** A graceful delete: the pod is terminating now and gone after the grace period. */
  deletePod(pod: TwinPod, reason: PodDeletionReason): void {
    if (pod.deletionTimestamp !== undefined) return;
    pod.deletionTimestamp = this.hooks.now();
    pod.removeAtTick = this.hooks.tick() + this.terminationTicks;
    pod.deletionReason = reason;
    pod.resourceVersion = this.nextRv();
  }

  // ------------------------------------------------------------------------------------------------ PDB and eviction

  pdbStatus(): PdbStatus {
    const expectedPods = this.replicas();
    const currentHealthy = this.workerPods().filter((p) => this.podHealthy(p)).length;
    const desiredHealthy = Math.max(0, expectedPods - this.pdbMaxUnavailable);
    return { expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy) };
  }

  setPdbMaxUnavailable(n: number): void {
    this.pdbMaxUnavailable = n;
    this.pdbResourceVersion = this.nextRv();
  }

  /**
   * The Eviction API (`pkg/registry/core/pod/storage/eviction.go`): a pod already being deleted, or one no PDB
   * selects (the head), is deleted outright; a healthy pod needs `disruptionsAllowed > 0`; an unhealthy one
   * (policy `IfHealthyBudget`) needs the budget not to be broken already (`currentHealthy >= desiredHealthy`).
   */
  evict(namespace: string, podName: string): EvictionOutcome {
    const pod = this.pods.get(podName);
    if (!pod || pod.namespace !== namespace) return { outcome: 'notFound' };
    if (pod.deletionTimestamp !== undefined) return { outcome: 'evicted' };
    if (pod.role === 'worker') {
      const s = this.pdbStatus();
      const allowed = this.podHealthy(pod) ? s.disruptionsAllowed > 0 : s.currentHealthy >= s.desiredHealthy;
      if (!allowed) return { outcome: 'blocked', pdb: PDB_NAME, desiredHealthy: s.desiredHealthy, currentHealthy: s.currentHealthy };
    }
    this.deletePod(pod, 'evicted');
    return { outcome: 'evicted' };
  }

  // ------------------------------------------------------------------------------------------------ time

  /**
   * One pass of the pod garbage collector and KubeRay. Returns the pods that are gone (the world fails the
   * jobs that ran on them).
   */
  reconcile(): TwinPod[] {
    const tick = this.hooks.tick();
    const gone: TwinPod[] = [];
    for (const pod of [...this.pods.values()]) {
      if (pod.removeAtTick !== undefined && tick >= pod.removeAtTick) {
        this.removePod(pod, 'Expected termination: received SIGTERM');
        gone.push(pod);
      }
    }
    const toDelete = this.workersToDelete();
    if (toDelete.length > 0) {
      for (const name of toDelete) {
        const pod = this.pods.get(name);
        if (pod?.role === 'worker') this.deletePod(pod, 'workersToDelete');
      }
      this.setWorkerGroup((g) => {
        const strategy = isObject(g['scaleStrategy']) ? g['scaleStrategy'] : {};
        g['scaleStrategy'] = { ...strategy, workersToDelete: [] };
      });
    }
    const active = (): TwinPod[] => this.workerPods().filter((p) => p.deletionTimestamp === undefined);
    const replicas = this.replicas();
    if (!this.inTreeAutoscaling() && active().length > replicas) {
      const surplus = active().sort((a, b) => a.name.localeCompare(b.name)).slice(0, active().length - replicas);
      for (const pod of surplus) this.deletePod(pod, 'surplus');
    }
    // KubeRay brings a lost head back on a system node (its Ray cluster starts afresh).
    if (!this.headPod()) {
      const system = [...this.nodes.values()].find((n) => n.gpus === 0 && n.ready && !n.unschedulable);
      if (system) this.hooks.emit('podCreated', this.info.id, this.createPod(system, 'head').name);
    }
    let missing = replicas - active().length;
    for (const node of this.gpuNodes()) {
      if (missing <= 0) break;
      if (node.unschedulable || !node.ready || node.xid !== undefined) continue;
      if ([...this.pods.values()].some((p) => p.nodeName === node.name)) continue;
      const pod = this.createPod(node, 'worker');
      this.touchRayCluster(false);
      this.hooks.emit('podCreated', this.info.id, pod.name);
      missing--;
    }
    return gone;
  }

  /**
   * Advances the fault clocks of NotReady and GPU-faulted nodes. Returns the nodes whose clock reached `limit`
   * this tick; a NotReady one has its Ray nodes declared dead by the GCS (missed heartbeats).
   */
  faultTick(limit: number): TwinNode[] {
    const due: TwinNode[] = [];
    for (const node of this.nodes.values()) {
      if (node.ready && node.xid === undefined) continue;
      node.faultTicks++;
      if (node.faultTicks !== limit) continue;
      due.push(node);
      if (!node.ready) {
        for (const pod of this.pods.values()) {
          if (pod.nodeName === node.name) this.killRayNode(pod.rayNodeId, 'Unexpected termination: health check failed due to missing too many heartbeats');
        }
      }
    }
    return due;
  }

  // ------------------------------------------------------------------------------------------------ actors

  /** One Ray Train worker actor of a job on the Ray node of a pod. */
  addActor(pod: TwinPod, jobIdHex: string, seed: string, gpus: number, rayNamespace: string): RayActorState {
    const actor: RayActorState = {
      actor_id: rayActorId(`${this.info.id}|${seed}`, jobIdHex), class_name: 'RayTrainWorker', state: 'ALIVE', job_id: jobIdHex,
      name: '', node_id: pod.rayNodeId, pid: 1000 + this.actors.size, ray_namespace: rayNamespace,
      serialized_runtime_env: '{}', required_resources: { GPU: gpus }, death_cause: null, is_detached: false,
      placement_group_id: null, repr_name: '', num_restarts: 0, num_restarts_due_to_lineage_reconstruction: 0,
    };
    this.actors.set(actor.actor_id, actor);
    return actor;
  }

  endActor(actorId: string): void {
    const actor = this.actors.get(actorId);
    if (actor && actor.state !== 'DEAD') {
      actor.state = 'DEAD';
      actor.death_cause ??= { actor_died_error_context: { reason: 'OUT_OF_SCOPE', error_message: 'The actor is dead because its owner has died.' } };
    }
  }
}

/** Kubernetes' timestamp format (RFC 3339, whole seconds). */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
