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
  if (known && Date.parse(known.at) > Date.parse(signal.observedAt)) {
    return { changed: false, why: `stale: incident ${signal.trackingId} already seen at ${known.at}` };
  }
  if (known && known.stage === signal.stage && known.signalId === signal.id) {
    return { changed: false, why: `duplicate: ${signal.id} already applied` };
  }
  const incident: IncidentState = { stage: signal.stage, at: signal.observedAt, signalId: signal.id };
  const incidents = { ...current.incidents, [signal.trackingId]: incident };
  const active = Object.entries(incidents).filter(([, i]) => i.stage === 'active').map(([id]) => id);
  const at = now.toISOString();
  if (active.length > 0) {
    const reason = `Service Health incident ${active.join(', ')} active`;
    if (current.state === 'impaired') return { changed: true, next: { ...current, incidents, reason } };
    return { changed: true, next: { ...current, state: 'impaired', since: at, reason, incidents } };
  }
  if (current.state === 'impaired') {
    return { changed: true, next: { ...current, state: 'recovering', since: at, reason: `incident ${signal.trackingId} resolved; holding down`, incidents } };
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
