/**
 * Function keys. A request to an `authLevel: 'function' | 'admin'` route, a host admin route or a runtime webhook
 * carries the key in the `x-functions-key` header or the `code` query parameter, as on Azure. The local host has one
 * key for every level. Comparison is constant-time (both sides hashed first, so the length does not leak either).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function keysEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export function presentedKey(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader ?? query.get('code') ?? undefined;
}

export function isAuthorized(headers: IncomingHttpHeaders, query: URLSearchParams, functionKey: string): boolean {
  const key = presentedKey(headers, query);
  // Always do the comparison, even with no key, so timing does not tell "missing" from "wrong".
  return keysEqual(key ?? '', functionKey) && key !== undefined;
}
