/**
 * Turns an HTTP handler's result into what the host writes back, the way the library's `toRpcHttp` and the host do
 * it without HTTP streaming: `null`/`undefined` → 204 with no body (Functions 2.x+ default); an `HttpResponseInit` is
 * wrapped in `HttpResponse` (so `jsonBody` is `JSON.stringify`-ed with `content-type: application/json` unless one is
 * set, `status` defaults to 200, and a string body gets `text/plain;charset=UTF-8`); the whole body is buffered;
 * cookies become `Set-Cookie` headers. Anything that is not an object is a failed invocation (the library throws).
 */
import azureFunctions from '@azure/functions';
import type { Cookie, HttpResponseInit } from '@azure/functions';

export interface WireResponse {
  status: number;
  /** Header name → value(s); `set-cookie` may hold several. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) {
    const d = typeof cookie.expires === 'number' ? new Date(cookie.expires) : cookie.expires;
    parts.push(`Expires=${d.toUTCString()}`);
  }
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${Math.trunc(cookie.maxAge)}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

export async function toWireResponse(result: unknown): Promise<WireResponse> {
  if (result === null || result === undefined) {
    return { status: 204, headers: {}, body: Buffer.alloc(0) };
  }
  if (typeof result !== 'object') {
    throw new TypeError(
      'The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".',
    );
  }
  // Named imports of the library's classes fail under Node's ESM loader (its CJS bundle hides them from the
  // export lexer), so they are taken from the default export.
  const { HttpResponse } = azureFunctions;
  const response = result instanceof HttpResponse ? result : new HttpResponse(result as HttpResponseInit);
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of response.headers.entries()) {
    if (key === 'set-cookie') continue;
    headers[key] = value;
  }
  const setCookies = [
    ...response.headers.getSetCookie(),
    ...response.cookies.map(serializeCookie),
  ];
  if (setCookies.length > 0) headers['set-cookie'] = setCookies;
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers, body };
}
