/**
 * The two Event Grid delivery schemas reduced to one per-event shape (`EventEnvelope`) that the per-topic
 * readers (aks.ts, resourceNotifications.ts) use. Only this file knows where a field lives in each schema.
 *
 * Event Grid schema (research/signals.md §1.1): always a JSON array of
 *   { id, topic, subject, eventType, eventTime, data, dataVersion, metadataVersion };
 * a single such object is accepted too (Service Bus handler, Functions host per-event invocation, §7).
 * CloudEvents 1.0 (§1.2): one object { specversion: "1.0", type, source, id, time?, subject?, data? }, or an
 * array of them when output batching is on.
 *
 * Why not `@azure/eventgrid`'s `EventGridDeserializer` (checked against v5.12 with the fixtures):
 * - it is async (`Promise`), and this parser is synchronous;
 * - it validates all-or-nothing: one bad member throws a plain `Error` for the whole batch — the opposite of
 *   the per-member policy below;
 * - it turns a CloudEvent whose `data` is a JSON *string* (the validation handshake relayed by the Functions
 *   host, §1.6) into `{ "0": "{", "1": "\"", … }`;
 * - it parses times with `new Date(…)`: an unparsable `eventTime` becomes a silent `Invalid Date`, and an
 *   offset-less time ("2024-04-16T22:17:12.1032748") is read in the process's local time zone;
 * - importing `@azure/eventgrid` at run time costs ~110–145 ms and ~380 KB of bundle (its generated mappers
 *   come along even for `isSystemEvent` alone), against the cold-start target (DESIGN §8: bundle import ≤ 1.5× bare `@azure/functions`, which takes ~30–60 ms).
 * It does accept the fixtures' quirks (dataVersion "", 7- and 9-digit fractions). So the envelope is read
 * here, with the same required attributes as the SDK's validators (Event Grid: id, eventType, eventTime;
 * CloudEvents: specversion "1.0", id, source, type) but leniently where real senders drift (topic, subject,
 * dataVersion, metadataVersion are not required; attribute names are matched ignoring case), and times go
 * through `toIsoTime` (UTC for offset-less text). The SDK's *types* are used (type-only import, erased at
 * build): event type names are `KnownSystemEventTypes`, and data field names of the AKS and validation
 * events are checked against `SystemEventNameToEventData` (see `dataField`). The unit tests run the real
 * deserializer and `isSystemEvent` against the fixtures as an oracle for this file.
 */
import type { KnownSystemEventTypes, SystemEventNameToEventData } from '@azure/eventgrid';
import { createHash } from 'node:crypto';
import type { IgnoredSignal } from '../types.js';
import { clip, describe, field, isRecord, str, type JsonRecord } from '../read.js';
import { firstTime, toIsoTime } from '../time.js';

export type EventSchema = 'eventGrid' | 'cloudEvents';

export interface EventEnvelope {
  readonly schema: EventSchema;
  /** Where the event sits in the body, as a field-path prefix: "" for a single object, "[3]" in an array. */
  readonly path: string;
  /** The event id: the idempotency key of every signal made from this event. */
  readonly id: string;
  /** `eventType` / `type`, as sent. */
  readonly eventType: string;
  /** Event time (`eventTime` / `time`, else the data's own event time), ISO 8601. */
  readonly observedAt: string;
  /** Event Grid `topic` / CloudEvents `source`: for AKS the managed cluster id, for ARN `/subscriptions/{id}`. */
  readonly topic: string | undefined;
  readonly subject: string | undefined;
  /** `data`, with JSON text (and CloudEvents `data_base64` JSON) parsed. */
  readonly data: unknown;
}

/** Why a body member is not an event we can key and time. `field` is the dotted path from the body root. */
export interface EnvelopeProblem {
  readonly field: string;
  readonly message: string;
}

export type EnvelopeRead = { readonly ok: true; readonly env: EventEnvelope } | { readonly ok: false; readonly problem: EnvelopeProblem };

/** `a.b` below `path` ("" → "a.b", "[3]" → "[3].a.b"). */
export function at(path: string, name: string): string {
  return path.length === 0 ? name : `${path}.${name}`;
}

/** Which schema a body object claims: CloudEvents by `specversion`, Event Grid by its own attributes. */
export function claimedSchema(o: JsonRecord): EventSchema | undefined {
  if (field(o, 'specversion') !== undefined) return 'cloudEvents';
  if (
    field(o, 'eventType') !== undefined ||
    field(o, 'eventTime') !== undefined ||
    field(o, 'dataVersion') !== undefined ||
    field(o, 'metadataVersion') !== undefined
  ) {
    return 'eventGrid';
  }
  return undefined;
}

/** Read one event (an array member or the whole body) into an envelope, or say which field is wrong. */
export function readEvent(raw: unknown, path: string): EnvelopeRead {
  if (!isRecord(raw)) {
    return fail(path.length === 0 ? 'body' : path, `must be an event object, got ${describe(raw)}`);
  }
  return claimedSchema(raw) === 'cloudEvents' ? readCloudEvent(raw, path) : readEventGridEvent(raw, path);
}

