/**
 * The Kubernetes REST routes of one twin cluster, without HTTP: a request in, a `KubeAnswer` (code, JSON body)
 * out, reading and changing the cluster's `KubeCluster`. The face (`kubernetesFace.ts`) adds TLS, the cluster
 * path prefix, authentication, faults and the service proxy.
 *
 * Served: nodes (list, get, patch: cordon and uncordon, labels, annotations), pods (list with label and field
 * selectors, get, delete, eviction honouring the PodDisruptionBudget), PodDisruptionBudgets (list, get),
 * RayClusters (list, get, JSON patch and merge patch) and `/version`. Anything else: 404 `NotFound`, or 405 for a
 * method a path does not take. Strategic merge patches are applied as merge patches (the twin's nodes have no
 * lists a client patches); `$` directives are refused.
 */
import { applyJsonPatch, applyMergePatch, decodeJsonPatch, PatchDecodeError, PatchNotApplied, type Json } from './jsonPatch.js';
import { PDB_NAME, RAY_CLUSTER_NAME, RAY_NAMESPACE, type KubeCluster } from './kubeCluster.js';
import { customList, nodeObject, pdbObject, podObject, rayClusterObject, typedList } from './kubeObjects.js';
import type { KubeRefusal, TwinNode, TwinPod } from './model.js';
import { fieldMatcher, labelMatcher, SelectorError } from './selectors.js';
import { kubeStatus, success, type KubeAnswer, type ResourceRef } from './status.js';

