/**
 * A small Functions app for the local host's tests: one function per trigger kind the project uses.
 *
 * - `things`   — HTTP GET+POST `things/{id?}`, authLevel function; echoes what it received. `?mode=` switches the
 *                response: `throw` (handler throws), `empty` (returns nothing), `text`, `buffer`, `stream`, `cookie`,
 *                `httpResponse` (returns an HttpResponse instance), `status` (status from `?status=`).
 * - `echo`     — HTTP OPTIONS+POST `hooks/echo`, anonymous; POST echoes the body text.
 * - `widgetById` — HTTP GET `widgets/{id:int}` (a constrained route).
 * - `onPlatformEvent` — Event Grid trigger; throws when the event's `data.fail` is true.
 * - `onJob`    — Service Bus queue trigger on `%FIXTURE_QUEUE%` (default `fixture-jobs`); throws when the body has
 *                `fail: true`; waits on the recorder's job gate if one is set.
 * - `sweep`    — timer `0 *\/5 * * * *`; waits on the recorder's gate if one is set.
 */
import { Readable } from 'node:stream';
import azureFunctions, { app, type HttpRequest, type HttpResponse, type HttpResponseInit, type InvocationContext, type Timer } from '@azure/functions';

// Node's ESM loader cannot see the library's classes as named exports (CJS bundle): take them from the default export.
const { HttpResponse: HttpResponseClass } = azureFunctions;
import { recorder } from './recorder.js';

process.env.FIXTURE_QUEUE ??= 'fixture-jobs';

function record(context: InvocationContext, input: unknown): void {
  recorder().calls.push({
    function: context.functionName,
    input,
    triggerMetadata: context.triggerMetadata,
    invocationId: context.invocationId,
  });
}

app.http('things', {
  methods: ['GET', 'POST'],
  authLevel: 'function',
  route: 'things/{id?}',
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit | HttpResponse> => {
    const mode = request.query.get('mode');
    const bodyText = await request.text();
    record(context, { method: request.method, params: request.params, mode });
    context.log('things called', request.method, request.params.id ?? '(none)');
    switch (mode) {
      case 'throw':
        throw new Error('secret internal detail: connection string xyz');
      case 'empty':
        return undefined as unknown as HttpResponseInit; // the host answers 204
      case 'text':
        return { body: 'plain text' };
      case 'buffer':
        return { status: 202, body: Buffer.from([1, 2, 3]), headers: { 'content-type': 'application/octet-stream' } };
      case 'stream':
        return { body: Readable.from([Buffer.from('chunk-1;'), Buffer.from('chunk-2')]) };
      case 'cookie':
        return {
          jsonBody: { ok: true },
          cookies: [{ name: 'session', value: 'abc', path: '/', httpOnly: true, sameSite: 'Strict', maxAge: 60 }],
        };
      case 'httpResponse':
        return new HttpResponseClass({ status: 203, jsonBody: { via: 'HttpResponse' }, headers: { 'x-kind': 'instance' } });
      case 'status':
        return { status: Number(request.query.get('status')) };
      case 'notAnObject':
        return 'just a string' as unknown as HttpResponseInit;
      default:
        return {
          status: request.method === 'POST' ? 201 : 200,
          headers: { 'x-fixture': 'things', 'cache-control': 'no-store' },
          jsonBody: {
            method: request.method,
            id: request.params.id ?? null,
            query: Object.fromEntries(request.query.entries()),
            body: bodyText,
            contentType: request.headers.get('content-type'),
            url: request.url,
            invocationId: context.invocationId,
            functionName: context.functionName,
            triggerType: context.options.trigger.type,
          },
        };
    }
  },
});

app.http('echo', {
  methods: ['OPTIONS', 'POST'],
  authLevel: 'anonymous',
  route: 'hooks/echo',
  handler: async (request: HttpRequest): Promise<HttpResponseInit> => {
    if (request.method === 'OPTIONS') {
      return { status: 200, headers: { 'webhook-allowed-origin': request.headers.get('webhook-request-origin') ?? '*' } };
    }
    return { body: await request.text(), headers: { 'content-type': 'text/plain; charset=utf-8' } };
  },
});

app.get('widgetById', {
  route: 'widgets/{id:int}',
  handler: async (request: HttpRequest) => ({ jsonBody: { id: request.params.id } }),
});

app.eventGrid('onPlatformEvent', {
  handler: async (event, context) => {
    record(context, event);
    if ((event.data as { fail?: boolean } | undefined)?.fail) throw new Error('event handler failed on purpose');
  },
});

app.serviceBusQueue('onJob', {
  connection: 'ServiceBusConnection',
  queueName: '%FIXTURE_QUEUE%',
  handler: async (message: unknown, context: InvocationContext) => {
    record(context, message);
    const gate = recorder().jobGate;
    if (gate) await gate;
    if (message && typeof message === 'object' && (message as { fail?: boolean }).fail) {
      throw new Error('job handler failed on purpose');
    }
  },
});

app.timer('sweep', {
  schedule: '0 */5 * * * *',
  handler: async (timer: Timer, context: InvocationContext) => {
    const r = recorder();
    r.timerRunning++;
    r.timerMaxConcurrent = Math.max(r.timerMaxConcurrent, r.timerRunning);
    try {
      record(context, timer);
      if (r.timerGate) await r.timerGate;
    } finally {
      r.timerRunning--;
    }
  },
});
