/**
 * Region health from Service Health incidents. Pure. The full state machine with quorum, suspect and
 * self-freeze arrives with the safety layer; this is the part a Service Health incident drives:
 * an active incident makes a region impaired, the last incident resolving makes it recovering, and a
 * recovering region is healthy again after the hold-down.
 */
import type { RegionOutageSignal } from '../signals/types.js';
import type { IncidentState, Policy, RegionHealth, RegionName } from './types.js';

/** `since` of a region that has never changed state. */
export const NO_TRANSITION = '1970-01-01T00:00:00.000Z';

export const healthyRegion = (region: RegionName, since: string): RegionHealth => ({
  region, state: 'healthy', since, reason: 'no incident', incidents: {},
});

export type IncidentOutcome =
  | { readonly changed: false; readonly why: string }
  | { readonly changed: true; readonly next: RegionHealth };

/** Applies one Service Health signal to one region. Out-of-order deliveries resolve by event time. */
export function applyIncident(current: RegionHealth, signal: RegionOutageSignal, now: Date): IncidentOutcome {
  const known = current.incidents[signal.trackingId];
  // Newest event time wins. On a tie (a Fired and its Resolved often carry the same event time),
  // resolved wins: otherwise a late retry of the Fired would impair the region for good.
  const knownAt = known ? Date.parse(known.at) : -Infinity;
  const at = Date.parse(signal.observedAt);
  if (known && (knownAt > at || (knownAt === at && known.stage === 'resolved' && signal.stage === 'active'))) {
    return { changed: false, why: `stale: incident ${signal.trackingId} already seen ${known.stage} at ${known.at}` };
  }
  if (known && known.stage === signal.stage && known.signalId === signal.id) {
    return { changed: false, why: `duplicate: ${signal.id} already applied` };
  }
  const incident: IncidentState = { stage: signal.stage, at: signal.observedAt, signalId: signal.id };
  const incidents = pruneIncidents({ ...current.incidents, [signal.trackingId]: incident });
  const active = Object.entries(incidents).filter(([, i]) => i.stage === 'active').map(([id]) => id);
  const nowIso = now.toISOString();
  if (active.length > 0) {
    const reason = `Service Health incident ${active.join(', ')} active`;
    if (current.state === 'impaired') return { changed: true, next: { ...current, incidents, reason } };
    return { changed: true, next: { ...current, state: 'impaired', since: nowIso, reason, incidents } };
  }
  if (current.state === 'impaired') {
    return { changed: true, next: { ...current, state: 'recovering', since: nowIso, reason: `incident ${signal.trackingId} resolved; holding down`, incidents } };
  }
  return { changed: true, next: { ...current, incidents } };
}

/** A recovering region that has held down long enough is healthy again. */
export function afterHoldDown(current: RegionHealth, policy: Policy, now: Date): RegionHealth | undefined {
  if (current.state !== 'recovering') return undefined;
  if (now.getTime() - Date.parse(current.since) < policy.recoveryHoldDownMs) return undefined;
  return { ...current, state: 'healthy', since: now.toISOString(), reason: `held down ${Math.round(policy.recoveryHoldDownMs / 1000)} s with no active incident` };
}

/** Only healthy regions take new work. */
export const acceptsWork = (health: RegionHealth | undefined): boolean => !health || health.state === 'healthy';

/** Resolved incidents are kept only so late deliveries are recognised; keep the newest few. */
const RESOLVED_INCIDENTS_KEPT = 20;
function pruneIncidents(incidents: Record<string, IncidentState>): Record<string, IncidentState> {
  const resolved = Object.entries(incidents).filter(([, i]) => i.stage === 'resolved');
  if (resolved.length <= RESOLVED_INCIDENTS_KEPT) return incidents;
  const drop = new Set(resolved.sort(([, a], [, b]) => a.at.localeCompare(b.at)).slice(0, resolved.length - RESOLVED_INCIDENTS_KEPT).map(([id]) => id));
  return Object.fromEntries(Object.entries(incidents).filter(([id]) => !drop.has(id)));
}
