/**
 * Virtual time for in-process game days: a clock that only moves when the driver moves it, and sleeps that
 * end when virtual time reaches them. Everything the harness runs is in memory (no sockets, no timers), so
 * once the microtask queue is empty every task is either done or asleep on this clock: that is when the
 * driver may move time forward (`settle`).
 */
import type { Clock } from '../../shared/ports/clock.js';

interface Sleeper {
  readonly at: number;
  /** Creation order: sleepers due at the same instant wake in the order they fell asleep (determinism). */
  readonly seq: number;
  readonly wake: () => void;
}

export class VirtualTime implements Clock {
  private nowMs: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;
  /** Bumped by every sleep, wake and port call: `settle` waits until it stops moving. */
  private activity = 0;

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  ms(): number {
    return this.nowMs;
  }

  /** Moves time forward (never back) and wakes every sleeper due by then, oldest first. */
  advanceTo(ms: number): void {
    if (ms < this.nowMs) throw new Error(`virtual time cannot go back (${new Date(ms).toISOString()} < ${this.now().toISOString()})`);
    this.nowMs = ms;
    const due = this.sleepers.filter((s) => s.at <= ms).sort((a, b) => a.at - b.at || a.seq - b.seq);
    if (due.length === 0) return;
    this.sleepers = this.sleepers.filter((s) => s.at > ms);
    for (const s of due) s.wake();
    this.activity++;
  }

  /**
   * Resolves when virtual time has moved `ms` on. A bound function, not a method: callers take it off the clock
   * (`(ports.clock.sleep ?? sleep)(ms)`).
   */
  readonly sleep = (ms: number): Promise<void> => {
    this.activity++;
    return new Promise((wake) => {
      this.sleepers.push({ at: this.nowMs + Math.max(0, ms), seq: this.seq++, wake });
    });
  };

  /** When the next sleeper wakes, or undefined. */
  nextWake(): number | undefined {
    let next: number | undefined;
    for (const s of this.sleepers) if (next === undefined || s.at < next) next = s.at;
    return next;
  }

  /** Ports call this on every call, so `settle` sees work that is still moving. */
  touch(): void {
    this.activity++;
  }

  /**
   * Returns once no task can make progress without time moving: the microtask queue is drained and nothing
   * touched the clock during a full turn of the event loop. Throws if that never happens (something in the
   * harness waits on real I/O or a real timer, which would make the run depend on the machine).
   */
  async settle(maxTurns = 10_000): Promise<void> {
    for (let turn = 0; turn < maxTurns; turn++) {
      const before = this.activity;
      await new Promise<void>((r) => setImmediate(r));
      if (this.activity === before) return;
    }
    throw new Error(`virtual time: tasks kept running for ${maxTurns} event-loop turns at ${this.now().toISOString()} without waiting on the clock`);
  }
}
