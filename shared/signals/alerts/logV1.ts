/**
 * Legacy (V1) log search alerts: `monitoringService: Log Analytics` / `Application Insights`, with the
 * PascalCase alertContext (`SearchQuery`, `SearchIntervalStartTimeUtc`, `SearchIntervalEndtimeUtc` with a
 * lower-case t, `ResultCount`, `Threshold`, `Operator` "Greater Than", `AlertType`, `SearchResults`, times
 * possibly in the legacy "3/22/2019 1:36:31 PM" form). The fleet builds no signal from them (quota alerts are
 * Log Alerts V2): always one `ignored` naming the alert type and the gist of the query, never a throw for a
 * missing or odd alertContext.
 */
import type { IgnoredSignal } from '../types.js';
import { clip, field, str } from '../read.js';
import { alertTime, gist, ignored } from './common.js';
import type { AlertEnvelope } from './envelope.js';

export function parseLogAlertV1(env: AlertEnvelope): IgnoredSignal {
  const ctx = env.context;
  const alertType = str(field(ctx, 'AlertType'));
  const query = str(field(ctx, 'SearchQuery'));
  const what = `${env.familyLabel} (V1) log alert${alertType !== undefined ? ` (${clip(alertType, 40)})` : ''}`;
  const reason = `${what} is not handled${query !== undefined ? ` (query: ${gist(query)})` : ''}`;
  const eventType = env.alertRule !== undefined ? `${env.familyLabel}/${clip(env.alertRule, 200)}` : env.familyLabel;
  return ignored(env, alertTime(env), reason, eventType);
}
