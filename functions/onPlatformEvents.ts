/**
 * `POST /api/events`: the Event Grid webhook for both schemas (Event Grid and CloudEvents 1.0),
 * including the subscription validation and the CloudEvents OPTIONS handshakes.
 * Event Grid retries everything but 400/401/403/413: a body that can never succeed gets 400 naming
 * the field; a failure to record gets 503 so the batch is delivered again.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { handleSignals } from '../shared/autopilot/handleSignals.js';
import { abuseProtectionHeaders, deliveryKind } from '../shared/http/eventGridHandshake.js';
import { problem, readJson } from '../shared/http/responses.js';
import { errorMessage } from '../shared/observability/logger.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';
import { parseEventGridBody } from '../shared/signals/index.js';
import { SignalParseError } from '../shared/signals/types.js';

/** Event Grid batches are at most 1 MB (preferred batch size); one event at most 1 MB. */
const MAX_EVENTS_BYTES = 1024 * 1024;

export async function onPlatformEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  if (request.method === 'OPTIONS') {
    return { status: 200, headers: abuseProtectionHeaders(request.headers.get('webhook-request-origin')) };
  }
  const kind = deliveryKind(request.headers.get('aeg-event-type'));
  if (kind === 'deletion') return { status: 200 };
  if (kind === 'unknown') return problem(400, `unknown aeg-event-type "${request.headers.get('aeg-event-type')}"`, 'aeg-event-type');
  const read = await readJson(request, MAX_EVENTS_BYTES);
  if (!read.ok) return read.response;
  const log = invocationLogger(context);
  const ports = await runtimePorts(log);
  let parsed;
  try {
    parsed = parseEventGridBody(read.body, { fleet: { clusters: ports.fleet.clusters } });
  } catch (e) {
    if (e instanceof SignalParseError) return problem(400, e.message, e.field);
    throw e;
  }
  if (parsed.kind === 'validation') {
    log.info('Event Grid subscription validated', { subscription: request.headers.get('aeg-subscription-name'), schema: parsed.schema });
    return { status: 200, jsonBody: { validationResponse: parsed.validationCode } };
  }
  try {
    const outcomes = await handleSignals(parsed.signals, ports);
    return { status: 200, jsonBody: { signals: outcomes.map((o) => ({ id: o.id, kind: o.kind, status: o.status })) } };
  } catch (e) {
    log.error('could not record events', { error: errorMessage(e), count: parsed.signals.length });
    return problem(503, 'could not record the events; retry');
  }
}

app.http('onPlatformEvents', { route: 'api/events', methods: ['POST', 'OPTIONS'], authLevel: 'function', handler: onPlatformEvents });
