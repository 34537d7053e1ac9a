/**
 * The twin's nodes, pods, PodDisruptionBudget and RayCluster as the API server sends them (JSON, `v1` Node and
 * Pod, `policy/v1` PodDisruptionBudget, `ray.io/v1` RayCluster with its status as KubeRay v1.7 writes it).
 * Items of a typed list carry no `kind`/`apiVersion`, those of a custom-resource list do, as on the wire.
 */
import { kubeTime, PDB_NAME, RAY_CLUSTER_NAME, RAY_HEAD_SERVICE, RAY_NAMESPACE, RAY_WORKER_GROUP, type KubeCluster } from './kubeCluster.js';
import type { TwinNode, TwinPod } from './model.js';

type Obj = Record<string, unknown>;

export function nodeObject(node: TwinNode, now: number): Obj {
  const heartbeat = kubeTime(node.ready ? now : node.readyChangedAt);
  const since = kubeTime(node.readyChangedAt);
  const condition = (type: string, reason: string, message: string): Obj =>
    node.ready
      ? { type, status: type === 'Ready' ? 'True' : 'False', lastHeartbeatTime: heartbeat, lastTransitionTime: type === 'Ready' ? since : kubeTime(node.createdAt), reason, message }
      : { type, status: 'Unknown', lastHeartbeatTime: heartbeat, lastTransitionTime: since, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
  const taints: Obj[] = [];
  if (node.gpus > 0) taints.push({ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' });
  if (node.spot) taints.push({ key: 'kubernetes.azure.com/scalesetpriority', value: 'spot', effect: 'NoSchedule' });
  if (node.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: since });
  if (!node.ready) {
    taints.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: since });
    taints.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: since });
  }
  const memoryKi = node.vcpus * 7 * 1024 * 1024;
  const capacity: Obj = { cpu: String(node.vcpus), 'ephemeral-storage': '129886128Ki', memory: `${memoryKi}Ki`, pods: '30' };
  const allocatable: Obj = { cpu: `${node.vcpus * 1000 - 140}m`, 'ephemeral-storage': '119703055367', memory: `${memoryKi - 3_000_000}Ki`, pods: '30' };
  if (node.gpus > 0) {
    capacity['nvidia.com/gpu'] = String(node.gpus);
    // The device plugin takes GPUs with an XID out of allocatable: nothing new is scheduled onto them.
    allocatable['nvidia.com/gpu'] = node.xid === undefined ? String(node.gpus) : '0';
  }
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: node.name, uid: node.uid, resourceVersion: node.resourceVersion, creationTimestamp: kubeTime(node.createdAt),
      labels: { ...node.labels }, annotations: { ...node.annotations },
    },
    spec: {
      podCIDR: `10.244.${node.index}.0/24`, podCIDRs: [`10.244.${node.index}.0/24`], providerID: node.providerId,
      ...(taints.length ? { taints } : {}), ...(node.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity, allocatable,
      conditions: [
        condition('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [{ type: 'InternalIP', address: `10.224.0.${node.index + 4}` }, { type: 'Hostname', address: node.name }],
      nodeInfo: {
        machineID: node.uid.replace(/-/g, ''), systemUUID: node.uid, bootID: node.uid, kernelVersion: '5.15.0-1089-azure',
        osImage: 'Ubuntu 22.04.5 LTS', containerRuntimeVersion: 'containerd://1.7.27-1', kubeletVersion: 'v1.33.2',
        kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  };
}

export function podObject(kube: KubeCluster, pod: TwinPod): Obj {
  const head = pod.role === 'head';
  const node = kube.node(pod.nodeName);
  const ready = kube.podHealthy(pod);
  const started = kubeTime(pod.createdAt);
  const resources = head ? { cpu: '2', memory: '8Gi' } : { cpu: String(Math.max(1, (node?.vcpus ?? 24) - 2)), memory: '200Gi', 'nvidia.com/gpu': String(node?.gpus ?? 1) };
  const prefix = head ? `${RAY_CLUSTER_NAME}-head-` : `${RAY_CLUSTER_NAME}-${RAY_WORKER_GROUP}-worker-`;
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: pod.name, generateName: prefix, namespace: pod.namespace, uid: pod.uid, resourceVersion: pod.resourceVersion,
      creationTimestamp: started,
      ...(pod.deletionTimestamp !== undefined ? { deletionTimestamp: kubeTime(pod.deletionTimestamp + 120_000), deletionGracePeriodSeconds: 120 } : {}),
      labels: {
        'app.kubernetes.io/created-by': 'kuberay-operator', 'app.kubernetes.io/name': 'kuberay',
        'ray.io/cluster': RAY_CLUSTER_NAME, 'ray.io/group': head ? 'headgroup' : RAY_WORKER_GROUP,
        'ray.io/identifier': `${RAY_CLUSTER_NAME}-${head ? 'head' : 'worker'}`, 'ray.io/is-ray-node': 'yes',
        'ray.io/node-type': head ? 'head' : 'worker',
      },
      ownerReferences: [{ apiVersion: 'ray.io/v1', kind: 'RayCluster', name: RAY_CLUSTER_NAME, uid: kube.rayClusterUid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: pod.nodeName,
      serviceAccountName: 'ray-workload',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: head ? 30 : 120,
      containers: [{ name: head ? 'ray-head' : 'ray-worker', image: 'rayproject/ray:2.52.0-gpu', resources: { requests: resources, limits: resources } }],
      ...(head ? {} : { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }], nodeSelector: { 'nvidia.com/gpu.present': 'true' } }),
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: started },
        { type: 'Initialized', status: 'True', lastTransitionTime: started },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: started },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: started },
      ],
      hostIP: `10.224.0.${(node?.index ?? 0) + 4}`,
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      startTime: started,
      containerStatuses: [{ name: head ? 'ray-head' : 'ray-worker', ready, restartCount: 0, started: true, state: { running: { startedAt: started } }, image: 'docker.io/rayproject/ray:2.52.0-gpu' }],
      qosClass: 'Guaranteed',
    },
  };
}

