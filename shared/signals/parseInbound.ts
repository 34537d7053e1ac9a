/**
 * Any inbound body, whatever path it came by: an Azure Monitor alert (common or legacy schema, told
 * by its `schemaId`) or an Event Grid delivery (Event Grid schema or CloudEvents). Used by the CLI
 * and the what-if route, which take a body without knowing its sender.
 */
import { parseAlertBody } from './alerts/index.js';
import { parseEventGridBody } from './eventGrid/index.js';
import type { FleetIndex } from './fleetIndex.js';
import type { Signal } from './types.js';

export type InboundParse =
  | { readonly kind: 'signals'; readonly schema: 'alert' | 'eventGrid' | 'cloudEvents'; readonly signals: Signal[] }
  | { readonly kind: 'validation'; readonly schema: 'eventGrid' | 'cloudEvents'; readonly validationCode: string };

/** Throws SignalParseError (naming the field) for a body that is none of them. */
export function parseInboundBody(body: unknown, options: { fleet?: FleetIndex } = {}): InboundParse {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'schemaId' in body) {
    return { kind: 'signals', schema: 'alert', signals: parseAlertBody(body, options) };
  }
  return parseEventGridBody(body, options);
}