export interface KubeRequest {
  readonly method: string;
  /** Path below the cluster prefix: `/api/v1/nodes`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType: string | undefined;
  readonly body: string;
}

const NODES: ResourceRef = { plural: 'nodes', kind: 'Node' };
const PODS: ResourceRef = { plural: 'pods', kind: 'Pod' };
const PDBS: ResourceRef = { plural: 'poddisruptionbudgets', group: 'policy', kind: 'PodDisruptionBudget' };
const RAY_CLUSTERS: ResourceRef = { plural: 'rayclusters', group: 'ray.io', kind: 'RayCluster' };

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const ok = (body: unknown, code = 200): KubeAnswer => ({ code, body });

const podFields: Record<string, (p: TwinPod) => string> = {
  'metadata.name': (p) => p.name,
  'metadata.namespace': (p) => p.namespace,
  'spec.nodeName': (p) => p.nodeName,
  'spec.restartPolicy': () => 'Always',
  'spec.schedulerName': () => 'default-scheduler',
  'spec.serviceAccountName': () => 'ray-workload',
  'spec.hostNetwork': () => 'false',
  'status.phase': () => 'Running',
  'status.podIP': (p) => p.ip,
  'status.nominatedNodeName': () => '',
};

const nodeFields: Record<string, (n: TwinNode) => string> = {
  'metadata.name': (n) => n.name,
  'spec.unschedulable': (n) => String(n.unschedulable),
};

export function kubeApi(kube: KubeCluster, req: KubeRequest, now: number): KubeAnswer {
  try {
    return route(kube, req, now);
  } catch (error) {
    if (error instanceof SelectorError) return kubeStatus.badRequest(error.message);
    throw error;
  }
}

function route(kube: KubeCluster, req: KubeRequest, now: number): KubeAnswer {
  const s = req.path.replace(/\/+$/, '').split('/').slice(1).map((x) => decodeURIComponent(x));
  const is = (...parts: Array<string | null>): boolean => s.length === parts.length && parts.every((p, i) => p === null || p === s[i]);
  const methods = (allowed: string[], handle: () => KubeAnswer): KubeAnswer => (allowed.includes(req.method) ? handle() : kubeStatus.methodNotAllowed());

  if (is('version')) return methods(['GET'], () => ok({ major: '1', minor: '33', gitVersion: 'v1.33.2', platform: 'linux/amd64' }));
  if (is('api', 'v1', 'nodes')) return methods(['GET'], () => listNodes(kube, req, now));
  if (is('api', 'v1', 'nodes', null)) {
    return methods(['GET', 'PATCH'], () => {
      const node = kube.node(s[3]!);
      if (!node) return kubeStatus.notFound(NODES, s[3]!);
      return req.method === 'GET' ? ok(nodeObject(node, now)) : patchNode(kube, node, req, now);
    });
  }
  if (is('api', 'v1', 'pods')) return methods(['GET'], () => listPods(kube, req, undefined));
  if (is('api', 'v1', 'namespaces', null, 'pods')) return methods(['GET'], () => listPods(kube, req, s[3]!));
  if (is('api', 'v1', 'namespaces', null, 'pods', null)) {
    return methods(['GET', 'DELETE'], () => {
      const pod = kube.pods.get(s[5]!);
      if (!pod || pod.namespace !== s[3]) return kubeStatus.notFound(PODS, s[5]!);
      if (req.method === 'DELETE') kube.deletePod(pod, 'deleted');
      return ok(podObject(kube, pod));
    });
  }
  if (is('api', 'v1', 'namespaces', null, 'pods', null, 'eviction')) return methods(['POST'], () => evict(kube, s[3]!, s[5]!, req));
  if (is('apis', 'policy', 'v1', 'poddisruptionbudgets')) return methods(['GET'], () => listPdbs(kube, req, undefined, now));
  if (is('apis', 'policy', 'v1', 'namespaces', null, 'poddisruptionbudgets')) return methods(['GET'], () => listPdbs(kube, req, s[4]!, now));
  if (is('apis', 'policy', 'v1', 'namespaces', null, 'poddisruptionbudgets', null)) {
    return methods(['GET'], () => (s[4] === RAY_NAMESPACE && s[6] === PDB_NAME ? ok(pdbObject(kube, now)) : kubeStatus.notFound(PDBS, s[6]!)));
  }
  if (is('apis', 'ray.io', 'v1', 'rayclusters')) return methods(['GET'], () => listRayClusters(kube, req, undefined, now));
  if (is('apis', 'ray.io', 'v1', 'namespaces', null, 'rayclusters')) return methods(['GET'], () => listRayClusters(kube, req, s[4]!, now));
  if (is('apis', 'ray.io', 'v1', 'namespaces', null, 'rayclusters', null)) {
    return methods(['GET', 'PATCH'], () => {
      if (s[4] !== RAY_NAMESPACE || s[6] !== RAY_CLUSTER_NAME) return kubeStatus.notFound(RAY_CLUSTERS, s[6]!);
      return req.method === 'GET' ? ok(rayClusterObject(kube, now)) : patchRayCluster(kube, req, now);
    });
  }
  return kubeStatus.noRoute();
}

// ---------------------------------------------------------------------------------------------------------- lists

function listNodes(kube: KubeCluster, req: KubeRequest, now: number): KubeAnswer {
  const byLabel = labelMatcher(req.query.get('labelSelector'));
  const byField = fieldMatcher(req.query.get('fieldSelector'), nodeFields);
  const items = [...kube.nodes.values()].filter((n) => byLabel(n.labels) && byField(n)).sort((a, b) => a.name.localeCompare(b.name));
  return ok(typedList('NodeList', 'v1', kube.revisionNow, items.map((n) => nodeObject(n, now))));
}

function listPods(kube: KubeCluster, req: KubeRequest, namespace: string | undefined): KubeAnswer {
  const byField = fieldMatcher(req.query.get('fieldSelector'), podFields);
  const byLabel = labelMatcher(req.query.get('labelSelector'));
  const items = [...kube.pods.values()]
    .filter((p) => namespace === undefined || p.namespace === namespace)
    .map((p) => ({ pod: p, object: podObject(kube, p) }))
    .filter(({ pod, object }) => byField(pod) && byLabel((object['metadata'] as { labels: Record<string, string> }).labels))
    .sort((a, b) => a.pod.name.localeCompare(b.pod.name));
  return ok(typedList('PodList', 'v1', kube.revisionNow, items.map((i) => i.object)));
}

function listPdbs(kube: KubeCluster, req: KubeRequest, namespace: string | undefined, now: number): KubeAnswer {
  const byLabel = labelMatcher(req.query.get('labelSelector'));
  const include = (namespace === undefined || namespace === RAY_NAMESPACE) && byLabel({});
  return ok(typedList('PodDisruptionBudgetList', 'policy/v1', kube.revisionNow, include ? [pdbObject(kube, now)] : []));
}

function listRayClusters(kube: KubeCluster, req: KubeRequest, namespace: string | undefined, now: number): KubeAnswer {
  const object = rayClusterObject(kube, now);
  const labels = ((object['metadata'] as { labels?: Record<string, string> }).labels ?? {});
  const include = (namespace === undefined || namespace === RAY_NAMESPACE) && labelMatcher(req.query.get('labelSelector'))(labels);
  return ok(customList('RayClusterList', 'ray.io/v1', kube.revisionNow, include ? [object] : []));
}

// ---------------------------------------------------------------------------------------------------------- writes

function parseBody(req: KubeRequest): { ok: true; value: unknown } | { ok: false; answer: KubeAnswer } {
  try {
    return { ok: true, value: JSON.parse(req.body) };
  } catch (error) {
    return { ok: false, answer: kubeStatus.badRequest(`error decoding patch: ${(error as Error).message}`) };
  }
}

const mediaType = (req: KubeRequest): string => (req.contentType ?? '').split(';')[0]!.trim().toLowerCase();

function hasDirective(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasDirective);
  return isObject(v) && Object.entries(v).some(([k, x]) => k.startsWith('$') || hasDirective(x));
}

function refusal(r: KubeRefusal, ref: ResourceRef, name: string): KubeAnswer {
  switch (r.refused) {
    case 'notFound': return kubeStatus.notFound(ref, name);
    case 'conflict': return kubeStatus.conflict(ref, name);
    case 'badRequest': return kubeStatus.badRequest(r.message);
    case 'patchNotApplied': return kubeStatus.patchNotApplied();
    case 'invalid': return kubeStatus.invalid(ref, name, r.field ?? '', r.message);
  }
}

/** Cordon/uncordon, labels and annotations; a change to anything else in `spec` is refused, `status` is ignored. */
function patchNode(kube: KubeCluster, node: TwinNode, req: KubeRequest, now: number): KubeAnswer {
  const type = mediaType(req);
  if (type !== JSON_PATCH && type !== MERGE_PATCH && type !== STRATEGIC_PATCH) {
    return kubeStatus.unsupportedMediaType([JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH]);
  }
  const body = parseBody(req);
  if (!body.ok) return body.answer;
  if (type === STRATEGIC_PATCH && hasDirective(body.value)) {
    return kubeStatus.badRequest('the twin applies strategic merge patches as merge patches: $-directives are not supported');
  }
  const current = nodeObject(node, now);
  let patched: Json;
  try {
    patched = type === JSON_PATCH ? applyJsonPatch(current as Json, decodeJsonPatch(body.value)) : applyMergePatch(current as Json, body.value as Json);
  } catch (error) {
    if (error instanceof PatchDecodeError) return kubeStatus.badRequest(error.message);
    if (error instanceof PatchNotApplied) return kubeStatus.patchNotApplied();
    throw error;
  }
  if (!isObject(patched) || !isObject(patched['metadata'])) return kubeStatus.badRequest("Object 'metadata' is missing");
  const meta = patched['metadata'] as Obj;
  if (meta['name'] !== node.name) return kubeStatus.badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${node.name})`);
  if (meta['resourceVersion'] !== undefined && meta['resourceVersion'] !== node.resourceVersion) return kubeStatus.conflict(NODES, node.name);
  const spec = isObject(patched['spec']) ? { ...patched['spec'] } : {};
  const unschedulable = spec['unschedulable'] === true;
  if (spec['unschedulable'] !== undefined && typeof spec['unschedulable'] !== 'boolean') {
    return kubeStatus.badRequest(`json: cannot unmarshal ${typeof spec['unschedulable']} into Go struct field NodeSpec.spec.unschedulable of type bool`);
  }
  const before = { ...(current['spec'] as Obj) };
  delete spec['unschedulable'];
  delete before['unschedulable'];
  if (JSON.stringify(spec) !== JSON.stringify(before)) {
    return kubeStatus.invalid(NODES, node.name, 'spec', `Node "${node.name}" is invalid: spec: the twin models only spec.unschedulable of a node`);
  }
  const labels = meta['labels'];
  const annotations = meta['annotations'];
  if ((labels !== undefined && !stringMap(labels)) || (annotations !== undefined && !stringMap(annotations))) {
    return kubeStatus.badRequest('json: cannot unmarshal labels or annotations: values must be strings');
  }
  const changedMeta = JSON.stringify(labels ?? {}) !== JSON.stringify(node.labels) || JSON.stringify(annotations ?? {}) !== JSON.stringify(node.annotations);
  if (changedMeta) {
    node.labels = { ...((labels as Record<string, string> | undefined) ?? {}) };
    node.annotations = { ...((annotations as Record<string, string> | undefined) ?? {}) };
  }
  kube.setUnschedulable(node.name, unschedulable);
  if (changedMeta) kube.touchNode(node);
  return ok(nodeObject(node, now));
}

const stringMap = (v: unknown): boolean => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

function patchRayCluster(kube: KubeCluster, req: KubeRequest, now: number): KubeAnswer {
  const type = mediaType(req);
  if (type !== JSON_PATCH && type !== MERGE_PATCH) return kubeStatus.unsupportedMediaType([JSON_PATCH, MERGE_PATCH, 'application/apply-patch+yaml']);
  const body = parseBody(req);
  if (!body.ok) return body.answer;
  const result = kube.patchRayCluster(type === JSON_PATCH ? 'json' : 'merge', body.value, rayClusterObject(kube, now));
  if ('refused' in result) return refusal(result as KubeRefusal, RAY_CLUSTERS, RAY_CLUSTER_NAME);
  return ok(rayClusterObject(kube, now));
}

/** `POST …/pods/{name}/eviction` with a `policy/v1` Eviction: 201 Success, 404, or 429 from the budget. */
function evict(kube: KubeCluster, namespace: string, name: string, req: KubeRequest): KubeAnswer {
  const body = parseBody(req);
  if (!body.ok) return body.answer;
  if (!isObject(body.value)) return kubeStatus.badRequest('the body of the eviction is not an object');
  const evictionName = (body.value['metadata'] as Obj | undefined)?.['name'];
  if (evictionName !== undefined && evictionName !== name) return kubeStatus.badRequest('name in URL does not match name in Eviction object');
  const outcome = kube.evict(namespace, name);
  if (outcome.outcome === 'notFound') return kubeStatus.notFound(PODS, name);
  if (outcome.outcome === 'blocked') return kubeStatus.disruptionBudget(outcome.pdb, outcome.desiredHealthy, outcome.currentHealthy);
  return success(201);
}
