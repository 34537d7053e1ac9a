/**
 * Runs a scenario in virtual time. Each step moves the clock to the next thing that is due — a world tick (one
 * training step for every running job), a scenario event, an alert delivery, a queue message, the reconcile timer,
 * or a task waking from a sleep (an ARM operation being followed) — lets everything that can run at that instant
 * run, and moves on. The autopilot is entered exactly where Azure Functions enter it:
 * - alerts: the body (JSON over HTTP) → parseInboundBody → handleSignals, as functions/onMonitorAlert.ts;
 * - the `jobs` queue: admitJob, and a dead-letter outcome recorded with recordRejection, as functions/onJobQueued.ts,
 *   with the host's delivery rules (up to 16 at once, abandon on a throw, redelivery, dead-letter after 10);
 * - the timer: reconcile on its NCRONTAB schedule, never overlapping itself, as functions/reconcileFleet.ts;
 * - submissions: submitJob, as POST /api/jobs.
 */
import { admitJob } from '../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../shared/autopilot/handleSignals.js';
import { reconcile } from '../../shared/autopilot/reconcile.js';
import { recordRejection } from '../../shared/autopilot/recordRejection.js';
import { submitJob } from '../../shared/autopilot/submitJob.js';
import { errorMessage } from '../../shared/observability/logger.js';
import { parseInboundBody } from '../../shared/signals/parseInbound.js';
import { SignalParseError } from '../../shared/signals/types.js';
import { parseNcrontab } from '../host/ncrontab.js';
import { Agenda } from './agenda.js';
import { createHarness, type Harness } from './harness.js';
import { Observer } from './observer.js';
import { seededRandom } from './random.js';
import type { Scenario } from './scenario.js';
import type { QueuedMessage } from './simQueue.js';
import { simTarget } from './simTarget.js';
import { scheduleTimeline, type TimelineEntry } from './timeline.js';

/** host.json `extensions.serviceBus.maxConcurrentCalls`. */
const MAX_CONCURRENT_CALLS = 16;
/** Rounds at one instant before the driver calls it a livelock (something re-arms itself without time passing). */
const MAX_ROUNDS_PER_INSTANT = 10_000;

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Called as virtual time passes, with the fraction done (0..1). */
  readonly onProgress?: (fraction: number) => void;
}

