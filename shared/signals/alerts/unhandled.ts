/**
 * Alert families with no parser of their own (Smart Detector, a monitoringService Azure adds later, a legacy
 * activity-log event whose eventSource we cannot tell …) become one `ignored` signal saying what they were.
 * The families we know each have a module registered in the dispatcher's family table (index.ts).
 */
import type { IgnoredSignal } from '../types.js';
import { clip, field, str } from '../read.js';
import { alertTime } from './common.js';
import type { AlertEnvelope } from './envelope.js';

export function parseUnhandled(env: AlertEnvelope): IgnoredSignal {
  const what = env.source === 'commonAlert' ? `monitoringService ${env.familyLabel}` : `activity-log eventSource ${env.familyLabel}`;
  const detail = env.source === 'commonAlert' ? env.alertRule : str(field(env.context, 'operationName'));
  return {
    kind: 'ignored',
    id: env.key,
    source: env.source,
    observedAt: alertTime(env),
    reason: `${what} is not handled yet`,
    eventType: detail !== undefined ? `${env.familyLabel}/${clip(detail, 200)}` : env.familyLabel,
  };
}
