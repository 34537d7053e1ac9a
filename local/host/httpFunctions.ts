/**
 * Invokes an HTTP-triggered function for a routed request: builds `new HttpRequest({ method, url, headers, query,
 * params, body: { bytes } })` as the worker does from the host's RPC message (repeated headers and query keys joined
 * with `,`/`, ` like the host's StringValues), runs the handler, and converts its result. A handler that throws, or
 * returns something that is not a response, is a failed invocation: 500 with no internals (they go to the log).
 */
import type { IncomingHttpHeaders } from 'node:http';
import azureFunctions from '@azure/functions';
import type { RegisteredFunction } from './functionsCore.js';
import { errorResponse } from './hostRequest.js';
import { toWireResponse, type WireResponse } from './httpResponse.js';
import { createInvocation, errorSummary, runHandler, type LogSink } from './invocation.js';

export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function flattenQuery(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of new Set(query.keys())) out[key] = query.getAll(key).join(',');
  return out;
}

export interface HttpInvocationInput {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  params: Record<string, string>;
  body: Buffer;
}

export async function invokeHttpFunction(fn: RegisteredFunction, input: HttpInvocationInput, log: LogSink): Promise<WireResponse> {
  const inv = createInvocation(fn, log);
  try {
    const request = new azureFunctions.HttpRequest({
      method: input.method,
      url: input.url.toString(),
      headers: flattenHeaders(input.headers),
      query: flattenQuery(input.url.searchParams),
      params: input.params,
      body: { bytes: input.body },
    });
    const result = await runHandler(fn, request, inv, log);
    return await toWireResponse(result);
  } catch (err) {
    log({
      level: 'error',
      category: 'host',
      functionName: fn.metadata.name,
      invocationId: inv.invocationId,
      message: 'http invocation failed',
      ...errorSummary(err),
    });
    return errorResponse(500, 'internal server error', { 'x-invocation-id': inv.invocationId });
  }
}
