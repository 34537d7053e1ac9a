/** The reconcile timer's work: finish unfinished signals, then re-plan from observed state. */
import { executePlan, type ActionResult } from '../executor/execute.js';
import type { Ports } from '../executor/ports.js';
import { applyGuards } from '../planner/guards.js';
import { planReconcile, type RayListings } from '../planner/planReconcile.js';
import { planNodeReconcile } from '../planner/planNodeReconcile.js';
import type { RayJobInfo } from '../ports/rayJobs.js';
import { processSignal } from './handleSignals.js';
import { observeCapacity } from './observeCapacity.js';
import { errorMessage } from '../observability/logger.js';

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
  await observeGoneNodes(ports);
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

/**
 * Failed nodes whose node object is gone (their VM was deleted: a Spot eviction, a VM lost for good) are marked so:
 * ARM's pool count already left them out, and capacity must not take them off a second time. A node left cordoned
 * when its episode closed (a GPU fault) that is schedulable again (an operator uncordoned it) offers its GPUs again.
 * Best effort: a cluster that does not answer is asked again on the next pass.
 */
async function observeGoneNodes(ports: Ports): Promise<void> {
  const watched = (await ports.state.nodes()).filter((n) => (!n.closedAt || n.leftCordoned) && !n.goneAt);
  await Promise.all(watched.map(async (n) => {
    try {
      const info = await ports.kube.getNode(n.clusterId, n.node);
      const at = ports.clock.now().toISOString();
      const same = (cur: typeof n | undefined): cur is typeof n => !!cur && cur.openedAt === n.openedAt && !cur.goneAt;
      if (info === 'notFound') {
        await ports.state.mutateNode(n.clusterId, n.node, (cur) => same(cur) && (!cur.closedAt || cur.leftCordoned) ? { ...cur, goneAt: at } : undefined);
      } else if (n.closedAt && !info.unschedulable) {
        await ports.state.mutateNode(n.clusterId, n.node, (cur) => {
          if (!same(cur) || !cur.closedAt || !cur.leftCordoned) return undefined;
          const { leftCordoned: _, ...rest } = cur;
          return rest;
        });
      }
    } catch (e) {
      ports.log.warn(`could not tell whether ${n.node} still exists`, { error: errorMessage(e) });
    }
  }));
}
