/**
 * What a failed Kubernetes API call means, from what `@kubernetes/client-node` 1.4 throws:
 * - `ApiException` (`code`, `body` = the response text, `headers` with lower-case names; a 401 has no body), duck-typed
 *   here so this module stays free of the client library;
 * - node-fetch's `FetchError` (`type: 'system'`, `code` such as ECONNREFUSED, ENOTFOUND or a TLS code) and
 *   `AbortError` (the request's timeout).
 *
 * A 404 is only "not found" when the API server said so with a `Status` object: a 404 without one came from something
 * that is not this cluster's API server (a stale address), and so does a TLS failure.
 */

/** Who refused: the cluster's API server, ARM (its address and CA), or the credential (its token). */
export type KubeErrorOrigin = 'kubernetes' | 'arm' | 'credential';

/** A Kubernetes API call failed. `retryable`: the same call may succeed later (429, 5xx, 409, no answer). */
export class KubernetesApiError extends Error {
  override readonly name = 'KubernetesApiError';
  /** A 404 from ARM (no such cluster) is not a Kubernetes object that is gone. */
  readonly origin: KubeErrorOrigin;
  /** HTTP status; 0 when no answer arrived (network, TLS, timeout) or the failure was before the call. */
  readonly status: number;
  /** The `Status` reason (`NotFound`, `Forbidden`, `TooManyRequests`, …) when the API server sent one. */
  readonly reason: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** The API server's own words: a Status cause's message (e.g. the PodDisruptionBudget's) or its message. */
  readonly serverMessage: string | undefined;
  /** The response body as received (a Status carries no secrets); '' when there was none. */
  readonly body: string;

  constructor(message: string, init: { status: number; retryable: boolean; origin?: KubeErrorOrigin; reason?: string; retryAfterMs?: number; serverMessage?: string; body?: string; cause?: unknown }) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.origin = init.origin ?? 'kubernetes';
    this.status = init.status;
    this.reason = init.reason;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.serverMessage = init.serverMessage;
    this.body = init.body ?? '';
  }
}

export interface KubeStatusCause {
  readonly reason?: string;
  readonly type?: string;
  readonly message?: string;
  readonly field?: string;
}

/** `meta/v1 Status`, the body of every API server error. */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: { readonly name?: string; readonly kind?: string; readonly causes?: readonly KubeStatusCause[]; readonly retryAfterSeconds?: number };
}

export type KubeFailure =
  | { readonly kind: 'http'; readonly code: number; readonly status: KubeStatus | undefined; readonly text: string; readonly retryAfterMs: number | undefined }
  /** No answer. `staleServer`: the address or certificate no longer belongs to this cluster (TLS, DNS). */
  | { readonly kind: 'transport'; readonly code: string; readonly staleServer: boolean; readonly timeout: boolean; readonly message: string };

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;
const MAX_TEXT_IN_MESSAGE = 300;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A `Status` from a response body (text or already parsed); undefined when it is not one. */
export function parseStatus(body: unknown): KubeStatus | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  return isRecord(value) && value['kind'] === 'Status' ? (value as unknown as KubeStatus) : undefined;
}

/** `Retry-After` (seconds) or the Status' `details.retryAfterSeconds`, in ms. */
export function retryAfterMsOf(headers: Readonly<Record<string, string>> | undefined, status: KubeStatus | undefined): number | undefined {
  const header = headers?.['retry-after'];
  if (header !== undefined && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const seconds = status?.details?.retryAfterSeconds;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}

/** What went wrong, or undefined when `e` is not a failed call (a bug: rethrow it as is). */
export function kubeFailureOf(e: unknown): KubeFailure | undefined {
  if (!isRecord(e) && !(e instanceof Error)) return undefined;
  const err = e as Record<string, unknown>;
  if (typeof err['code'] === 'number' && err['code'] >= 100 && err['code'] < 600 && 'headers' in err) {
    const text = typeof err['body'] === 'string' ? err['body'] : err['body'] === undefined ? '' : JSON.stringify(err['body']);
    const status = parseStatus(err['body']);
    const headers = isRecord(err['headers']) ? (err['headers'] as Record<string, string>) : undefined;
    return { kind: 'http', code: err['code'], status, text, retryAfterMs: retryAfterMsOf(headers, status) };
  }
  const message = e instanceof Error ? e.message : String(err['message'] ?? '');
  if (err['name'] === 'AbortError' || err['type'] === 'aborted' || err['name'] === 'TimeoutError') {
    return { kind: 'transport', code: 'TIMEOUT', staleServer: false, timeout: true, message };
  }
  if (err['type'] === 'system' || (e instanceof Error && typeof err['code'] === 'string')) {
    const code = typeof err['code'] === 'string' ? err['code'] : typeof err['errno'] === 'string' ? err['errno'] : 'ENETWORK';
    return { kind: 'transport', code, staleServer: TLS_CODE.test(code) || code === 'ENOTFOUND', timeout: false, message };
  }
  return undefined;
}

/** A 404 the API server did not explain with a Status: the address now belongs to something else. */
export function isStaleServer(f: KubeFailure): boolean {
  return f.kind === 'transport' ? f.staleServer : f.code === 404 && f.status === undefined;
}

/** The API server said the object does not exist (not ARM about the cluster). */
export function isNotFound(e: unknown): boolean {
  return e instanceof KubernetesApiError && e.origin === 'kubernetes' && e.status === 404;
}

/** The most specific message the API server gave: a cause's message (e.g. the PodDisruptionBudget's) or its own. */
export function statusMessage(f: Extract<KubeFailure, { kind: 'http' }>): string {
  const cause = f.status?.details?.causes?.find((c) => c.message)?.message;
  const text = f.text.length > MAX_TEXT_IN_MESSAGE ? `${f.text.slice(0, MAX_TEXT_IN_MESSAGE)}…` : f.text;
  return cause ?? f.status?.message ?? (text || `HTTP ${f.code}`);
}

/**
 * The error a caller sees. Tokens never appear: messages carry the server's own text, the cluster and the operation.
 * 409 is retryable (an optimistic-concurrency conflict clears on a re-read); 401 here means a fresh token was refused too.
 */
export function toKubernetesError(f: KubeFailure, what: string, cause: unknown): KubernetesApiError {
  if (f.kind === 'transport') {
    const why = f.timeout ? 'no answer in time' : f.staleServer ? `the server is not this cluster's any more (${f.code})` : `no answer (${f.code})`;
    return new KubernetesApiError(`${what}: ${why}`, { status: 0, retryable: true, cause });
  }
  const reason = f.status?.reason;
  if (f.code === 401) {
    return new KubernetesApiError(
      `${what}: 401 Unauthorized with a fresh Entra token: the API server does not accept it (it must be issued for the AKS server application 6dae42f8-4368-4678-94ff-3960e28e3630 in the cluster's tenant)`,
      { status: 401, retryable: false, ...(reason ? { reason } : {}), cause },
    );
  }
  const retryable = f.code === 429 || f.code === 409 || f.code >= 500;
  const serverMessage = statusMessage(f);
  return new KubernetesApiError(`${what}: HTTP ${f.code}${reason ? ` ${reason}` : ''}: ${serverMessage}`, {
    status: f.code,
    retryable,
    serverMessage,
    body: f.text,
    ...(reason ? { reason } : {}),
    ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
    cause,
  });
}
