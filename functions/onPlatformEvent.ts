/**
 * The Event Grid trigger (`/runtime/webhooks/eventgrid?functionName=onPlatformEvent`): the host
 * answers the handshakes itself and invokes this once per event. Throwing makes the host answer 500,
 * and Event Grid delivers the batch again — so we throw only when the signal could not be recorded.
 */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { handleSignals } from '../shared/autopilot/handleSignals.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';
import { parseEventGridBody } from '../shared/signals/index.js';
import { SignalParseError } from '../shared/signals/types.js';

export async function onPlatformEvent(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  const ports = await runtimePorts(log);
  // One event: an Event Grid schema event travels as an array of one, a CloudEvent as itself.
  const body: unknown = event && typeof event === 'object' && 'specversion' in event ? event : [event];
  let parsed;
  try {
    parsed = parseEventGridBody(body, { fleet: { clusters: ports.fleet.clusters } });
  } catch (e) {
    // Retrying cannot fix it: log and acknowledge.
    if (e instanceof SignalParseError) { log.warn('unreadable event dropped', { field: e.field, error: e.message }); return; }
    throw e;
  }
  if (parsed.kind === 'validation') return;
  await handleSignals(parsed.signals, ports);
}

app.eventGrid('onPlatformEvent', { handler: onPlatformEvent });
