/**
 * `parseEventGridBody`: an Event Grid delivery (Event Grid schema array, CloudEvents 1.0 object or batch; a
 * single Event Grid event object too) → a subscription-validation answer, or signals (DESIGN §4).
 * Pure: no I/O, no clock; `validationUrl` is never fetched (the caller answers with the code).
 *
 * Errors and batches. Event Grid does not retry a 400: it drops (or dead-letters) the *whole* batch. So:
 * - the body is refused (`SignalParseError`, naming the field) only when it is not an Event Grid/CloudEvents
 *   body at all: not JSON, not an object or array, an empty array, a single object that is not a usable
 *   event, an array in which *no* member is a usable event (the error names the first member's problem),
 *   or a subscription validation event without a code;
 * - in an array with at least one usable event, a member that is not (not an object, no id/type/time, a
 *   CloudEvent that is not 1.0 …) becomes an `ignored` signal saying which field is wrong, and the rest of
 *   the batch is parsed as usual;
 * - a usable event whose content we cannot use (no node pool name, no cluster id, an unknown event type)
 *   is `ignored` with the reason, never an error.
 * One event → exactly one signal, in body order; `id` is the event id (stable across redeliveries).
 */
import type { KnownSystemEventTypes } from '@azure/eventgrid';
import { SignalParseError, type Signal } from '../types.js';
import { describe, isRecord, str } from '../read.js';
import type { FleetIndex } from '../fleetIndex.js';
import { clusterSupport, newKubernetesVersionAvailable, nodePoolRolling } from './aks.js';
import {
  SUBSCRIPTION_VALIDATION_EVENT,
  at,
  claimedSchema,
  dataField,
  ignored,
  ignoredMember,
  readEvent,
  type EnvelopeRead,
  type EventEnvelope,
  type EventSchema,
} from './envelope.js';
import { availabilityStatusChanged, resourceAnnotated, resourceChanged, scheduledEventEmitted } from './resourceNotifications.js';

export type { EventSchema } from './envelope.js';
export { SUBSCRIPTION_VALIDATION_EVENT } from './envelope.js';
export {
  ANNOTATION_STATUS,
  annotationStatus,
  annotationDeadline,
  isPreemptionAnnotation,
  PREEMPTION_ANNOTATIONS,
  SPOT_PREEMPT_NOTICE_SECONDS,
} from './annotations.js';

export type EventGridParse =
  | { readonly kind: 'validation'; readonly validationCode: string; readonly schema: EventSchema }
  | { readonly kind: 'signals'; readonly schema: EventSchema; readonly signals: Signal[] };

export interface EventGridParseOptions {
  /** Lets AKS resources be mapped to the fleet's clusters (custom node resource groups, canonical ids). */
  readonly fleet?: FleetIndex;
}

type Handler = (env: EventEnvelope, fleet: FleetIndex | undefined) => Signal;

/**
 * Event types we turn into signals. Keys are checked against the SDK's `KnownSystemEventTypes`, so a
 * misspelt type name fails the build. Looked up ignoring case (the equivalent of the SDK's `isSystemEvent`,
 * which compares `eventType`/`type` exactly, without loading the SDK at run time: see envelope.ts).
 */
const HANDLED: readonly (readonly [KnownSystemEventTypes, Handler])[] = [
  ['Microsoft.ContainerService.NodePoolRollingStarted', nodePoolRolling('Microsoft.ContainerService.NodePoolRollingStarted')],
  ['Microsoft.ContainerService.NodePoolRollingSucceeded', nodePoolRolling('Microsoft.ContainerService.NodePoolRollingSucceeded')],
  ['Microsoft.ContainerService.NodePoolRollingFailed', nodePoolRolling('Microsoft.ContainerService.NodePoolRollingFailed')],
  ['Microsoft.ContainerService.NewKubernetesVersionAvailable', newKubernetesVersionAvailable],
  ['Microsoft.ContainerService.ClusterSupportEnding', clusterSupport('Microsoft.ContainerService.ClusterSupportEnding')],
  ['Microsoft.ContainerService.ClusterSupportEnded', clusterSupport('Microsoft.ContainerService.ClusterSupportEnded')],
  ['Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged', availabilityStatusChanged],
  ['Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated', resourceAnnotated],
  ['Microsoft.ResourceNotifications.Resources.CreatedOrUpdated', (env, fleet) => resourceChanged(env, fleet, 'createdOrUpdated')],
  ['Microsoft.ResourceNotifications.Resources.Deleted', (env, fleet) => resourceChanged(env, fleet, 'deleted')],
  ['Microsoft.ResourceNotifications.ContainerServiceEventResources.ScheduledEventEmitted', scheduledEventEmitted],
];

