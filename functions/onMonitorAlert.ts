/** `POST /api/alerts`: the Azure Monitor action group webhook (common and legacy schemas). */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { handleSignals } from '../shared/autopilot/handleSignals.js';
import { problem, readJson } from '../shared/http/responses.js';
import { errorMessage } from '../shared/observability/logger.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';
import { parseAlertBody } from '../shared/signals/index.js';
import { SignalParseError } from '../shared/signals/types.js';

/** Azure Monitor caps one alert at 256 KB. */
const MAX_ALERT_BYTES = 256 * 1024;

export async function onMonitorAlert(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLogger(context);
  const read = await readJson(request, MAX_ALERT_BYTES);
  if (!read.ok) return read.response;
  let ports;
  try {
    ports = await runtimePorts(log);
  } catch (e) {
    log.error('runtime unavailable', { error: errorMessage(e) });
    return problem(503, 'the autopilot is starting or misconfigured; retry');
  }
  let signals;
  try {
    signals = parseAlertBody(read.body, { fleet: { clusters: ports.fleet.clusters } });
  } catch (e) {
    // Action groups do not retry a 400: right for a body that can never succeed.
    if (e instanceof SignalParseError) return problem(400, e.message, e.field);
    throw e;
  }
  try {
    const outcomes = await handleSignals(signals, ports);
    return { status: 200, jsonBody: { signals: outcomes } };
  } catch (e) {
    // Not recorded: 503 is one of the codes action groups retry.
    log.error('could not record signals', { error: errorMessage(e) });
    return problem(503, 'could not record the alert; retry');
  }
}

app.http('onMonitorAlert', { route: 'api/alerts', methods: ['POST'], authLevel: 'function', handler: onMonitorAlert });
