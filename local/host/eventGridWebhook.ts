/**
 * `POST|OPTIONS /runtime/webhooks/eventgrid?functionName=<name>` — the Event Grid trigger's webhook, served the way
 * the Functions host's Event Grid extension serves it (HttpRequestProcessor / EventGridExtensionConfigProvider in
 * Microsoft.Azure.WebJobs.Extensions.EventGrid 3.x):
 *
 * - unknown or missing `functionName` → 404 `cannot find function: '<name>'`;
 * - `OPTIONS` (CloudEvents abuse-protection handshake) → 200 with `WebHook-Allowed-Origin` echoing a known Event Grid
 *   origin from `WebHook-Request-Origin` (`eventgrid.azure.net` otherwise);
 * - `aeg-event-type` (case-insensitive value):
 *   `SubscriptionValidation` → 200 `{"validationResponse": code}` from `[0].data.validationCode`, or from a single
 *   CloudEvent object whose `data` may itself be a JSON string;
 *   `Notification` → body parsed as an array or one object, the function invoked once per event (concurrently, as
 *   the host does), 202 when every invocation succeeded, 500 when any failed (Event Grid then redelivers the batch);
 *   `Unsubscribe` / `SubscriptionDeletion` → 202; missing or anything else → 400.
 *
 * Differences from Azure, on purpose: a body that is not JSON (or JSON of the wrong shape) gets 400 here rather than
 * the host's 500 from an unhandled parse exception; `SubscriptionDeletion` gets 202 (the extension answers 400); a 500
 * does not echo the exception message. The handler gets each event as parsed JSON (strings stay strings) and
 * `triggerMetadata = { data, sys }`, camel-cased like the library does.
 */
import type { RegisteredFunction } from './functionsCore.js';
import { emptyResponse, errorResponse, headerValue, jsonResponse, toCamelCaseValue, type HostRequest } from './hostRequest.js';
import type { WireResponse } from './httpResponse.js';
import { createInvocation, errorSummary, runHandler, sysMetadata, type LogSink } from './invocation.js';

export const EVENT_GRID_WEBHOOK_PATH = '/runtime/webhooks/eventgrid';

const KNOWN_ORIGINS = new Set([
  'eventgrid.azure.net',
  'eventgrid.azure.us',
  'eventgrid.azure.eaglex.ic.gov',
  'eventgrid.azure.microsoft.scloud',
  'eventgrid.azure.cn',
]);
const DEFAULT_ORIGIN = 'eventgrid.azure.net';

export interface EventGridWebhookDeps {
  /** The registered Event Grid-triggered function with this name, if any. */
  find(functionName: string): RegisteredFunction | undefined;
  log: LogSink;
}

function allowedOrigin(req: HostRequest): string {
  const requested = headerValue(req.headers, 'webhook-request-origin')?.trim().toLowerCase();
  return requested && KNOWN_ORIGINS.has(requested) ? requested : DEFAULT_ORIGIN;
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

function validationCode(payload: unknown): string | undefined {
  if (Array.isArray(payload)) {
    const data = (payload[0] as { data?: { validationCode?: unknown } } | undefined)?.data;
    return data?.validationCode === undefined || data.validationCode === null ? undefined : String(data.validationCode);
  }
  if (payload && typeof payload === 'object') {
    let data = (payload as { data?: unknown }).data;
    if (typeof data === 'string') {
      try {
        data = JSON.parse(data);
      } catch {
        return undefined;
      }
    }
    const code = (data as { validationCode?: unknown } | undefined)?.validationCode;
    return code === undefined || code === null ? undefined : String(code);
  }
  return undefined;
}

export async function handleEventGridWebhook(req: HostRequest, deps: EventGridWebhookDeps): Promise<WireResponse> {
  const method = req.method.toUpperCase();
  if (method !== 'POST' && method !== 'OPTIONS') return emptyResponse(405, { allow: 'OPTIONS, POST' });

  const functionName = req.url.searchParams.get('functionName') ?? '';
  const fn = functionName ? deps.find(functionName) : undefined;
  if (!fn) {
    deps.log({ level: 'information', category: 'host', message: `event grid webhook: cannot find function '${functionName}'` });
    return {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: Buffer.from(`cannot find function: '${functionName}'`),
    };
  }

  if (method === 'OPTIONS') {
    return emptyResponse(200, { 'webhook-allowed-origin': allowedOrigin(req), allow: 'OPTIONS, POST' });
  }

  const eventType = headerValue(req.headers, 'aeg-event-type')?.trim().toLowerCase();
  switch (eventType) {
    case 'subscriptionvalidation': {
      const body = await req.readBody();
      if (!body) return errorResponse(413, 'request body too large');
      const parsed = parseJson(body);
      const code = parsed.ok ? validationCode(parsed.value) : undefined;
      if (code === undefined) return errorResponse(400, 'subscription validation event without data.validationCode');
      deps.log({ level: 'information', category: 'host', functionName, message: 'event grid subscription validation handshake' });
      return jsonResponse(200, { validationResponse: code });
    }
    case 'notification': {
      const body = await req.readBody();
      if (!body) return errorResponse(413, 'request body too large');
      const parsed = parseJson(body);
      if (!parsed.ok) return errorResponse(400, 'request body is not JSON');
      const value = parsed.value;
      let events: unknown[];
      if (Array.isArray(value)) events = value;
      else if (value && typeof value === 'object') events = [value];
      else return errorResponse(400, 'request body must be a JSON object or array');

      const outcomes = await Promise.allSettled(events.map((event) => invokeOne(fn, event, deps.log)));
      const failed = outcomes.filter((o) => o.status === 'rejected').length;
      if (failed > 0) {
        return errorResponse(500, `${failed} of ${events.length} event invocations failed`);
      }
      return emptyResponse(202);
    }
    case 'unsubscribe':
    case 'subscriptiondeletion':
      return emptyResponse(202);
    default:
      return errorResponse(400, eventType ? `unknown aeg-event-type '${eventType}'` : 'missing aeg-event-type header');
  }
}

async function invokeOne(fn: RegisteredFunction, event: unknown, log: LogSink): Promise<void> {
  const data = (event as { data?: unknown } | null)?.data ?? null;
  const inv = createInvocation(fn, log, toCamelCaseValue({ data, sys: sysMetadata(fn.metadata.name) }) as Record<string, unknown>);
  try {
    await runHandler(fn, event, inv, log);
  } catch (err) {
    log({
      level: 'error',
      category: 'host',
      functionName: fn.metadata.name,
      invocationId: inv.invocationId,
      message: `event grid invocation failed`,
      ...errorSummary(err),
    });
    throw err;
  }
}
