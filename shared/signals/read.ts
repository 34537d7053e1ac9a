/**
 * Defensive readers for untrusted JSON. Nothing here throws anything but `SignalParseError`, and nothing
 * reads a property the object does not own (so "toString" or "__proto__" in a body can't reach the prototype).
 */
import { SignalParseError } from './types.js';

export type JsonRecord = Record<string, unknown>;

export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * `obj[name]`, tolerating Azure's casing drift (`ImpactedRegions` / `impactedRegions`): the exact key wins,
 * then the first own key equal to `name` ignoring case.
 */
export function field(obj: unknown, name: string): unknown {
  if (!isRecord(obj)) return undefined;
  if (hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) {
    if (k.toLowerCase() === lower) return obj[k];
  }
  return undefined;
}

/** A non-empty trimmed string; finite numbers become their decimal string (ids sometimes arrive as numbers). */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const t = v.trim();
    return t.length > 0 ? t : undefined;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** A finite number, from a number or a numeric string ("80", " 87.0 "). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.length === 0 || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Lower case, no spaces/underscores/hyphens: "Service Health" / "ServiceHealth" / "service_health" → "servicehealth". */
export function norm(s: string): string {
  return s.toLowerCase().replace(/[\s_-]+/g, '');
}

/** Read a required object or throw naming `path`. */
export function requireRecord(v: unknown, path: string): JsonRecord {
  if (v === undefined || v === null) throw new SignalParseError(path, 'is missing');
  if (!isRecord(v)) throw new SignalParseError(path, `must be an object, got ${describe(v)}`);
  return v;
}

/** Read a required non-empty string or throw naming `path`. */
export function requireString(v: unknown, path: string): string {
  const s = str(v);
  if (s === undefined) {
    throw new SignalParseError(
      path,
      v === undefined || v === null ? 'is missing' : `must be a non-empty string, got ${describe(v)}`,
    );
  }
  return s;
}

/**
 * A value that Azure sometimes sends as JSON text inside a string (`impactedServices`, `claims`): a string is
 * parsed, anything else is returned as is. Text that is not JSON throws naming `path`.
 */
export function jsonOrValue(v: unknown, path: string): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t.length === 0) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    throw new SignalParseError(path, 'is a string but not valid JSON');
  }
}

/** A short description of a value's type for error messages (never echoes content). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Keep the first occurrence of each value, in order. */
export function unique<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

/** Payload text quoted in a reason or eventType, cut to `max` characters. */
export function clip(s: string, max = 80): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
