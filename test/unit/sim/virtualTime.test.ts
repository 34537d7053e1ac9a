import { describe, expect, it } from 'vitest';
import { Agenda } from '../../../local/sim/agenda.js';
import { seededRandom } from '../../../local/sim/random.js';
import { VirtualTime } from '../../../local/sim/virtualTime.js';

describe('virtual time', () => {
  it('sleeps end when virtual time reaches them, in order, and settle waits for everything that can run', async () => {
    const time = new VirtualTime(1_000);
    const woke: string[] = [];
    const task = async (name: string, ms: number) => { await time.sleep(ms); woke.push(`${name}@${time.ms()}`); await Promise.resolve(); woke.push(`${name} done`); };
    void task('b', 500);
    void task('a', 200);
    await time.settle();
    expect(woke).toEqual([]);
    expect(time.nextWake()).toBe(1_200);
    time.advanceTo(1_200);
    await time.settle();
    expect(woke).toEqual(['a@1200', 'a done']);
    time.advanceTo(5_000);
    await time.settle();
    expect(woke).toEqual(['a@1200', 'a done', 'b@5000', 'b done']);
    expect(() => time.advanceTo(4_000)).toThrow(/cannot go back/);
  });

  it('settle refuses to return while a task keeps working without waiting on the clock', async () => {
    const time = new VirtualTime(0);
    let stop = false;
    const spin = async () => { while (!stop) { time.touch(); await new Promise<void>((r) => setImmediate(r)); } };
    void spin();
    await expect(time.settle(20)).rejects.toThrow(/without waiting on the clock/);
    stop = true;
  });
});

describe('agenda', () => {
  it('gives items in time order, and in insertion order at one instant', () => {
    const agenda = new Agenda();
    const seen: string[] = [];
    for (const [at, label] of [[30, 'c'], [10, 'a1'], [20, 'b'], [10, 'a2'], [40, 'd']] as const) agenda.add(at, label, () => seen.push(label));
    expect(agenda.nextAt()).toBe(10);
    for (const item of agenda.takeDue(30)) item.run();
    expect(seen).toEqual(['a1', 'a2', 'b', 'c']);
    expect(agenda.size).toBe(1);
  });
});

describe('seeded random', () => {
  it('is the same sequence for the same seed, another for another seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => seededRandom(8).next())).not.toEqual(xs);
    expect(seededRandom(3).shuffle([1, 2, 3, 4, 5, 6]).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('the virtual clock as the autopilot uses it', () => {
  it('its sleep works taken off the clock, as `(ports.clock.sleep ?? sleep)(ms)` calls it', async () => {
    const time = new VirtualTime(0);
    const sleep = time.sleep;
    let woke = false;
    void sleep(1_000).then(() => { woke = true; });
    time.advanceTo(1_000);
    await time.settle();
    expect(woke).toBe(true);
  });
});
