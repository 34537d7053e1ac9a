/**
 * `meta/v1 Status` bodies, as the API server writes them for every error (field order as on the wire: kind,
 * apiVersion, metadata, status, message, reason, details, code). Texts follow
 * `k8s.io/apimachinery/pkg/api/errors` (`NewNotFound`, `NewConflict`, `NewTooManyRequests`, `NewGenericServerResponse`,
 * `NewUnauthorized`), `k8s.io/apiserver` (patch handling, the proxy's "error trying to reach service") and
 * `pkg/registry/core/pod/storage/eviction.go` (the disruption budget cause).
 */

export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

export interface KubeStatusBody {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

/** An answer of the face: status code, JSON body, extra headers. */
export interface KubeAnswer {
  readonly code: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Which resource an error is about: `nodes`, `pods`, `rayclusters.ray.io`, … */
export interface ResourceRef {
  readonly plural: string;
  readonly group?: string;
  /** The Kind, for validation errors (`RayCluster`). */
  readonly kind?: string;
}

const qualified = (r: ResourceRef): string => (r.group ? `${r.plural}.${r.group}` : r.plural);

export function failure(code: number, reason: string, message: string, details?: StatusDetails, headers?: Record<string, string>): KubeAnswer {
  const body: KubeStatusBody = {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code,
  };
  return { code, body, ...(headers ? { headers } : {}) };
}

export function success(code: number): KubeAnswer {
  const body: KubeStatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
  return { code, body };
}

const detailsOf = (r: ResourceRef, name: string): StatusDetails => ({ name, ...(r.group ? { group: r.group } : {}), kind: r.plural });

export const kubeStatus = {
  notFound: (r: ResourceRef, name: string): KubeAnswer => failure(404, 'NotFound', `${qualified(r)} "${name}" not found`, detailsOf(r, name)),
  /** A path the server does not serve. */
  noRoute: (): KubeAnswer => failure(404, 'NotFound', 'the server could not find the requested resource', {}),
  conflict: (r: ResourceRef, name: string): KubeAnswer =>
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, detailsOf(r, name)),
  unauthorized: (): KubeAnswer => failure(401, 'Unauthorized', 'Unauthorized'),
  methodNotAllowed: (): KubeAnswer => failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
  badRequest: (message: string): KubeAnswer => failure(400, 'BadRequest', message),
  unsupportedMediaType: (accepted: readonly string[]): KubeAnswer =>
    failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`),
  /** A JSON patch that could not be applied: the API server drops the reason (`NewGenericServerResponse(422, …)`). */
  patchNotApplied: (): KubeAnswer => failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {}),
  invalid: (r: ResourceRef, name: string, field: string, message: string): KubeAnswer =>
    failure(422, 'Invalid', message, { name, ...(r.group ? { group: r.group } : {}), kind: r.kind ?? r.plural, causes: [{ reason: 'FieldValueInvalid', message, field }] }),
  /** API Priority and Fairness refusing a request. */
  throttled: (retryAfterSeconds: number): KubeAnswer =>
    failure(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) }),
  internalError: (message: string): KubeAnswer =>
    failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  /** The Eviction API's answer when a PodDisruptionBudget has no disruption left (no Retry-After: it is 0). */
  disruptionBudget: (pdb: string, desiredHealthy: number, currentHealthy: number): KubeAnswer =>
    failure(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
      causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb} needs ${desiredHealthy} healthy pods and has ${currentHealthy} currently` }],
    }),
  serviceUnavailable: (message: string): KubeAnswer => failure(503, 'ServiceUnavailable', message),
} as const;
