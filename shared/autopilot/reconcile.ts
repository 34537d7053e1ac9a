/** The reconcile timer's work: finish unfinished signals, then re-plan from observed state. */
import { executePlan, type ActionResult } from '../executor/execute.js';
import type { Ports } from '../executor/ports.js';
import { applyGuards } from '../planner/guards.js';
import { planReconcile, type RayListings } from '../planner/planReconcile.js';
import { planNodeReconcile } from '../planner/planNodeReconcile.js';
import type { RayJobInfo } from '../ports/rayJobs.js';
import { processSignal } from './handleSignals.js';
import { observeCapacity } from './observeCapacity.js';

export interface ReconcileOutcome {
  readonly signalsRetried: number;
  readonly unreachableClusters: readonly string[];
  readonly actions: readonly ActionResult[];
}

export async function reconcile(ports: Ports): Promise<ReconcileOutcome> {
  const unfinished = (await ports.state.signals()).filter((s) => s.status !== 'processed')
    .sort((a, b) => a.signal.observedAt.localeCompare(b.signal.observedAt));
  for (const entry of unfinished) {
    await processSignal(entry.signal, { ...ports, log: ports.log.with({ correlationId: entry.signal.id }) });
  }

  const observed = await observeCapacity(ports);
  if (observed.problems.length) ports.log.warn('could not observe some capacity', { problems: observed.problems });
  const now = ports.clock.now();
  const snapshot = await ports.state.snapshot(now);
  const listings = new Map<string, readonly RayJobInfo[]>();
  const unreachable: string[] = [];
  await Promise.all(snapshot.clusters.map(async (c) => {
    const list = await ports.ray.list(c.rayEndpoint);
    if (list === 'unreachable') unreachable.push(c.name);
    else listings.set(c.id, list);
  }));
  const jobsPlan = planReconcile(snapshot, listings as RayListings, now);
  const nodesPlan = planNodeReconcile(snapshot, now);
  const plan = applyGuards({ ...jobsPlan, actions: [...nodesPlan.actions, ...jobsPlan.actions], reasons: [...nodesPlan.reasons, ...jobsPlan.reasons] }, snapshot, now);
  const log = ports.log.with({ correlationId: 'reconcile' });
  // Resizes (one per pool) run side by side with the rest: each follows an ARM operation that can take
  // minutes and must not hold up moves and drains.
  const actions = await executePlan(plan, { ...ports, log });
  return { signalsRetried: unfinished.length, unreachableClusters: unreachable.sort(), actions };
}
