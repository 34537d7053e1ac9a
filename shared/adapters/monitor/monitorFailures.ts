/**
 * Everything that can go wrong asking Azure Monitor, turned into `unavailable` with a reason. The SDKs throw a
 * `RestError` for any status but 200 (with Monitor's `{ error: { code, message, innererror } }` body in `details`),
 * an `AbortError` when our deadline or the request timeout fires, and whatever their deserialisers trip over for a
 * body they did not expect; none of it may escape into the caller's decision.
 */
import type { TelemetryUnavailable } from '../../ports/telemetry.js';

export interface MonitorErrorInfo {
  readonly code?: string;
  readonly message?: string;
  readonly details?: readonly MonitorErrorInfo[];
  readonly innererror?: MonitorErrorInfo;
}

interface RestErrorLike {
  readonly name: string;
  readonly message: string;
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: unknown;
  readonly response?: { readonly headers: { get(name: string): string | undefined } };
}

const isRestError = (e: unknown): e is RestErrorLike => e instanceof Error && e.name === 'RestError';

/**
 * `code: message` for the error, its inner errors and its details, outermost first: Monitor puts the useful part
 * deep inside (a PartialError's reason is in `details`, a syntax error's in `innererror`).
 */
export function describeMonitorError(info: MonitorErrorInfo | undefined, depth = 0): string | undefined {
  if (!info || depth > 4) return undefined;
  const parts = [[info.code, info.message].filter(Boolean).join(': ')];
  parts.push(describeMonitorError(info.innererror, depth + 1) ?? '');
  for (const d of info.details?.slice(0, 3) ?? []) parts.push(describeMonitorError(d, depth + 1) ?? '');
  const text = parts.filter(Boolean).join(' / ');
  return text || undefined;
}

function retryAfterMs(e: RestErrorLike): number | undefined {
  const headers = e.response?.headers;
  const ms = Number(headers?.get('retry-after-ms') ?? headers?.get('x-ms-retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers?.get('retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function unavailable(source: 'logs' | 'metrics', error: unknown): TelemetryUnavailable {
  if (error instanceof Error && error.name === 'AbortError') {
    return { status: 'unavailable', source, reason: 'timeout', message: `Azure Monitor did not answer in time (${error.message})` };
  }
  if (!isRestError(error)) {
    return { status: 'unavailable', source, reason: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  const status = error.statusCode;
  const body = (error.details as { error?: MonitorErrorInfo } | undefined)?.error;
  const detail = describeMonitorError(body) ?? [error.code, error.message].filter(Boolean).join(': ');
  const message = status === undefined ? `no answer: ${detail}` : `${status} ${detail}`;
  if (status === 429) {
    const after = retryAfterMs(error);
    return { status: 'unavailable', source, reason: 'throttled', message, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  if (status === 401 || status === 403) return { status: 'unavailable', source, reason: 'refused', message };
  if (status === 400) return { status: 'unavailable', source, reason: 'invalidQuery', message };
  if (status === 408 || status === 504) return { status: 'unavailable', source, reason: 'timeout', message };
  return { status: 'unavailable', source, reason: 'failed', message };
}
