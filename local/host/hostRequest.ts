/** The request shape the host's endpoints work on (already routed; body read only where an endpoint needs it). */
import type { IncomingHttpHeaders } from 'node:http';
import type { WireResponse } from './httpResponse.js';

export interface HostRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** Reads the whole body, or resolves `undefined` after answering 413 is due (body over the limit). */
  readBody(): Promise<Buffer | undefined>;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

export function emptyResponse(status: number, headers: Record<string, string | string[]> = {}): WireResponse {
  return { status, headers, body: Buffer.alloc(0) };
}

export function errorResponse(status: number, error: string, headers: Record<string, string> = {}): WireResponse {
  return jsonResponse(status, { error }, headers);
}

/** Header value as one string (first of a repeated header). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The library's `toCamelCaseValue`: lower-cases the first letter of every key, recursively. */
export function toCamelCaseValue(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  if (Array.isArray(data)) return data.map(toCamelCaseValue);
  if (Buffer.isBuffer(data)) return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[k.charAt(0).toLowerCase() + k.slice(1)] = toCamelCaseValue(v);
  return out;
}
