/**
 * Applies a plan through the ports, one action at a time, in order. The action log entry is written
 * before acting; every action is idempotent (deterministic keys, message ids and submission ids,
 * conditional writes), so a crash at any point followed by a retry converges without a duplicate effect.
 */
import { createHash } from 'node:crypto';
import type { Policy } from '../fleet/types.js';
import { errorMessage } from '../observability/logger.js';
import type { Action, Plan } from '../planner/plan.js';
import type { Ports } from './ports.js';
import { NotApplicableError } from './errors.js';
import { performAction } from './performAction.js';

export interface ActionResult {
  readonly key: string;
  readonly kind: Action['kind'];
  readonly status: 'done' | 'skipped' | 'notApplicable' | 'inProgress' | 'failed' | 'dryRun';
  readonly outcome: string;
}

export async function execute(plan: Plan, ports: Ports): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  const dryRun = ports.fleet.policy.dryRun;
  const audit = {
    trigger: plan.trigger, dryRun, requestedBy: plan.requestedBy ?? 'autopilot', policyVersion: policyVersion(ports.fleet.policy),
    context: plan.reasons.slice(0, 12).map((r) => (r.length > 300 ? `${r.slice(0, 300)}…` : r)),
  };
  for (const w of plan.withheld ?? []) {
    await ports.state.recordWithheld({ key: w.key, kind: w.kind, reason: w.why, ...audit }, ports.clock.now());
  }
  for (const action of plan.actions) {
    const log = ports.log.with({ actionKey: action.key, action: action.kind });
    const begun = await ports.state.beginAction(
      { key: action.key, kind: action.kind, reason: action.reason, ...audit }, ports.clock.now());
    if (begun === 'done') {
      results.push({ key: action.key, kind: action.kind, status: 'skipped', outcome: 'already done' });
      continue;
    }
    if (begun === 'inProgress') {
      // Another worker is doing it right now; not done from here, so a crash there is retried later.
      results.push({ key: action.key, kind: action.kind, status: 'inProgress', outcome: 'in progress elsewhere' });
      continue;
    }
    if (dryRun) {
      await ports.state.finishAction(action.key, 'done', 'dry run: recorded, not executed', ports.clock.now());
      log.info('dry run: would act', { reason: action.reason });
      results.push({ key: action.key, kind: action.kind, status: 'dryRun', outcome: 'not executed' });
      continue;
    }
    try {
      const outcome = await performAction(action, ports, audit.requestedBy);
      await ports.state.finishAction(action.key, 'done', outcome, ports.clock.now());
      log.info(`${action.kind}: ${outcome}`, { reason: action.reason });
      results.push({ key: action.key, kind: action.kind, status: 'done', outcome });
    } catch (e) {
      if (e instanceof NotApplicableError) {
        // Not done, not failed: the world moved since planning. Not marked done, so the same action
        // may run when it applies again (a later impairment of the same region, say).
        await ports.state.finishAction(action.key, 'skipped', e.message, ports.clock.now());
        log.info(`${action.kind} not applicable now: ${e.message}`, { reason: action.reason });
        results.push({ key: action.key, kind: action.kind, status: 'notApplicable', outcome: e.message });
        continue;
      }
      // Left 'failed' (not 'done'): the next delivery or the reconcile timer retries it. The rest of the
      // plan waits too: later actions may depend on this one (an evacuation on the incident it follows).
      await ports.state.finishAction(action.key, 'failed', errorMessage(e), ports.clock.now()).catch(() => {});
      log.error(`${action.kind} failed; the rest of the plan waits for a retry`, { error: errorMessage(e), reason: action.reason });
      results.push({ key: action.key, kind: action.kind, status: 'failed', outcome: errorMessage(e) });
      // A node's drain or episode close stands alone: nothing later in a plan depends on it, and it can fail for
      // as long as one cluster's Ray or API server does not answer (or a PDB keeps blocking). Stopping there
      // would hold up every later action of every reconcile pass (job ends, evacuations, other nodes).
      if (SELF_CONTAINED.has(action.kind)) continue;
      break;
    }
  }
  return results;
}

/** Actions whose failure says nothing about the actions after them (see the catch in execute). */
const SELF_CONTAINED = new Set<Action['kind']>(['drainNode', 'closeNodeEpisode']);


const versions = new WeakMap<Policy, string>();
/** A short, stable hash of the policy: which rules a decision was made under. */
export function policyVersion(policy: Policy): string {
  let v = versions.get(policy);
  if (!v) {
    v = createHash('sha256').update(JSON.stringify(policy, Object.keys(policy).sort())).digest('hex').slice(0, 12);
    versions.set(policy, v);
  }
  return v;
}

/** Actions that follow an ARM operation (minutes in Azure): they run beside the rest, not before it. */
const FOLLOWS_ARM = new Set<Action['kind']>(['resizePool', 'replaceNode']);

/**
 * `execute`, with every resize run side by side with the rest of the plan: a pool resize follows its ARM
 * operation to the end, and a drain or a requeue must not wait minutes for node provisioning. Node
 * records come first: a replacement marks the node's episode, which must exist by then.
 */
export async function executePlan(plan: Plan, ports: Ports): Promise<ActionResult[]> {
  const parallel = plan.actions.filter((a) => FOLLOWS_ARM.has(a.kind));
  if (parallel.length === 0) return execute(plan, ports);
  const lead = plan.actions.filter((a) => a.kind === 'recordNodeFault');
  const rest = plan.actions.filter((a) => !FOLLOWS_ARM.has(a.kind) && a.kind !== 'recordNodeFault');
  const first = lead.length ? await execute({ ...plan, actions: lead }, ports) : [];
  // The rest depends on the node records (a drain needs its episode, a replacement marks it): when one could not
  // be written, nothing else runs now (as in execute), or a replacement would be asked for a node on no record.
  if (first.some((r) => r.status === 'failed')) return first;
  const quiet = { ...plan, withheld: [] };
  const [main, ...others] = await Promise.all([
    rest.length || !lead.length ? execute({ ...(lead.length ? quiet : plan), actions: rest }, ports) : Promise.resolve([]),
    ...parallel.map((a) => execute({ ...quiet, actions: [a] }, ports)),
  ]);
  return [...first, ...main!, ...others.flat()];
}
