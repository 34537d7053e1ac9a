/** The planner's entry for one signal: pure, (snapshot, signal, now) → Plan. */
import type { Signal } from '../signals/types.js';
import type { Plan } from './plan.js';
import { planRegionOutage } from './planRegionOutage.js';
import type { FleetSnapshot } from './snapshot.js';

export function planForSignal(snapshot: FleetSnapshot, signal: Signal, now: Date): Plan {
  switch (signal.kind) {
    case 'regionOutage':
      return planRegionOutage(snapshot, signal, now);
    case 'ignored':
      return { trigger: [signal.id], actions: [], reasons: [`ignored: ${signal.reason}`] };
    default:
      // Recorded and visible, but the planner does not act on this kind yet (later issues).
      return { trigger: [signal.id], actions: [], reasons: [`${signal.kind}: recorded; no automatic action for this kind yet`] };
  }
}