function readEventGridEvent(o: JsonRecord, path: string): EnvelopeRead {
  const eventType = str(field(o, 'eventType'));
  if (eventType === undefined) return missing(o, path, 'eventType', 'an Event Grid event names its type');
  const id = str(field(o, 'id'));
  if (id === undefined) return missing(o, path, 'id', 'an Event Grid event has an id');
  const data = normaliseData(field(o, 'data'));
  const observedAt = toIsoTime(field(o, 'eventTime')) ?? dataTime(data);
  if (observedAt === undefined) return missing(o, path, 'eventTime', 'must be an ISO 8601 time');
  return {
    ok: true,
    env: { schema: 'eventGrid', path, id, eventType, observedAt, topic: str(field(o, 'topic')), subject: str(field(o, 'subject')), data },
  };
}

function readCloudEvent(o: JsonRecord, path: string): EnvelopeRead {
  const spec = field(o, 'specversion');
  if (str(spec) !== '1.0') {
    return fail(at(path, 'specversion'), spec === undefined || spec === null ? 'is missing' : 'must be "1.0" (CloudEvents 1.0)');
  }
  const id = str(field(o, 'id'));
  if (id === undefined) return missing(o, path, 'id', 'a CloudEvent has an id');
  const source = str(field(o, 'source'));
  if (source === undefined) return missing(o, path, 'source', 'a CloudEvent has a source');
  const eventType = str(field(o, 'type'));
  if (eventType === undefined) return missing(o, path, 'type', 'a CloudEvent names its type');
  let data = normaliseData(field(o, 'data'));
  if (data === undefined) data = base64Data(field(o, 'data_base64'));
  // `time` is optional in CloudEvents 1.0, but Event Grid always sets it; the data's own time is the fallback.
  const observedAt = toIsoTime(field(o, 'time')) ?? dataTime(data);
  if (observedAt === undefined) return missing(o, path, 'time', 'must be an ISO 8601 time');
  return { ok: true, env: { schema: 'cloudEvents', path, id, eventType, observedAt, topic: source, subject: str(field(o, 'subject')), data } };
}

function fail(fieldPath: string, message: string): EnvelopeRead {
  return { ok: false, problem: { field: fieldPath, message } };
}

function missing(o: JsonRecord, path: string, name: string, why: string): EnvelopeRead {
  const v = field(o, name);
  return fail(at(path, name), v === undefined || v === null ? `is missing (${why})` : `is not usable (${describe(v)}; ${why})`);
}

/** JSON text in `data` (a relayed CloudEvent, a re-serialising proxy) becomes the value it holds. */
function normaliseData(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t.length === 0) return undefined;
  if (t[0] !== '{' && t[0] !== '[') return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

/** CloudEvents binary data holding JSON (Event Grid does not send it for system events, but a relay may). */
function base64Data(v: unknown): unknown {
  if (typeof v !== 'string' || v.length === 0 || v.length > 1_000_000) return undefined;
  return normaliseData(Buffer.from(v, 'base64').toString('utf8'));
}

/** Resource Notifications carry their own event time; used when the envelope's time is unusable. */
function dataTime(data: unknown): string | undefined {
  return firstTime(
    field(field(data, 'operationalInfo'), 'resourceEventTime'),
    field(field(field(data, 'resourceInfo'), 'properties'), 'occurredTime'),
  );
}

/**
 * Read a data field of a system event whose SDK data type matches the wire (AKS, subscription validation):
 * the name is checked against `@azure/eventgrid`'s `SystemEventNameToEventData` at compile time, the value
 * is read like any untrusted JSON (`field`, case-tolerant, `unknown`). Not for Resource Notifications: the
 * SDK's interfaces rename `resourceInfo`/`operationalInfo` to `resourceDetails`/`operationalDetails`, which
 * the wire (and the deserializer, which does not map `data`) never has.
 */
export function dataField<T extends KnownSystemEventTypes>(
  _type: T,
  data: unknown,
  name: keyof SystemEventNameToEventData[T] & string,
): unknown {
  return field(data, name);
}

export const SUBSCRIPTION_VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent' satisfies KnownSystemEventTypes;

/** The common fields of every signal made from `env`. */
export function base(env: EventEnvelope): { id: string; source: EventSchema; observedAt: string } {
  return { id: env.id, source: env.schema, observedAt: env.observedAt };
}

export function ignored(env: EventEnvelope, reason: string): IgnoredSignal {
  return { kind: 'ignored', ...base(env), reason: clip(reason, 300), eventType: clip(env.eventType, 200) };
}

/**
 * A batch member that is not an event we can key and time → `ignored`, so that the rest of the batch is
 * still acted on. Its id is its own `id` when it has one, else a digest of its JSON (stable across
 * redeliveries of the same body); its time its own when usable, else `fallbackTime` (the first good event's).
 */
export function ignoredMember(raw: unknown, problem: EnvelopeProblem, fallbackTime: string, schema: EventSchema): IgnoredSignal {
  const id = str(field(raw, 'id')) ?? `sha256:${digest(raw, problem.field)}`;
  const time = firstTime(field(raw, 'eventTime'), field(raw, 'time')) ?? fallbackTime;
  const type = str(field(raw, 'eventType')) ?? str(field(raw, 'type'));
  const memberSchema: EventSchema = isRecord(raw) ? (claimedSchema(raw) ?? schema) : schema;
  return {
    kind: 'ignored',
    id: clip(id, 200),
    source: memberSchema,
    observedAt: time,
    reason: clip(`malformed event: ${problem.field} ${problem.message}`, 300),
    ...(type !== undefined ? { eventType: clip(type, 200) } : {}),
  };
}

function digest(v: unknown, salt: string): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = salt;
  }
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
