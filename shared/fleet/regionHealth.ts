/**
 * The region health state machine (DESIGN §5), pure: healthy → suspect → impaired → recovering → healthy.
 * - A Service Health incident is authoritative: active → impaired.
 * - Weaker evidence (a managed cluster's Resource Health going unavailable) counts by source: one bad
 *   source makes the region suspect (no new placements), two independent ones impair it (quorum).
 * - When nothing bad is left, an impaired region is recovering, and healthy again only after the
 *   hold-down; a suspect one is healthy at once (it never lost its work).
 * Out-of-order deliveries resolve by event time, per incident and per source.
 */
import type { RegionOutageSignal, ResourceHealthSignal } from '../signals/types.js';
import type { EvidenceState, IncidentState, Policy, RegionHealth, RegionName } from './types.js';

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
  return { changed: true, next: derive(current, incidents, current.evidence ?? {}, now) };
}

/**
 * Applies a managed cluster's Resource Health to its region. `source` is the cluster: two nodes of one
 * cluster are not independent, two clusters are.
 */
export function applyEvidence(current: RegionHealth, signal: ResourceHealthSignal, source: string, now: Date): IncidentOutcome {
  const evidence = current.evidence ?? {};
  const known = evidence[source];
  const at = Date.parse(signal.observedAt);
  const bad = signal.status === 'unavailable';
  if (known && (Date.parse(known.at) > at || (Date.parse(known.at) === at && !known.bad && bad))) {
    return { changed: false, why: `stale: ${source} already seen ${known.bad ? 'unavailable' : 'available'} at ${known.at}` };
  }
  if (known && known.signalId === signal.id) return { changed: false, why: `duplicate: ${signal.id} already applied` };
  if (!known && !bad) return { changed: false, why: `${source} is ${signal.status}: nothing to clear` };
  const next: Record<string, EvidenceState> = { ...evidence, [source]: { bad, at: signal.observedAt, signalId: signal.id, detail: `${source.split('/').pop()} ${signal.status}${signal.reason ? ` (${signal.reason})` : ''}` } };
  return { changed: true, next: derive(current, current.incidents, next, now) };
}

/** The state that incidents and evidence imply, keeping `since` when the state does not change. */
function derive(current: RegionHealth, incidents: Readonly<Record<string, IncidentState>>, evidence: Readonly<Record<string, EvidenceState>>, now: Date): RegionHealth {
  const active = Object.entries(incidents).filter(([, i]) => i.stage === 'active').map(([id]) => id);
  const bad = Object.values(evidence).filter((e) => e.bad);
  const base = { ...current, incidents, ...(Object.keys(evidence).length ? { evidence } : {}) };
  const to = (state: RegionHealth['state'], reason: string): RegionHealth =>
    state === current.state ? { ...base, reason } : { ...base, state, since: now.toISOString(), reason };
  if (active.length > 0) return to('impaired', `Service Health incident ${active.join(', ')} active`);
  if (bad.length >= 2) return to('impaired', `${bad.length} independent signals: ${bad.map((e) => e.detail).join('; ')}`);
  if (bad.length === 1) {
    // An impaired region with one source still bad stays impaired: it does not get work back half-way.
    if (current.state === 'impaired') return { ...base, reason: `still ${bad[0]!.detail}` };
    // A recovering region keeps its hold-down: a blip must not let it skip straight back to healthy.
    if (current.state === 'recovering') return { ...base, reason: `holding down; ${bad[0]!.detail}` };
    return to('suspect', `one signal: ${bad[0]!.detail}; no new placements until it clears or a second confirms`);
  }
  if (current.state === 'impaired') return to('recovering', 'nothing bad left; holding down');
  if (current.state === 'suspect') return to('healthy', 'the suspect signal cleared');
  return { ...base, reason: current.reason };
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
