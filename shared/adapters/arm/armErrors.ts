/**
 * Every ARM failure, classified once (shared/ports/nodePools.ts `ArmFailure`). Accepts what the SDKs throw and what
 * ARM sends:
 * - a `RestError` (`@azure-rest/core-client` `createRestError`: `statusCode`, `code` = `error.code` of the body,
 *   `message` = `error.message`, `details` = the `ErrorResponse`, `response.headers` with Retry-After);
 * - the `Error` core-lro 3 throws for an async operation that ended `Failed`:
 *   "The long-running operation has failed. <code>. <message>" (only the message survives, so the code is parsed
 *   out of it); "Operation was canceled";
 * - network and timeout errors (no status code; `AbortError`, `ECONNRESET`, …);
 * - bodies as ARM sends them: `{ status, headers?, body: { error } }` (the fixtures' shape), `{ error: {…} }`,
 *   an operation status `{ status: 'Failed', error }`, an `ErrorDetail` `{ code, message }`.
 *
 * Quota failures are recognised by message as well as by code: the Compute RP sends them as 409
 * `OperationNotAllowed` with the same "exceeding approved … quota" text (research/control-plane.md §1.7).
 */
import type { ArmFailure, ArmFailureClass } from '../../ports/nodePools.js';

/** An ARM call failed; thrown by the adapters whose port has no failure result (e.g. `QuotaReader`). */
export class ArmCallError extends Error {
  constructor(readonly failure: ArmFailure, options?: { cause?: unknown }) {
    super(`${failure.class}: ${failure.code}: ${failure.message}`, options);
    this.name = 'ArmCallError';
  }
}

const CAPACITY_CODES = new Set(
  [
    'AllocationFailed',
    'ZonalAllocationFailed',
    'OverconstrainedAllocationRequest',
    'OverconstrainedZonalAllocationRequest',
    'SkuNotAvailable',
    'AllocationFailure',
    'ZonalAllocationFailure',
  ].map((c) => c.toLowerCase()),
);
const NOT_FOUND_CODES = new Set(['notfound', 'resourcenotfound', 'resourcegroupnotfound', 'parentresourcenotfound']);
const THROTTLED_CODES = new Set(['throttled', 'toomanyrequests']);

const LRO_FAILED = /^The long-running operation has failed(?:\.\s+([A-Za-z][\w-]*)\.\s+([\s\S]*))?$/;
const LRO_CANCELED = /^Operation was canceled$/;
const QUOTA_TEXT = /exceeding\s+(?:approved\s+(.+?)\s+quota|quota\s+limits\s+of\s+(\w+))/i;
const ALLOCATION_TEXT = /Allocation failed\. We do not have sufficient capacity|is currently not available in location/i;

interface Raw {
  statusCode?: number;
  code?: string;
  message: string;
  retryAfterMs?: number;
  /** The failure came from a finished async operation, not from the request itself. */
  async?: boolean;
  /** No answer (network, timeout). */
  transport?: boolean;
}

export function classifyArmError(e: unknown): ArmFailure {
  return fromRaw(toRaw(e));
}

/** Azure's quota text → which bucket, its limit and usage, and what was asked for. */
export function parseQuotaMessage(message: string): ArmFailure['quota'] | undefined {
  const m = QUOTA_TEXT.exec(message);
  if (!m) return undefined;
  const number = (re: RegExp): number | undefined => {
    const n = re.exec(message);
    return n ? Number(n[1]) : undefined;
  };
  const limit = number(/Current Limit:\s*(\d+)/i) ?? number(/Maximum allowed:\s*(\d+)/i);
  const usage = number(/Current Usage:\s*(\d+)/i) ?? number(/Current in use:\s*(\d+)/i);
  const required = number(/Additional Required:\s*(\d+)/i) ?? number(/Additional requested:\s*(\d+)/i);
  const numbers = {
    ...(limit !== undefined ? { limit } : {}),
    ...(usage !== undefined ? { usage } : {}),
    ...(required !== undefined ? { required } : {}),
  };
  const bucket = (m[1] ?? m[2] ?? '').trim();
  if (/^(total\s+regional\s+(cores|vcpus)|cores?)$/i.test(bucket)) return { scope: 'regional', ...numbers };
  if (/^(low\s*priority\s*cores|total\s+regional\s+low-priority\s+vcpus|spot\s+vcpus)$/i.test(bucket)) {
    return { scope: 'regional', family: 'lowPriorityCores', ...numbers };
  }
  const family = bucket.replace(/\s+(cores|vcpus)$/i, '');
  return { scope: 'family', family, ...numbers };
}

