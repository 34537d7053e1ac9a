/**
 * Signal in → recorded once → planned → executed. A duplicate delivery is acknowledged and changes
 * nothing; a signal recorded but never finished (a crash) is processed again.
 */
import { executePlan, type ActionResult } from '../executor/execute.js';
import type { Ports } from '../executor/ports.js';
import { errorMessage } from '../observability/logger.js';
import { applyGuards } from '../planner/guards.js';
import { planForSignal } from '../planner/planForSignal.js';
import { conditionKey, conditionState } from '../signals/conditionKey.js';
import type { Signal } from '../signals/types.js';

export interface SignalOutcome {
  readonly id: string;
  readonly kind: Signal['kind'];
  readonly status: 'processed' | 'duplicate' | 'stale' | 'recordedNotProcessed';
  readonly reasons: readonly string[];
  readonly actions: readonly ActionResult[];
}

/**
 * Records every signal first (so acknowledging is safe), then plans and acts on each.
 * Throws only when recording fails: then nothing is acknowledged and the sender retries.
 */
export async function handleSignals(signals: readonly Signal[], ports: Ports): Promise<SignalOutcome[]> {
  const receivedAt = ports.clock.now();
  const recorded = await Promise.all(signals.map((s) => ports.state.recordSignal(s, receivedAt)));
  const outcomes: SignalOutcome[] = [];
  for (const [i, signal] of signals.entries()) {
    const log = ports.log.with({ correlationId: signal.id, signalKind: signal.kind });
    if (recorded[i] === 'duplicate') {
      log.info('duplicate signal: already processed, nothing to do');
      outcomes.push({ id: signal.id, kind: signal.kind, status: 'duplicate', reasons: ['already processed'], actions: [] });
      continue;
    }
    outcomes.push(await processSignal(signal, { ...ports, log }));
  }
  return outcomes;
}

/** An older event for a condition already seen in a newer state is recorded but not acted on. */
async function isStale(signal: Signal, ports: Ports): Promise<boolean> {
  const key = conditionKey(signal);
  const state = conditionState(signal);
  if (!key || !state) return false;
  const verdict = await ports.state.observeCondition(key, state, signal.id, signal.observedAt);
  // A hardware XID is not undone by its alert resolving (the node stays cordoned until a person clears it): a
  // Fired delivered after its Resolved (an action group retry) is still acted on, as it would have been in order.
  if (signal.kind === 'gpuFault' && signal.stage === 'active') return false;
  return verdict === 'stale';
}

/** Plans against fresh state and executes. Never throws: a failure leaves the signal unfinished for reconcile. */
export async function processSignal(signal: Signal, ports: Ports): Promise<SignalOutcome> {
  try {
    if (await isStale(signal, ports)) {
      const why = `stale: a newer event for this condition was already seen (this one is from ${signal.observedAt})`;
      ports.log.info(why);
      await ports.state.markSignalProcessed(signal.id, why, ports.clock.now());
      return { id: signal.id, kind: signal.kind, status: 'stale', reasons: [why], actions: [] };
    }
    const now = ports.clock.now();
    const snapshot = await ports.state.snapshot(now);
    const plan = applyGuards(planForSignal(snapshot, signal, now), snapshot, now);
    ports.log.info('planned', { reasons: plan.reasons, actions: plan.actions.map((a) => a.key) });
    const actions = await executePlan(plan, ports);
    if (actions.some((a) => a.status === 'failed' || a.status === 'inProgress')) {
      return { id: signal.id, kind: signal.kind, status: 'recordedNotProcessed', reasons: plan.reasons, actions };
    }
    await ports.state.markSignalProcessed(signal.id, plan.reasons.join('; ') || 'no action', ports.clock.now());
    return { id: signal.id, kind: signal.kind, status: 'processed', reasons: plan.reasons, actions };
  } catch (e) {
    ports.log.error('processing failed; reconcile will retry', { error: errorMessage(e) });
    return { id: signal.id, kind: signal.kind, status: 'recordedNotProcessed', reasons: [errorMessage(e)], actions: [] };
  }
}
