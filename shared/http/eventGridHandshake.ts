/**
 * The two Event Grid handshakes a webhook must answer (research/signals.md §1.3–1.4). Pure.
 * The validation URL in a validation event is never fetched: we answer synchronously with the code.
 */

/** Event Grid's origins per cloud; anything else is answered with the public cloud's. */
const EVENT_GRID_ORIGINS = new Set(['eventgrid.azure.net', 'eventgrid.azure.us', 'eventgrid.azure.cn', 'eventgrid.azure.eaglex.ic.gov', 'eventgrid.azure.microsoft.scloud']);

/** CloudEvents abuse protection (HTTP OPTIONS): which origin we allow to deliver. */
export function abuseProtectionHeaders(requestOrigin: string | null): Record<string, string> {
  const origin = requestOrigin?.trim().toLowerCase();
  return {
    'WebHook-Allowed-Origin': origin && EVENT_GRID_ORIGINS.has(origin) ? origin : 'eventgrid.azure.net',
    'WebHook-Allowed-Rate': '*',
    Allow: 'POST, OPTIONS',
  };
}

/** Event Grid's delivery kinds, from the `aeg-event-type` header. */
export type EventGridDelivery = 'notification' | 'validation' | 'deletion' | 'unknown';

export function deliveryKind(aegEventType: string | null): EventGridDelivery {
  switch (aegEventType?.trim().toLowerCase()) {
    case 'subscriptionvalidation': return 'validation';
    case 'notification': return 'notification';
    case 'subscriptiondeletion':
    case 'unsubscribe': return 'deletion';
    // CloudEvents deliveries carry no aeg-event-type: the body decides.
    case undefined:
    case '': return 'notification';
    default: return 'unknown';
  }
}