// ---------------------------------------------------------------------------------------------------------

function fromRaw(raw: Raw): ArmFailure {
  const code = raw.code ?? (raw.statusCode !== undefined ? `Http${raw.statusCode}` : 'Unknown');
  const lcode = code.toLowerCase();
  const status = raw.statusCode;
  const base = {
    code,
    message: raw.message,
    ...(status !== undefined ? { statusCode: status } : {}),
    ...(raw.retryAfterMs !== undefined ? { retryAfterMs: raw.retryAfterMs } : {}),
  };
  const as = (cls: ArmFailureClass, extra: Partial<ArmFailure> = {}): ArmFailure => ({ class: cls, ...base, ...extra });

  const quota = parseQuotaMessage(raw.message);
  if (lcode === 'quotaexceeded' || quota) return as('quotaExceeded', quota ? { quota } : {});
  if (CAPACITY_CODES.has(lcode) || ALLOCATION_TEXT.test(raw.message)) return as('capacityUnavailable');
  if (raw.transport) return as('transient');
  if (status === 412 || lcode === 'preconditionfailed') return as('preconditionFailed');
  if (status === 429 || THROTTLED_CODES.has(lcode)) {
    const retryAfterMs = raw.retryAfterMs ?? retryAfterFromMessage(raw.message);
    return as('throttled', retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  if (status === 404 || NOT_FOUND_CODES.has(lcode)) return as('notFound');
  if (status === 409 || lcode === 'operationnotallowed' || lcode === 'conflict' || lcode === 'anotheroperationinprogress') {
    return as('operationNotAllowed');
  }
  if (status === 408 || (status !== undefined && status >= 500)) return as('transient');
  if (status !== undefined && status >= 400) return as('invalid');
  if (raw.async) {
    // A finished operation that failed for a reason we do not know: the pool may take the same PUT next time.
    if (/^(invalidparameter|badrequest|propertychangenotallowed|invalidrequestcontent)$/.test(lcode)) return as('invalid');
    return as('transient');
  }
  return as('transient');
}

function retryAfterFromMessage(message: string): number | undefined {
  const m = /retry (?:again )?in (\d+) seconds?/i.exec(message);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** Retry-After: seconds or an HTTP date; also `retry-after-ms` / `x-ms-retry-after-ms`. */
export function retryAfterMs(get: (name: string) => string | undefined, now = Date.now()): number | undefined {
  const ms = get('retry-after-ms') ?? get('x-ms-retry-after-ms');
  if (ms !== undefined && /^\d+$/.test(ms.trim())) return Number(ms.trim());
  const v = get('retry-after');
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `{ error: { code, message } }` or an `ErrorDetail`, innermost useful detail first when the outer one is generic. */
function errorDetail(body: unknown): { code?: string; message?: string } | undefined {
  if (!isObject(body)) return undefined;
  const inner = isObject(body['error']) ? body['error'] : body;
  const code = str(inner['code']);
  const message = str(inner['message']);
  if (code === undefined && message === undefined) return undefined;
  // ARM sometimes wraps the RP's error: { code: 'DeploymentFailed', details: [{ code: 'QuotaExceeded', … }] }.
  const details = Array.isArray(inner['details']) ? inner['details'] : [];
  const first = details.find((d) => isObject(d) && typeof d['code'] === 'string') as Record<string, unknown> | undefined;
  if (first && code !== undefined && /^(deploymentfailed|badrequest|conflict|internalservererror)$/i.test(code) && !QUOTA_TEXT.test(message ?? '')) {
    return { code: str(first['code']), message: str(first['message']) ?? message };
  }
  return { ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}

function headersGetter(headers: unknown): (name: string) => string | undefined {
  if (isObject(headers) && typeof (headers as { get?: unknown }).get === 'function') {
    const h = headers as { get(name: string): string | undefined | null };
    return (name) => h.get(name) ?? undefined;
  }
  if (isObject(headers)) {
    const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? String(v[0]) : String(v)]));
    return (name) => lower.get(name.toLowerCase());
  }
  return () => undefined;
}

function toRaw(e: unknown): Raw {
  if (typeof e === 'string') return lroOrMessage(e) ?? { message: e };
  if (!isObject(e)) return { message: String(e), transport: true };

  // core-lro's failed operation (a plain Error) and cancellation.
  if (e instanceof Error && e.name !== 'RestError') {
    const lro = lroOrMessage(e.message);
    if (lro) return lro;
  }

  // RestError (duck-typed: core-rest-pipeline and ts-http-runtime each have their own class).
  if (e['name'] === 'RestError' || typeof e['statusCode'] === 'number' || (e instanceof Error && isObject(e['response']))) {
    const statusCode = typeof e['statusCode'] === 'number' ? e['statusCode'] : undefined;
    const response = isObject(e['response']) ? e['response'] : undefined;
    const detail = errorDetail(e['details']) ?? errorDetail(parseMaybe(response?.['bodyAsText']));
    const code = detail?.code ?? str(e['code']);
    const message = detail?.message ?? str(e['message']) ?? '';
    const retry = retryAfterMs(headersGetter(response?.['headers']));
    if (statusCode === undefined) {
      return { ...(code !== undefined ? { code } : {}), message, transport: true };
    }
    return { statusCode, ...(code !== undefined ? { code } : {}), message, ...(retry !== undefined ? { retryAfterMs: retry } : {}) };
  }

  // Anything else thrown as an Error: network (ECONNRESET …), abort/timeout, a bug.
  if (e instanceof Error) return transportError(e);

  // A response as the fixtures hold it: { status, headers?, body }.
  if (typeof e['status'] === 'number') {
    const detail = errorDetail(e['body']);
    const retry = retryAfterMs(headersGetter(e['headers']));
    return {
      statusCode: e['status'],
      ...(detail?.code !== undefined ? { code: detail.code } : {}),
      message: detail?.message ?? '',
      ...(retry !== undefined ? { retryAfterMs: retry } : {}),
    };
  }

  // An async operation status: { status: 'Failed' | 'Canceled', error? }.
  if (typeof e['status'] === 'string') {
    const detail = errorDetail(e['error'] ?? {});
    const code = detail?.code ?? (e['status'] === 'Canceled' ? 'Canceled' : 'OperationFailed');
    return { code, message: detail?.message ?? `The operation ended ${String(e['status'])}.`, async: true };
  }

  // { error: {...} } or an ErrorDetail.
  const detail = errorDetail(e);
  if (detail) return { ...(detail.code !== undefined ? { code: detail.code } : {}), message: detail.message ?? '', async: true };

  return { message: JSON.stringify(e), transport: true };
}

function transportError(e: Error): Raw {
  const own = (e as Error & { code?: unknown }).code;
  const code = typeof own === 'string' ? own : e.name === 'AbortError' ? 'Timeout' : e.name;
  return { code, message: e.message, transport: true };
}

function lroOrMessage(message: string): Raw | undefined {
  const m = LRO_FAILED.exec(message.trim());
  if (m) {
    const code = m[1];
    const inner = m[2] ?? message;
    return { ...(code !== undefined ? { code } : { code: 'OperationFailed' }), message: code !== undefined ? inner : message, async: true };
  }
  if (LRO_CANCELED.test(message.trim())) return { code: 'Canceled', message, async: true };
  return undefined;
}

function parseMaybe(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
