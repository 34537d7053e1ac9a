/**
 * Helpers shared by the alert family parsers: the alert's time and stage, `ignored` signals, and readers for
 * the metric / log alertContext (`condition.allOf[]` with `dimensions[]`). Pure, defensive: nothing here
 * throws except `alertTime` for a body with no usable time at all.
 */
import { SignalParseError, type IgnoredSignal, type Stage } from '../types.js';
import { field, isRecord, norm, str, type JsonRecord } from '../read.js';
import { firstTime } from '../time.js';
import type { AlertEnvelope } from './envelope.js';

/**
 * When the alert says its subject happened. A resolved alert: `resolvedDateTime` (metric alerts), else the end
 * of the evaluation window that resolved it (`condition.windowEndTime`, log alerts carry no
 * resolvedDateTime), else the firing time. A fired alert: `firedDateTime`. Then the times inside alertContext.
 * A body with no usable time at all is not an alert → SignalParseError.
 */
export function alertTime(env: AlertEnvelope): string {
  const ctx = env.context;
  const windowEnd = field(field(ctx, 'condition'), 'windowEndTime');
  const t =
    (env.condition === 'resolved' ? (env.resolvedAt ?? firstTime(windowEnd)) : undefined) ??
    env.firedAt ??
    firstTime(
      field(ctx, 'eventTimestamp'),
      windowEnd,
      field(ctx, 'SearchIntervalEndtimeUtc'),
      field(ctx, 'submissionTimestamp'),
    );
  if (t === undefined) {
    throw new SignalParseError(
      env.source === 'commonAlert' ? 'data.essentials.firedDateTime' : `${env.contextPath}.eventTimestamp`,
      'is missing or not a time',
    );
  }
  return t;
}

/** monitorCondition Resolved (legacy status Resolved) → resolved; Fired / Activated → active. */
export function stageOf(env: AlertEnvelope): Stage {
  return env.condition === 'resolved' ? 'resolved' : 'active';
}

export function ignored(
  env: AlertEnvelope,
  observedAt: string,
  reason: string,
  eventType: string,
  id: string = env.key,
): IgnoredSignal {
  return { kind: 'ignored', id, source: env.source, observedAt, reason, eventType };
}

/** JSON text of an object or array → the parsed value; anything else (including text that is not JSON) as is. */
export function lenientJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/** `alertContext.condition.allOf[]` (metric and Log Alerts V2 alerts): the object entries, in order. */
export function allOfEntries(ctx: JsonRecord | undefined): JsonRecord[] {
  const condition = lenientJson(field(ctx, 'condition'));
  let allOf = lenientJson(field(condition, 'allOf'));
  if (isRecord(allOf)) allOf = [allOf];
  if (!Array.isArray(allOf)) return [];
  return allOf.map(lenientJson).filter(isRecord);
}

/**
 * An entry's `dimensions` as normalised name (`norm`) → trimmed value. Azure sends `[{ name, value }]`; an
 * object map `{ name: value }` is accepted too. The first occurrence of a name wins; numbers become strings.
 */
export function dimensionsOf(entry: JsonRecord): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  let dims = lenientJson(field(entry, 'dimensions'));
  if (isRecord(dims)) dims = Object.entries(dims).map(([name, value]) => ({ name, value }));
  if (!Array.isArray(dims)) return out;
  for (const d of dims) {
    if (!isRecord(d)) continue;
    const name = str(field(d, 'name'));
    const value = str(field(d, 'value'));
    if (name === undefined || value === undefined) continue;
    const key = norm(name);
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

/** The first dimension present among `names` (each compared after `norm`). */
export function dimension(dims: ReadonlyMap<string, string>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = dims.get(norm(n));
    if (v !== undefined) return v;
  }
  return undefined;
}

/** "/subscriptions/<id>/…" → "<id>". */
export function subscriptionOf(armId: string | undefined): string | undefined {
  const m = /^\/?subscriptions\/([^/\s]+)/i.exec(armId?.trim() ?? '');
  return m?.[1];
}

/** Whitespace collapsed, cut to `max`: a one-line gist of a query for reasons. */
export function gist(text: string, max = 60): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
