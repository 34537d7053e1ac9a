/** The reconcile timer: the level-triggered safety net behind every pushed signal. */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { reconcile } from '../shared/autopilot/reconcile.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';

export async function reconcileFleet(_timer: Timer, context: InvocationContext): Promise<void> {
  const ports = await runtimePorts(invocationLogger(context));
  const outcome = await reconcile(ports);
  if (outcome.actions.length || outcome.signalsRetried) {
    ports.log.info('reconciled', { signalsRetried: outcome.signalsRetried, unreachable: outcome.unreachableClusters, actions: outcome.actions.map((a) => `${a.key}: ${a.outcome}`) });
  }
}

// The Functions host runs a timer as a singleton across instances, which reconcile relies on.
app.timer('reconcileFleet', { schedule: '%AUTOPILOT_RECONCILE_SCHEDULE%', handler: reconcileFleet });
