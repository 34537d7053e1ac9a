/**
 * The JSON patch that scales a RayCluster worker group in by exactly some pods (research/control-plane.md §4.3): KubeRay
 * deletes every pod named in `scaleStrategy.workersToDelete` regardless of `replicas`, and without in-tree autoscaling
 * deletes surplus pods at random; so `replicas` and `workersToDelete` change together, in one patch whose first op
 * tests `metadata.resourceVersion` (someone else's change in between makes the server refuse it; the caller re-reads).
 * `workersToDelete` is replaced whole (what was listed plus the victims): safe because of that test.
 *
 * Decisions:
 * - Victims are the pods asked for that still exist in the group (not terminating; the caller lists them by KubeRay's
 *   `ray.io/cluster` and `ray.io/group` labels) and are not already in `workersToDelete`: a repeat, or a pod KubeRay
 *   already deleted, is nothing to do.
 * - `replicas` never goes below `minReplicas`: KubeRay would raise it back to the minimum anyway; the victims are still
 *   deleted (they are in `workersToDelete`) and KubeRay replaces them on schedulable nodes, which is what a floor means.
 * - Multi-host groups (`numOfHosts` > 1) count replicas in hosts: `replicas` drops by ⌈victims / numOfHosts⌉.
 */

export type JsonPatchOp =
  | { readonly op: 'test' | 'add' | 'replace'; readonly path: string; readonly value: unknown };

export type ScaleInPlan =
  | { readonly kind: 'patch'; readonly ops: readonly JsonPatchOp[]; readonly replicas: number; readonly victims: readonly string[]; readonly resourceVersion: string }
  | { readonly kind: 'nothingToDo' }
  | { readonly kind: 'noGroup' };

interface WorkerGroup {
  groupName?: unknown;
  replicas?: unknown;
  minReplicas?: unknown;
  numOfHosts?: unknown;
  scaleStrategy?: { workersToDelete?: unknown } | null;
}

const count = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback);

/** Throws on a RayCluster without `metadata.resourceVersion` or `spec.workerGroupSpecs` (not something to patch blindly). */
export function planScaleIn(rayCluster: unknown, group: string, pods: readonly string[], livePods: ReadonlySet<string>): ScaleInPlan {
  const rc = rayCluster as { metadata?: { resourceVersion?: unknown }; spec?: { workerGroupSpecs?: unknown } } | null;
  const resourceVersion = rc?.metadata?.resourceVersion;
  const groups = rc?.spec?.workerGroupSpecs;
  if (typeof resourceVersion !== 'string' || !resourceVersion) throw new Error('RayCluster has no metadata.resourceVersion');
  if (!Array.isArray(groups)) throw new Error('RayCluster has no spec.workerGroupSpecs');
  const index = groups.findIndex((g) => (g as WorkerGroup | null)?.groupName === group);
  if (index < 0) return { kind: 'noGroup' };
  const spec = groups[index] as WorkerGroup;
  const listed = Array.isArray(spec.scaleStrategy?.workersToDelete) ? (spec.scaleStrategy.workersToDelete as unknown[]).filter((p): p is string => typeof p === 'string') : undefined;
  const already = new Set(listed ?? []);
  const victims = [...new Set(pods)].filter((p) => livePods.has(p) && !already.has(p));
  if (!victims.length) return { kind: 'nothingToDo' };

  const current = count(spec.replicas, 0);
  const minReplicas = count(spec.minReplicas, 0);
  const hosts = Math.max(1, count(spec.numOfHosts, 1));
  const replicas = Math.max(minReplicas, current - Math.ceil(victims.length / hosts), 0);

  const base = `/spec/workerGroupSpecs/${index}`;
  const ops: JsonPatchOp[] = [
    { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion },
    { op: spec.replicas === undefined ? 'add' : 'replace', path: `${base}/replicas`, value: replicas },
  ];
  const workersToDelete = [...(listed ?? []), ...victims];
  if (spec.scaleStrategy === undefined || spec.scaleStrategy === null) {
    ops.push({ op: 'add', path: `${base}/scaleStrategy`, value: { workersToDelete } });
  } else {
    ops.push({ op: listed === undefined && !('workersToDelete' in spec.scaleStrategy) ? 'add' : 'replace', path: `${base}/scaleStrategy/workersToDelete`, value: workersToDelete });
  }
  return { kind: 'patch', ops, replicas, victims, resourceVersion };
}

/**
 * Why the API server refused the patch, when it may be someone else's change in between:
 * - 'conflict': 409 (a write conflict);
 * - 'notApplied': 422 from applying the JSON patch. The API server drops jsonpatch's reason
 *   (`NewGenericServerResponse(422, …)` keeps only "the server rejected our request due to an error in our request"),
 *   so a failed `test` cannot be told from a patch that does not fit the object: the caller re-reads and compares
 *   resourceVersions. A 422 with causes (schema validation) is neither.
 */
export function patchRefusal(status: number, body: string): 'conflict' | 'notApplied' | undefined {
  if (status === 409) return 'conflict';
  if (status !== 422) return undefined;
  if (/testing value\b[\s\S]*\bfailed|test failed/i.test(body)) return 'notApplied';
  let parsed: { message?: unknown; details?: { causes?: unknown } } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return undefined;
  }
  const causes = parsed?.details?.causes;
  const noCauses = !Array.isArray(causes) || causes.length === 0;
  return noCauses && parsed?.message === 'the server rejected our request due to an error in our request' ? 'notApplied' : undefined;
}