export function pdbObject(kube: KubeCluster, now: number): Obj {
  const s = kube.pdbStatus();
  const allowed = s.disruptionsAllowed > 0;
  return {
    kind: 'PodDisruptionBudget',
    apiVersion: 'policy/v1',
    metadata: { name: PDB_NAME, namespace: RAY_NAMESPACE, uid: kube.pdbUid, resourceVersion: kube.pdbResourceVersion, generation: 1, creationTimestamp: kubeTime(kube.rayClusterCreatedAt) },
    spec: { maxUnavailable: kube.pdbMaxUnavailable, selector: { matchLabels: { 'ray.io/cluster': RAY_CLUSTER_NAME, 'ray.io/node-type': 'worker' } } },
    status: {
      observedGeneration: 1, disruptionsAllowed: s.disruptionsAllowed, currentHealthy: s.currentHealthy, desiredHealthy: s.desiredHealthy, expectedPods: s.expectedPods,
      conditions: [{ type: 'DisruptionAllowed', status: allowed ? 'True' : 'False', reason: allowed ? 'SufficientPods' : 'InsufficientPods', message: '', observedGeneration: 1, lastTransitionTime: kubeTime(now) }],
    },
  };
}

/** The stored RayCluster with the status KubeRay would write now. */
export function rayClusterObject(kube: KubeCluster, now: number): Obj {
  const stored = kube.rayClusterStored();
  const generation = (stored['metadata'] as { generation?: number }).generation ?? 1;
  const replicas = kube.replicas();
  const workers = kube.workerPods();
  const active = workers.filter((p) => p.deletionTimestamp === undefined);
  const ready = workers.filter((p) => kube.podHealthy(p));
  const head = kube.headPod();
  const gpusPerWorker = kube.gpuPools()[0]?.gpusPerNode ?? 1;
  const group = ((stored['spec'] as { workerGroupSpecs?: Array<Record<string, unknown>> }).workerGroupSpecs ?? []).find((g) => g['groupName'] === RAY_WORKER_GROUP) ?? {};
  const condition = (type: string, reason: string): Obj => ({ type, status: 'True', reason, message: '', lastTransitionTime: kubeTime(kube.rayClusterCreatedAt), observedGeneration: generation });
  return {
    ...stored,
    status: {
      state: 'ready',
      desiredCPU: String(2 + replicas * 22),
      desiredMemory: `${8 + replicas * 200}Gi`,
      desiredGPU: String(replicas * gpusPerWorker),
      desiredTPU: '0',
      lastUpdateTime: kubeTime(now),
      stateTransitionTimes: { ready: kubeTime(kube.rayClusterCreatedAt) },
      endpoints: { client: '10001', dashboard: '8265', 'gcs-server': '6379', metrics: '8080' },
      head: { ...(head ? { podIP: head.ip, podName: head.name } : {}), serviceIP: '10.0.145.3', serviceName: RAY_HEAD_SERVICE },
      conditions: [condition('RayClusterProvisioned', 'AllPodRunningAndReadyFirstTime'), condition('HeadPodReady', 'HeadPodRunningAndReady')],
      readyWorkerReplicas: ready.length,
      availableWorkerReplicas: active.length,
      desiredWorkerReplicas: replicas,
      minWorkerReplicas: typeof group['minReplicas'] === 'number' ? group['minReplicas'] : 0,
      maxWorkerReplicas: typeof group['maxReplicas'] === 'number' ? group['maxReplicas'] : 2147483647,
      observedGeneration: generation,
    },
  };
}

/** A typed list (`NodeList`, `PodList`, …): items without kind/apiVersion. */
export function typedList(kind: string, apiVersion: string, resourceVersion: string, items: Obj[]): Obj {
  return { kind, apiVersion, metadata: { resourceVersion }, items: items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest) };
}

/** A custom-resource list: items keep kind/apiVersion. */
export function customList(kind: string, apiVersion: string, resourceVersion: string, items: Obj[]): Obj {
  return { apiVersion, items, kind, metadata: { continue: '', resourceVersion } };
}
