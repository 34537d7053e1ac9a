/**
 * Timer triggers: fires each `timerTrigger` on its NCRONTAB `schedule` (UTC), or on a TimeSpan schedule
 * (`hh:mm:ss` / `d.hh:mm:ss`, an interval from the previous run) — `%AppSetting%` references are resolved first.
 * `runOnStartup` runs it once when the host starts. The handler gets the Timer object the library gives it:
 * `{ isPastDue, schedule: { adjustForDST: true }, scheduleStatus: { last, next, lastUpdated } }` (ISO strings) and no
 * `triggerMetadata`. An invocation never overlaps another of the same function (the host takes a singleton lock per
 * timer function); occurrences missed while one runs are skipped, and a run that starts more than a second after its
 * scheduled time is past due.
 */
import type { RegisteredFunction } from './functionsCore.js';
import { createInvocation, errorSummary, resolveAppSettings, runHandler, triggerOf, type LogSink } from './invocation.js';
import { parseNcrontab } from './ncrontab.js';

const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const PAST_DUE_AFTER_MS = 1000;

export interface TimerSchedule {
  readonly text: string;
  /** The occurrence after `after`, or undefined if there is none. */
  next(after: Date): Date | undefined;
  readonly adjustForDST: boolean;
}

export function parseTimerSchedule(text: string): TimerSchedule {
  const m = /^\s*(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})\s*$/.exec(text);
  if (m) {
    const ms = (((Number(m[1] ?? 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000;
    if (ms <= 0) throw new Error(`timer schedule '${text}' is a zero interval`);
    return { text, adjustForDST: false, next: (after) => new Date(after.getTime() + ms) };
  }
  const cron = parseNcrontab(text);
  return { text, adjustForDST: true, next: (after) => cron.next(after) };
}

interface TimerState {
  fn: RegisteredFunction;
  schedule: TimerSchedule;
  runOnStartup: boolean;
  last?: Date;
  lastUpdated?: Date;
  /** Tail of this timer's invocation chain: the singleton lock. */
  tail: Promise<void>;
  handle?: NodeJS.Timeout;
}

export interface TimerSchedulerOptions {
  log: LogSink;
  now?: () => Date;
}

export class TimerScheduler {
  readonly #timers = new Map<string, TimerState>();
  readonly #log: LogSink;
  readonly #now: () => Date;
  readonly #startedAt: Date;
  #running = false;
  #stopped = false;

  constructor(functions: Iterable<RegisteredFunction>, options: TimerSchedulerOptions) {
    this.#log = options.log;
    this.#now = options.now ?? (() => new Date());
    this.#startedAt = this.#now();
    for (const fn of functions) {
      const trigger = triggerOf(fn);
      if (trigger.type?.toLowerCase() !== 'timertrigger') continue;
      if (typeof trigger.schedule !== 'string') throw new Error(`timer function "${fn.metadata.name}" has no schedule`);
      const schedule = parseTimerSchedule(resolveAppSettings(trigger.schedule));
      this.#timers.set(fn.metadata.name, {
        fn,
        schedule,
        runOnStartup: trigger.runOnStartup === true,
        tail: Promise.resolve(),
      });
    }
  }

  get names(): string[] {
    return [...this.#timers.keys()];
  }

  /** Starts the schedules (and the runOnStartup runs). */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    for (const state of this.#timers.values()) {
      if (state.runOnStartup) {
        void this.#enqueue(state, false).catch(() => {});
      }
      this.#scheduleNext(state);
    }
  }

  /** Runs the timer function now (after any run in progress); rejects if it throws. */
  invoke(name: string): Promise<void> {
    const state = this.#timers.get(name);
    if (!state) return Promise.reject(new Error(`"${name}" is not a timer-triggered function of this app`));
    return this.#enqueue(state, false);
  }

  /** Clears the schedules and waits (up to `drainMs`) for runs in progress. */
  async stop(drainMs: number): Promise<void> {
    this.#stopped = true;
    for (const state of this.#timers.values()) {
      clearTimeout(state.handle);
      state.handle = undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#timers.values()].map((s) => s.tail)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainMs);
      }),
    ]);
    clearTimeout(timer);
  }

  #scheduleNext(state: TimerState, from?: Date): void {
    if (this.#stopped) return;
    const now = this.#now();
    const base = from && from > now ? from : now;
    const due = state.schedule.next(base);
    if (!due) {
      this.#log({ level: 'warning', category: 'host', functionName: state.fn.metadata.name, message: `timer schedule '${state.schedule.text}' has no next occurrence` });
      return;
    }
    const arm = () => {
      if (this.#stopped) return;
      const wait = due.getTime() - this.#now().getTime();
      if (wait > 0) {
        state.handle = setTimeout(arm, Math.min(wait, MAX_TIMEOUT_MS));
        state.handle.unref?.();
        return;
      }
      state.handle = undefined;
      const late = -wait;
      this.#enqueue(state, late > PAST_DUE_AFTER_MS)
        .catch(() => {})
        .finally(() => this.#scheduleNext(state, due));
    };
    arm();
  }

  #enqueue(state: TimerState, isPastDue: boolean): Promise<void> {
    const run = state.tail.then(() => this.#runOnce(state, isPastDue));
    state.tail = run.catch(() => {});
    return run;
  }

  async #runOnce(state: TimerState, isPastDue: boolean): Promise<void> {
    const now = this.#now();
    const next = state.schedule.next(now);
    const timer = {
      isPastDue,
      schedule: { adjustForDST: state.schedule.adjustForDST },
      scheduleStatus: {
        last: (state.last ?? this.#startedAt).toISOString(),
        next: next?.toISOString(),
        lastUpdated: (state.lastUpdated ?? this.#startedAt).toISOString(),
      },
    };
    const inv = createInvocation(state.fn, this.#log);
    try {
      await runHandler(state.fn, timer, inv, this.#log);
    } catch (err) {
      this.#log({
        level: 'error',
        category: 'host',
        functionName: state.fn.metadata.name,
        invocationId: inv.invocationId,
        message: 'timer invocation failed',
        ...errorSummary(err),
      });
      throw err;
    } finally {
      state.last = now;
      state.lastUpdated = this.#now();
    }
  }
}