const HANDLERS: ReadonlyMap<string, Handler> = new Map(HANDLED.map(([type, h]) => [type.toLowerCase(), h]));

/** The event types that become something other than `ignored`, in their canonical spelling. */
export const HANDLED_EVENT_TYPES: readonly KnownSystemEventTypes[] = HANDLED.map(([t]) => t);

const VALIDATION_LOWER = SUBSCRIPTION_VALIDATION_EVENT.toLowerCase();

/**
 * Parse an Event Grid webhook body: the parsed JSON, or its text (or bytes). Returns the validation code for
 * a subscription validation handshake, else one signal per event. Throws only `SignalParseError` (see the
 * module comment for when).
 */
export function parseEventGridBody(body: unknown, options?: EventGridParseOptions): EventGridParse {
  const value = decode(body);
  const fleet = options?.fleet;

  if (isRecord(value)) {
    if (claimedSchema(value) === undefined) {
      throw new SignalParseError(
        'specversion',
        'is missing: the body is neither a CloudEvent (specversion) nor an Event Grid event (eventType, eventTime)',
      );
    }
    const read = readEvent(value, '');
    if (!read.ok) throw new SignalParseError(read.problem.field, read.problem.message);
    const validation = validationOf(read.env);
    if (validation !== undefined) return validation;
    return { kind: 'signals', schema: read.env.schema, signals: [toSignal(read.env, fleet)] };
  }

  if (!Array.isArray(value)) {
    throw new SignalParseError('body', `must be an array of Event Grid events or a CloudEvent object, got ${describe(value)}`);
  }
  if (value.length === 0) throw new SignalParseError('body', 'is an empty array (Event Grid never sends one)');

  const reads: EnvelopeRead[] = new Array<EnvelopeRead>(value.length);
  let first: EventEnvelope | undefined;
  for (let i = 0; i < value.length; i++) {
    const r = readEvent(value[i], `[${i}]`);
    reads[i] = r;
    if (r.ok) {
      first ??= r.env;
      const validation = validationOf(r.env);
      if (validation !== undefined) return validation;
    }
  }
  if (first === undefined) {
    const r0 = reads[0] as EnvelopeRead;
    const problem = r0.ok ? { field: '[0]', message: 'is not an event' } : r0.problem;
    throw new SignalParseError(problem.field, `${problem.message}; no member of the array is an Event Grid event or CloudEvent`);
  }

  const signals: Signal[] = new Array<Signal>(value.length);
  for (let i = 0; i < value.length; i++) {
    const r = reads[i] as EnvelopeRead;
    signals[i] = r.ok ? toSignal(r.env, fleet) : ignoredMember(value[i], r.problem, first.observedAt, first.schema);
  }
  return { kind: 'signals', schema: first.schema, signals };
}

function decode(body: unknown): unknown {
  let text: unknown = body;
  if (body instanceof Uint8Array) text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  if (typeof text !== 'string') return text;
  if (text.trim().length === 0) {
    throw new SignalParseError('body', 'is empty (a CloudEvents OPTIONS handshake has no body: answer it from its headers)');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SignalParseError('body', 'is text but not JSON');
  }
}

/**
 * A `Microsoft.EventGrid.SubscriptionValidationEvent` → the validation answer. Its data may be JSON text
 * (already parsed by the envelope). Without a code the handshake cannot succeed: the body is refused.
 */
function validationOf(env: EventEnvelope): EventGridParse | undefined {
  if (env.eventType.toLowerCase() !== VALIDATION_LOWER) return undefined;
  const code = str(dataField(SUBSCRIPTION_VALIDATION_EVENT, env.data, 'validationCode'));
  if (code === undefined) {
    throw new SignalParseError(at(env.path, 'data.validationCode'), 'is missing (a subscription validation event carries one)');
  }
  return { kind: 'validation', validationCode: code, schema: env.schema };
}

function toSignal(env: EventEnvelope, fleet: FleetIndex | undefined): Signal {
  const handler = HANDLERS.get(env.eventType.toLowerCase());
  if (handler !== undefined) return handler(env, fleet);
  return ignored(env, reasonForUnhandled(env.eventType));
}

function reasonForUnhandled(eventType: string): string {
  const t = eventType.toLowerCase();
  if (t.startsWith('microsoft.containerservice.')) return 'AKS event type not used by the autopilot';
  if (t.startsWith('microsoft.resourcenotifications.')) return 'Resource Notifications event type not used by the autopilot';
  if (t.startsWith('microsoft.eventgrid.')) return 'Event Grid control event (not a platform signal)';
  return 'event type not used by the autopilot';
}
