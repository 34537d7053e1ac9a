/**
 * The RayCluster `ray` every twin cluster runs (shaped like fixtures/control-plane/raycluster.gpu.json: KubeRay
 * v1.7 `ray.io/v1`, a head on the system pool, worker group `gpu` without in-tree autoscaling), and what the
 * CRD's OpenAPI schema refuses in the fields the twin acts on.
 */
import type { Json } from './jsonPatch.js';
import type { KubeRefusal } from './model.js';

export const RAY_NAMESPACE = 'ray';
export const RAY_CLUSTER_NAME = 'ray';
export const RAY_WORKER_GROUP = 'gpu';
export const RAY_HEAD_SERVICE = `${RAY_CLUSTER_NAME}-head-svc`;
export const RAY_IMAGE = 'rayproject/ray:2.52.0-gpu';

type JsonObject = { [key: string]: Json };
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface RayClusterSeed {
  readonly uid: string;
  readonly resourceVersion: string;
  readonly creationTimestamp: string;
  readonly clusterName: string;
  readonly workers: number;
  readonly gpusPerWorker: number;
  readonly cpusPerWorker: number;
}

export function initialRayCluster(seed: RayClusterSeed): JsonObject {
  const template = (container: string, resources: JsonObject, extra: JsonObject = {}): JsonObject => ({
    spec: {
      serviceAccountName: 'ray-workload',
      ...extra,
      containers: [{ name: container, image: RAY_IMAGE, resources: { requests: resources, limits: resources } }],
    },
  });
  return {
    apiVersion: 'ray.io/v1',
    kind: 'RayCluster',
    metadata: {
      name: RAY_CLUSTER_NAME, namespace: RAY_NAMESPACE, uid: seed.uid, resourceVersion: seed.resourceVersion, generation: 1,
      creationTimestamp: seed.creationTimestamp, labels: { 'fleet.example/cluster': seed.clusterName },
    },
    spec: {
      rayVersion: '2.52.0',
      enableInTreeAutoscaling: false,
      suspend: false,
      headGroupSpec: {
        serviceType: 'ClusterIP',
        rayStartParams: { 'num-cpus': '0', 'dashboard-host': '0.0.0.0' },
        template: template('ray-head', { cpu: '2', memory: '8Gi' }, { nodeSelector: { 'kubernetes.azure.com/mode': 'system' } }),
      },
      workerGroupSpecs: [{
        groupName: RAY_WORKER_GROUP, replicas: seed.workers, minReplicas: 0, maxReplicas: 1000, numOfHosts: 1, rayStartParams: {},
        scaleStrategy: { workersToDelete: [] },
        template: template('ray-worker', { cpu: String(seed.cpusPerWorker), memory: '200Gi', 'nvidia.com/gpu': String(seed.gpusPerWorker) }, {
          terminationGracePeriodSeconds: 120,
          nodeSelector: { 'nvidia.com/gpu.present': 'true' },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        }),
      }],
    },
  };
}

/** The worker group `gpu` of a RayCluster document, if it has one. */
export function workerGroupOf(doc: JsonObject): JsonObject | undefined {
  const spec = doc['spec'];
  const groups = isObject(spec) ? spec['workerGroupSpecs'] : undefined;
  if (!Array.isArray(groups)) return undefined;
  return groups.find((g): g is JsonObject => isObject(g) && g['groupName'] === RAY_WORKER_GROUP);
}

/** A 422 in the API server's words for a field of the wrong type. */
export function validateRayClusterSpec(spec: Json | undefined): KubeRefusal | undefined {
  const invalid = (field: string, value: Json | undefined, type: string): KubeRefusal => ({
    refused: 'invalid', field,
    message: `RayCluster.ray.io "${RAY_CLUSTER_NAME}" is invalid: ${field}: Invalid value: "${typeName(value)}": ${field} in body must be of type ${type}: "${typeName(value)}"`,
  });
  if (!isObject(spec)) return invalid('spec', spec, 'object');
  const groups = spec['workerGroupSpecs'];
  if (groups === undefined) return undefined;
  if (!Array.isArray(groups)) return invalid('spec.workerGroupSpecs', groups, 'array');
  for (const [i, g] of groups.entries()) {
    if (!isObject(g)) return invalid(`spec.workerGroupSpecs[${i}]`, g, 'object');
    const replicas = g['replicas'];
    if (replicas !== undefined && !(typeof replicas === 'number' && Number.isInteger(replicas))) return invalid(`spec.workerGroupSpecs[${i}].replicas`, replicas, 'integer');
    const strategy = g['scaleStrategy'];
    if (strategy === undefined) continue;
    if (!isObject(strategy)) return invalid(`spec.workerGroupSpecs[${i}].scaleStrategy`, strategy, 'object');
    const list = strategy['workersToDelete'];
    if (list !== undefined && list !== null && !(Array.isArray(list) && list.every((x) => typeof x === 'string'))) {
      return invalid(`spec.workerGroupSpecs[${i}].scaleStrategy.workersToDelete`, list, 'array');
    }
  }
  return undefined;
}

function typeName(v: Json | undefined): string {
  if (v === undefined || v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
}
