/**
 * One node's failure episode: it opens with the first bad signal and stays open until the node has been
 * Ready again for `recoveryMs` (or is forgotten). Everything within one episode — a node flapping ten
 * times a minute, the same failure reported by Prometheus, Resource Health and a DCGM alert — is one
 * episode, drained once. Pure: (current, fault, now) → next.
 */
import type { NodePolicy } from '../fleet/types.js';
import type { ResizeDecision } from '../capacity/planCapacity.js';
import type { NodeCause, NodeFault } from './nodeFault.js';

export interface NodeIncident {
  readonly clusterId: string;
  readonly region: string;
  readonly node: string;
  readonly pool?: string;
  /** The most serious cause seen in this episode. */
  readonly cause: NodeCause;
  /** Event time of the first bad signal: the episode's identity (drain keys derive from it). */
  readonly openedAt: string;
  /** Event time of the newest signal applied: older deliveries are stale. */
  readonly lastAt: string;
  /** What the newest signal said. */
  readonly bad: boolean;
  /** Event time since which the node has been fine again (absent while it is bad). */
  readonly goodSince?: string;
  /** Bad transitions in this episode after the first (a flapping node). */
  readonly flaps: number;
  /** When the VM will be taken away, if Azure said (earliest seen). */
  readonly deadline?: string;
  /** The node will not come back soon: its pool gets a replacement. */
  readonly replace: boolean;
  readonly detail: string;
  /** Last few signal ids applied (for the audit trail). */
  readonly signals: readonly string[];
  /**
   * Set when reconcile found the node object gone (its VM was deleted: a Spot eviction, a VM lost for good): ARM's
   * pool count no longer includes it, so it no longer takes a node off the pool's capacity (see clusterGpus).
   */
  readonly goneAt?: string;
  /** Set once the drain finished: cordoned, jobs moved, workers removed. */
  readonly drainedAt?: string;
  readonly drainOutcome?: string;
  /**
   * Set once a replacement node was asked for (or found impossible, with why). `pending` is written before the
   * PUT and removed once its outcome is known: a replacement whose invocation died in between (or whose PUT got
   * no clear answer) is finished from it — the same decision, never a new one from the grown pool.
   */
  readonly replacement?: { readonly at: string; readonly outcome: string; readonly pending?: { readonly key: string; readonly decision: ResizeDecision } };
  /** Set when the episode is over; a later bad signal opens a new one. */
  readonly closedAt?: string;
  readonly closedWhy?: string;
  /**
   * Closed with the node still cordoned by its drain (a GPU fault, which a person clears, or an episode forgotten
   * while failing): it still offers nothing (see lostNodes) until reconcile sees it schedulable again.
   */
  readonly leftCordoned?: true;
  /** A closed record that only remembers a fine report (no failure was seen): see applyNodeFault. */
  readonly fineOnly?: true;
}

export const nodeKey = (clusterId: string, node: string): string => `${clusterId.toLowerCase()}|${node}`;

/** How serious a cause is: a later signal never downgrades the episode. */
const SEVERITY: Readonly<Record<NodeCause, number>> = { vmDegraded: 1, notReady: 2, gpuFault: 3, vmUnavailable: 4, preempted: 5 };
/** Causes after which the node will not come back on its own soon. */
const GONE: ReadonlySet<NodeCause> = new Set(['gpuFault', 'vmUnavailable', 'preempted']);
const SIGNALS_KEPT = 5;

export type NodeOutcome =
  | { readonly changed: true; readonly next: NodeIncident; readonly opened: boolean; readonly why: string }
  | { readonly changed: false; readonly why: string };

export function isOpen(incident: NodeIncident | undefined): incident is NodeIncident {
  return incident !== undefined && incident.closedAt === undefined;
}

