/**
 * A scenario played on the live stack (`autopilot start --scenario <name>`): the same timeline as `autopilot simulate`,
 * on the wall clock, `speed` times faster than fleet time. The stack runs its own demo fleet, so what the scenario says
 * about the fleet, and any event the stack has no way to play (a cluster or region it does not have, Spot nodes it does
 * not run), is listed as not applied rather than silently dropped.
 */
import { DEMO_POOL, DEMO_SUBSCRIPTION } from '../demoFleet.js';
import type { Stack, StackOptions } from '../stack.js';
import { parseNcrontab } from '../host/ncrontab.js';
import { seededRandom } from './random.js';
import type { Scenario, ScenarioEvent } from './scenario.js';
import { scheduleTimeline, unplayable, type TimelineTarget } from './timeline.js';

export const DEFAULT_SPEED = 20;

/** Policy keys the stack takes (seconds, scaled by the speed); anything else in the scenario's policy is not applied. */
const STACK_POLICY = ['recoveryHoldDownSeconds', 'waitBackoffSeconds', 'scaleDownCooldownSeconds', 'failoverWindowSeconds'] as const;

export interface LiveSetup {
  readonly options: Partial<StackOptions>;
  /** What of the scenario the live stack does not apply, in words. */
  readonly notApplied: readonly string[];
}

/** Stack options for a scenario at `speed`: the world's tick, node provisioning, the reconcile timer and policy, all faster. */
export function liveStackOptions(s: Scenario, speed: number): LiveSetup {
  const scale = (ms: number) => ms / speed;
  const cron = parseNcrontab(s.autopilot.reconcileSchedule);
  const first = cron.next(new Date(Date.parse(s.start)))!;
  const every = Math.max(1, Math.round(scale(cron.next(first)!.getTime() - first.getTime()) / 1000));
  const policy = s.policy as Record<string, unknown>;
  const options: Record<string, unknown> = {
    stepMs: Math.max(10, Math.round(scale(s.step))), provisioningMs: Math.round(scale(s.fleet.provisioning)), reconcileSchedule: `*/${every} * * * * *`,
  };
  for (const key of STACK_POLICY) if (typeof policy[key] === 'number') options[key] = (policy[key] as number) / speed;
  const nodes = policy['nodes'];
  if (nodes && typeof nodes === 'object') options['nodePolicy'] = Object.fromEntries(Object.entries(nodes).map(([k, v]) => [k, typeof v === 'number' && k.endsWith('Seconds') ? v / speed : v]));
  const ignored = Object.keys(policy).filter((k) => !(STACK_POLICY as readonly string[]).includes(k) && k !== 'nodes');
  return {
    options: options as Partial<StackOptions>,
    notApplied: [
      'fleet: the live stack runs its demo fleet (eastus2, swedencentral, westus3 × 2 clusters of 8 single-A100 nodes; no Spot pools), not the scenario\'s pools and quota',
      ...(ignored.length ? [`policy: ${ignored.join(', ')} (the stack's own values apply)`] : []),
      'node signals: the stack\'s world reports node faults itself, at once and once (the scenario\'s deliveries and signal choice do not apply to them)',
    ],
  };
}

export interface LiveGameDay {
  /** Events not played, each with why. */
  readonly skipped: readonly string[];
  /** Resolves when the scenario's duration has passed on the wall clock. */
  readonly done: Promise<void>;
  stop(): void;
}

export function playOnStack(stack: Stack, s: Scenario, options: { speed: number; say: (line: string) => void; seed?: number }): LiveGameDay {
  const { speed, say } = options;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const after = (fleetMs: number, fn: () => void) => {
    if (stopped) return;
    const t = setTimeout(() => { timers.delete(t); if (!stopped) fn(); }, fleetMs / speed);
    timers.add(t);
  };
  const post = (label: string, path: '/api/alerts' | '/api/events', body: unknown) => {
    stack.api(path, { body }).then((r) => { if (r.status >= 300) say(`  ${label}: ${path} answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`); })
      .catch((e: Error) => { if (!stopped) say(`  ${label}: ${path} failed: ${e.message}`); });
  };
  const target: TimelineTarget = {
    world: stack.world,
    arm: stack.arm,
    subscription: DEMO_SUBSCRIPTION,
    clusterId: (name) => [...stack.world.clusters.values()].find((c) => c.name === name)?.id,
    family: () => DEMO_POOL.family,
    now: () => Date.now(),
    after: (ms, _label, fn) => after(ms, fn),
    span: (ms) => ms / speed,
    // An alert (common alert schema) goes to the action group webhook; anything else is an Event Grid delivery.
    deliver: (label, body) => post(label, body && typeof body === 'object' && 'schemaId' in body ? '/api/alerts' : '/api/events', body),
    sendsNodeSignals: false,
    say: (text) => say(`◆ ${text}`),
  };
  const skipped: string[] = [];
  const playable: ScenarioEvent[] = [];
  for (const [i, e] of s.timeline.entries()) {
    const why = unplayable(e, target);
    if (why) skipped.push(`timeline.${i} ${e.event} at ${e.at / 1000} s: ${why}`);
    else playable.push(e);
  }
  scheduleTimeline(s, target, seededRandom(options.seed ?? s.seed), playable);

  let submitted = 0;
  for (const group of s.jobs) {
    for (let i = 0; i < group.count; i++) {
      const jobId = `${group.name}-${String(i + 1).padStart(3, '0')}`;
      after(group.at + i * group.every, () => {
        submitted++;
        void stack.api('/api/jobs', { body: {
          jobId, entrypoint: 'python train.py --resume-from-latest', gpus: group.gpus, checkpointPrefix: `runs/${jobId}/`,
          runtimeEnv: { env_vars: { TOTAL_STEPS: String(group.steps), CHECKPOINT_EVERY: String(group.checkpointEvery) } },
          ...(group.regions ? { regions: group.regions } : {}), ...(group.priority !== undefined ? { priority: group.priority } : {}),
        } }).then((r) => { if (r.status !== 202) say(`  submit ${jobId} → ${r.status} ${JSON.stringify(r.body)}`); }, (e: Error) => { if (!stopped) say(`  submit ${jobId} failed: ${e.message}`); });
      });
    }
  }

  const done = new Promise<void>((resolve) => after(s.duration, () => {
    const jobs = stack.world.allJobs();
    const finished = new Set(jobs.filter((j) => j.status === 'SUCCEEDED').map((j) => j.jobId));
    const running = new Set(jobs.filter((j) => j.status === 'RUNNING' || j.status === 'PENDING').map((j) => j.jobId));
    say(`★ Game day ${s.name} played (${s.duration / 60_000} min of fleet time): ${submitted} jobs submitted, ${finished.size} finished, ${running.size} running; ` +
      `ticks in which a job ran twice: ${stack.world.stats().doubleRunTicks}. The stack keeps running: look at the dashboard, Ctrl-C stops.`);
    resolve();
  }));
  return {
    skipped,
    done,
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