export interface SimRun {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly harness: Harness;
  readonly observer: Observer;
  readonly timeline: readonly TimelineEntry[];
  /** Jobs submitted, in order. */
  readonly submitted: readonly string[];
  /** Signals delivered, by what handleSignals answered (a duplicate or stale one changes nothing). */
  readonly signals: Readonly<Record<'processed' | 'duplicate' | 'stale' | 'recordedNotProcessed', number>>;
  /** Alerts answered 400 (a body the autopilot could not read): none are expected. */
  readonly unreadableAlerts: readonly string[];
  /** Anything that threw out of an entry point where Azure would have retried or failed the invocation. */
  readonly invocationErrors: readonly string[];
  readonly reconciles: { readonly runs: number; readonly skipped: number };
  readonly wallMs: number;
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<SimRun> {
  const wall0 = performance.now();
  const seed = options.seed ?? scenario.seed;
  const h = createHarness(scenario);
  const { time, ports, queue, world, arm } = h;
  const random = seededRandom(seed);
  const agenda = new Agenda();
  const observer = new Observer(h);
  const startMs = time.ms();
  const endMs = startMs + scenario.duration;

  const invocationErrors: string[] = [];
  const unreadableAlerts: string[] = [];
  const submitted: string[] = [];
  const signals = { processed: 0, duplicate: 0, stale: 0, recordedNotProcessed: 0 };
  const running = new Set<Promise<void>>();
  const task = (label: string, fn: () => Promise<void>) => {
    const p: Promise<void> = fn().catch((e) => { invocationErrors.push(`${new Date(time.ms()).toISOString()} ${label}: ${errorMessage(e)}`); })
      .finally(() => { running.delete(p); });
    running.add(p);
  };

  // Alerts: as POST /api/alerts. The body travels as JSON text.
  const deliver = (label: string, body: unknown) => task(`alert ${label}`, async () => {
    let parsed;
    try {
      parsed = parseInboundBody(JSON.parse(JSON.stringify(body)), { fleet: { clusters: ports.fleet.clusters } });
    } catch (e) {
      if (e instanceof SignalParseError) { unreadableAlerts.push(`${label}: ${e.field}: ${e.message}`); return; }
      throw e;
    }
    if (parsed.kind !== 'signals') return;
    for (const outcome of await handleSignals(parsed.signals, ports)) signals[outcome.status]++;
  });

  // The `jobs` queue: as the Functions host's Service Bus trigger calls onJobQueued.
  let inFlight = 0;
  const onJobQueued = (message: QueuedMessage) => task(`onJobQueued ${message.messageId}`, async () => {
    inFlight++;
    try {
      const body: unknown = JSON.parse(message.body);
      const outcome = await admitJob(body, ports);
      if (outcome.settle === 'deadLetter') await recordRejection(body, message.messageId, outcome, ports);
      queue.complete(message);
    } catch (e) {
      queue.abandon(message, errorMessage(e));
      ports.log.warn('onJobQueued threw; the message is abandoned and redelivered', { messageId: message.messageId, error: errorMessage(e) });
    } finally {
      inFlight--;
    }
  });
  const pumpQueue = () => { for (const m of queue.receive(MAX_CONCURRENT_CALLS - inFlight)) onJobQueued(m); };

  // The reconcile timer: a singleton; an occurrence that comes while one runs is skipped.
  const schedule = parseNcrontab(scenario.autopilot.reconcileSchedule);
  let reconciling = false;
  const reconciles = { runs: 0, skipped: 0 };
  const runReconcile = () => {
    if (reconciling) { reconciles.skipped++; return; }
    reconciling = true;
    reconciles.runs++;
    task('reconcileFleet', async () => {
      try {
        const outcome = await reconcile(ports);
        if (outcome.actions.length || outcome.signalsRetried) ports.log.info('reconciled', { signalsRetried: outcome.signalsRetried, actions: outcome.actions.length });
      } finally {
        reconciling = false;
      }
    });
  };
  let nextReconcile = schedule.next(new Date(startMs))!.getTime();

  // Submissions: as POST /api/jobs.
  for (const group of scenario.jobs) {
    for (let i = 0; i < group.count; i++) {
      const jobId = `${group.name}-${String(i + 1).padStart(3, '0')}`;
      const body = {
        jobId, entrypoint: 'python train.py --resume-from-latest', gpus: group.gpus, checkpointPrefix: `runs/${jobId}/`,
        runtimeEnv: { env_vars: { TOTAL_STEPS: String(group.steps), CHECKPOINT_EVERY: String(group.checkpointEvery) } },
        ...(group.regions ? { regions: group.regions } : {}), ...(group.priority !== undefined ? { priority: group.priority } : {}),
      };
      agenda.add(startMs + group.at + i * group.every, `submit ${jobId}`, () => {
        submitted.push(jobId);
        task(`submitJob ${jobId}`, async () => { await submitJob(body, ports); });
      });
    }
  }
  const timeline: TimelineEntry[] = [];
  scheduleTimeline(scenario, simTarget(h, agenda, observer, deliver, timeline), random);

  // Sampling for the report: about 360 points whatever the duration, never finer than a tick.
  const sampleEvery = Math.max(scenario.step, Math.ceil(scenario.duration / 360 / 1000) * 1000);
  let nextSample = startMs;
  let nextTick = startMs + scenario.step;
  let nextProgress = 0;

  // The fleet has been watched before the game day starts: pools and quota observed once (as the stack does).
  runReconcile();
  await time.settle();

  for (;;) {
    const next = Math.min(nextTick, nextReconcile, nextSample, agenda.nextAt() ?? Infinity, queue.nextDue() ?? Infinity, time.nextWake() ?? Infinity);
    if (next > endMs) break;
    time.advanceTo(next);
    arm.tick();
    if (next >= nextReconcile) {
      runReconcile();
      nextReconcile = schedule.next(new Date(next))!.getTime();
    }
    for (let round = 0; ; round++) {
      if (round >= MAX_ROUNDS_PER_INSTANT) throw new Error(`livelock at ${time.now().toISOString()}: work kept becoming due without time passing`);
      const due = agenda.takeDue(next);
      for (const item of due) item.run();
      pumpQueue();
      await time.settle();
      const more = (agenda.nextAt() ?? Infinity) <= next || ((queue.nextDue() ?? Infinity) <= next && inFlight < MAX_CONCURRENT_CALLS);
      if (!more) break;
    }
    if (next >= nextTick) {
      observer.beforeTick();
      world.tick();
      observer.afterTick();
      await time.settle(); // checkpoint uploads
      nextTick += scenario.step;
    }
    if (next >= nextSample) {
      await observer.sample();
      nextSample += sampleEvery;
    }
    const fraction = (next - startMs) / scenario.duration;
    if (options.onProgress && fraction >= nextProgress) {
      options.onProgress(fraction);
      nextProgress = Math.floor(fraction * 10 + 1) / 10;
    }
  }
  time.advanceTo(endMs);
  await observer.sample();
  options.onProgress?.(1);
  return {
    scenario, seed, startMs, endMs, harness: h, observer, timeline, submitted, signals, unreadableAlerts, invocationErrors, reconciles,
    wallMs: performance.now() - wall0,
  };
}
