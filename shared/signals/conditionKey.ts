/**
 * What a signal is about, so that a Fired and its Resolved (or an Unavailable and its Available) are
 * paired, and an older delivery that arrives after a newer one is recognised as stale. Pure.
 * undefined: the signal is a one-off event with nothing to pair (a rollout step, a lifecycle notice).
 */
import type { Signal } from './types.js';

export function conditionKey(signal: Signal): string | undefined {
  switch (signal.kind) {
    case 'regionOutage': return `regionOutage:${signal.trackingId}:${[...signal.regions].sort().join(',')}`;
    case 'quotaPressure': return `quotaPressure:${signal.subscriptionId ?? ''}:${signal.region}:${signal.family.toLowerCase()}`;
    case 'resourceHealth': return `resourceHealth:${signal.resourceId.toLowerCase()}`;
    case 'nodeNotReady': return `nodeNotReady:${signal.clusterId ?? signal.cluster ?? ''}:${signal.node}`;
    // Per node, not per XID: a Resolved may not carry the XID its Fired had.
    case 'gpuFault': return `gpuFault:${signal.clusterId ?? signal.cluster ?? ''}:${signal.node}`;
    case 'poolRollout': return `poolRollout:${signal.clusterId}:${signal.pool}`;
    default: return undefined;
  }
}

/** The condition's state as the signal tells it: the stage, or for health the status. */
export function conditionState(signal: Signal): string | undefined {
  switch (signal.kind) {
    case 'resourceHealth': return signal.status;
    case 'poolRollout': return signal.phase;
    case 'clusterLifecycle':
    case 'ignored': return undefined;
    default: return signal.stage;
  }
}
