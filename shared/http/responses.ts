import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/** An error a caller can act on: the status and the field at fault. */
export const problem = (status: number, error: string, field?: string, extra: Record<string, unknown> = {}): HttpResponseInit => ({
  status, jsonBody: { error, ...(field ? { field } : {}), ...extra },
});

/** Reads a JSON body with a size limit; returns a 400/413 response instead of throwing. */
export async function readJson(req: HttpRequest, maxBytes: number): Promise<{ ok: true; body: unknown } | { ok: false; response: HttpResponseInit }> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > maxBytes) return { ok: false, response: problem(413, `body is larger than ${maxBytes} bytes`, 'body') };
  const text = await req.text();
  if (Buffer.byteLength(text) > maxBytes) return { ok: false, response: problem(413, `body is larger than ${maxBytes} bytes`, 'body') };
  if (!text.trim()) return { ok: false, response: problem(400, 'body is empty; expected JSON', 'body') };
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch (e) {
    return { ok: false, response: problem(400, `body is not valid JSON: ${(e as Error).message}`, 'body') };
  }
}
