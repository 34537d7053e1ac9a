/** Reading a request's JSON body in the twin's HTTPS faces (ARM, Monitor), as their real services would. */
import type { IncomingMessage } from 'node:http';

/** The body was there but was not JSON: each face answers with its service's own 400. */
export const INVALID_JSON = Symbol('invalid json');

/** The parsed body, undefined when empty, INVALID_JSON when not JSON; throws over `maxBytes` (the face answers 413). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return INVALID_JSON;
  }
}