export function applyNodeFault(current: NodeIncident | undefined, fault: NodeFault): NodeOutcome {
  const open = isOpen(current) ? current : undefined;
  if (open && open.signals.includes(fault.signalId)) return { changed: false, why: `duplicate: ${fault.signalId} already applied` };
  if (open && Date.parse(open.lastAt) > Date.parse(fault.at)) {
    // Older than the newest signal, so it does not say whether the node is bad now. But staleness is per
    // condition (handleSignals drops an older event of the same alert or resource): an older bad report from
    // another source (a DCGM XID delivered after a newer NotReady) still says what failed. Cause, replacement
    // need and deadline only ever grow, so they take it whatever the order; bad, lastAt and goodSince do not.
    if (fault.bad) {
      const cause = SEVERITY[fault.cause] > SEVERITY[open.cause] ? fault.cause : open.cause;
      const replace = open.replace || GONE.has(fault.cause);
      const deadline = [open.deadline, fault.deadline].filter((d): d is string => !!d).sort()[0];
      if (cause !== open.cause || replace !== open.replace || deadline !== open.deadline || (!open.pool && fault.pool)) {
        const next: NodeIncident = {
          ...open, cause, replace, ...(deadline ? { deadline } : {}), ...(open.pool || fault.pool ? { pool: open.pool ?? fault.pool } : {}),
          signals: [...open.signals, fault.signalId].slice(-SIGNALS_KEPT),
        };
        return { changed: true, next, opened: false, why: `${fault.node}: ${fault.detail} (late, from ${fault.at}): same episode, now ${cause}${replace ? ', to be replaced' : ''}` };
      }
    }
    return { changed: false, why: `stale: ${fault.node} already seen ${open.bad ? 'bad' : 'fine'} at ${open.lastAt}` };
  }
  if (!open) {
    if (!fault.bad) {
      // Remembered even with no episode open (as a closed record): a failure report of the node older than this,
      // handled at the same moment by another invocation (a flapping node's Fired beside its Resolved), is then
      // stale below, instead of opening an episode that no later signal would ever close.
      if (current && Date.parse(current.lastAt) >= Date.parse(fault.at)) return { changed: false, why: `${fault.node} is fine and has no open episode: nothing to do` };
      const next: NodeIncident = current
        ? { ...current, lastAt: fault.at, signals: [...current.signals, fault.signalId].slice(-SIGNALS_KEPT) }
        : {
            clusterId: fault.clusterId, region: fault.region, node: fault.node, ...(fault.pool ? { pool: fault.pool } : {}), cause: fault.cause,
            openedAt: fault.at, lastAt: fault.at, bad: false, goodSince: fault.at, flaps: 0, replace: false, detail: fault.detail,
            signals: [fault.signalId], closedAt: fault.at, closedWhy: 'fine, with no failure episode open', fineOnly: true,
          };
      return { changed: true, next, opened: false, why: `${fault.node} is fine and has no open episode: nothing to do (remembered: an older failure report of it is stale)` };
    }
    // A closed episode newer than this signal means this is an old delivery of the last episode.
    // …unless it is a GPU fault that record does not know of: a hardware XID is not undone by a later fine report
    // (its own alert resolving, the node Ready), so it opens an episode (drained, kept cordoned, replaced)
    // whatever the order of delivery, as it would have in order.
    const unknownGpuFault = fault.cause === 'gpuFault' && (current?.fineOnly === true || current?.cause !== 'gpuFault');
    if (current?.closedAt && Date.parse(current.lastAt) >= Date.parse(fault.at) && !unknownGpuFault) return { changed: false, why: `stale: ${fault.node}'s episode from ${current.openedAt} already closed` };
    const next: NodeIncident = {
      clusterId: fault.clusterId, region: fault.region, node: fault.node, ...(fault.pool ? { pool: fault.pool } : {}),
      cause: fault.cause, openedAt: fault.at, lastAt: fault.at, bad: true, flaps: 0,
      ...(fault.deadline ? { deadline: fault.deadline } : {}), replace: GONE.has(fault.cause), detail: fault.detail, signals: [fault.signalId],
    };
    return { changed: true, next, opened: true, why: `${fault.node}: ${fault.detail}: failure episode opened` };
  }
  const signals = [...open.signals, fault.signalId].slice(-SIGNALS_KEPT);
  if (!fault.bad) {
    const next: NodeIncident = { ...open, lastAt: fault.at, bad: false, goodSince: open.bad ? fault.at : (open.goodSince ?? fault.at), signals, detail: fault.detail };
    return { changed: true, next, opened: false, why: `${fault.node} fine again (${fault.detail}); the episode closes after it stays fine` };
  }
  const cause = SEVERITY[fault.cause] > SEVERITY[open.cause] ? fault.cause : open.cause;
  const deadline = [open.deadline, fault.deadline].filter((d): d is string => !!d).sort()[0];
  const { goodSince: _, ...rest } = open;
  const next: NodeIncident = {
    ...rest, cause, lastAt: fault.at, bad: true, flaps: open.flaps + (open.bad ? 0 : 1), ...(deadline ? { deadline } : {}),
    replace: open.replace || GONE.has(fault.cause), ...(open.pool || fault.pool ? { pool: open.pool ?? fault.pool } : {}),
    detail: fault.detail, signals,
  };
  return { changed: true, next, opened: false, why: `${fault.node}: ${fault.detail}: same episode (opened ${open.openedAt}${next.flaps ? `, ${next.flaps} flap${next.flaps === 1 ? '' : 's'}` : ''}); not drained again` };
}

/** Whether reconcile should close the episode now, and why. Pure. */
export function closeReason(incident: NodeIncident, policy: NodePolicy, now: Date): string | undefined {
  if (!isOpen(incident)) return undefined;
  const t = now.getTime();
  if (!incident.bad && incident.goodSince && t - Date.parse(incident.goodSince) >= policy.recoveryMs) {
    return `${incident.node} fine for ${Math.round(policy.recoveryMs / 1000)} s since ${incident.goodSince}`;
  }
  if (t - Date.parse(incident.lastAt) >= policy.forgetAfterMs) {
    return `no news of ${incident.node} for ${Math.round(policy.forgetAfterMs / 60_000)} min`;
  }
  return undefined;
}

/** A drain need not spend the disruption budget when the work on the node is already lost or about to be. */
export const drainInterruptsRunningWork = (cause: NodeCause): boolean => cause === 'vmDegraded';

/**
 * The episode's node still has to be drained: it is failing, or it had a GPU fault (never trusted again because an
 * alert stopped firing: a fault whose alert resolved before the drain could cordon the node is drained all the same).
 */
export function needsDrain(incident: NodeIncident): boolean {
  return isOpen(incident) && !incident.drainedAt && (incident.bad || incident.cause === 'gpuFault');
}

/** A NotReady node that stays NotReady this long will not come back soon. */
export function needsReplacement(incident: NodeIncident, policy: NodePolicy, now: Date): boolean {
  if (!isOpen(incident) || incident.replacement) return false;
  // A GPU fault is never uncordoned automatically (see planNodeReconcile): its alert resolving does not give the
  // node back, so it still needs its replacement. Other causes that turned fine again need none.
  if (incident.replace && (incident.bad || incident.cause === 'gpuFault')) return true;
  if (!incident.bad) return false;
  return incident.cause === 'notReady' && now.getTime() - Date.parse(incident.openedAt) >= policy.replaceNotReadyAfterMs;
}
