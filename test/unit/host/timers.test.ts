import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RegisteredFunction } from '../../../local/host/functionsCore.js';
import { startLocalHost, type LocalHost } from '../../../local/host/localHost.js';
import { TimerScheduler } from '../../../local/host/timers.js';
import { callsOf, recorder, resetRecorder } from '../../support/functionsFixture/recorder.js';
import { FIXTURE_ENTRY, KEY, logSink, waitFor } from './support.js';

let host: LocalHost;
const sink = logSink();

beforeAll(async () => {
  // Schedules off so a 5-minute boundary cannot add a run mid-test; the scheduled path is tested on TimerScheduler below.
  host = await startLocalHost({ entry: FIXTURE_ENTRY, port: 0, functionKey: KEY, timers: false, log: sink.log });
});
afterAll(async () => {
  await host?.stop();
});
beforeEach(() => resetRecorder());

interface TimerArg {
  isPastDue: boolean;
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string };
}

describe('timer trigger through the local host', () => {
  it('invokeTimer runs the function with the Timer object the library gives', async () => {
    const before = Date.now();
    await host.invokeTimer('sweep');
    const [call] = callsOf('sweep');
    expect(call).toBeDefined();
    const timer = call!.input as TimerArg;
    expect(timer.isPastDue).toBe(false);
    expect(timer.schedule).toEqual({ adjustForDST: true });
    const next = new Date(timer.scheduleStatus.next);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime() - before).toBeLessThanOrEqual(5 * 60_000);
    expect(next.getUTCSeconds()).toBe(0);
    expect(next.getUTCMinutes() % 5).toBe(0);
    expect(Number.isNaN(Date.parse(timer.scheduleStatus.last))).toBe(false);
    expect(call!.triggerMetadata).toBeUndefined();

    const firstRunAt = Date.now();
    await host.invokeTimer('sweep');
    const second = callsOf('sweep')[1]!.input as TimerArg;
    expect(Date.parse(second.scheduleStatus.last)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(second.scheduleStatus.last)).toBeLessThanOrEqual(firstRunAt);
  });

  it('never overlaps itself', async () => {
    let release!: () => void;
    recorder().timerGate = new Promise<void>((r) => (release = r));
    const a = host.invokeTimer('sweep');
    const b = host.invokeTimer('sweep');
    await waitFor(() => callsOf('sweep').length === 1, 5_000, 'first run');
    await new Promise((r) => setTimeout(r, 100));
    expect(callsOf('sweep')).toHaveLength(1); // the second waits for the first
    release();
    await Promise.all([a, b]);
    expect(callsOf('sweep')).toHaveLength(2);
    expect(recorder().timerMaxConcurrent).toBe(1);
  });

  it('rejects names that are not timers', async () => {
    await expect(host.invokeTimer('things')).rejects.toThrow(/not a timer/);
    await expect(host.invokeTimer('nope')).rejects.toThrow(/not a timer/);
  });

  it('POST /admin/functions/<timer> runs it (202)', async () => {
    expect((await fetch(`${host.url}/admin/functions/sweep`, { method: 'POST', body: '{}' })).status).toBe(401);
    const res = await fetch(`${host.url}/admin/functions/sweep`, { method: 'POST', headers: { 'x-functions-key': KEY }, body: '{}' });
    expect(res.status).toBe(202);
    await waitFor(() => callsOf('sweep').length === 1, 5_000, 'admin-invoked timer');
    expect((await fetch(`${host.url}/admin/functions/things`, { method: 'POST', headers: { 'x-functions-key': KEY } })).status).toBe(404);
  });
});

describe('TimerScheduler on a real clock', () => {
  function timerFunction(name: string, schedule: string, runOnStartup: boolean, handler: (t: unknown) => unknown): RegisteredFunction {
    return {
      metadata: { name, bindings: { myTimer: { type: 'timerTrigger', direction: 'in', schedule, runOnStartup } } },
      handler: (t: unknown) => handler(t),
    };
  }

  it('runs on startup, then on schedule, keeps going after a failure, and stops', async () => {
    const seen: Array<{ at: number; isPastDue: boolean }> = [];
    const log = logSink();
    const fn = timerFunction('everySecond', '* * * * * *', true, (t) => {
      seen.push({ at: Date.now(), isPastDue: (t as TimerArg).isPastDue });
      if (seen.length === 2) throw new Error('boom');
    });
    const scheduler = new TimerScheduler([fn], { log: log.log });
    const started = Date.now();
    scheduler.start();
    await waitFor(() => seen.length >= 1, 2_000, 'runOnStartup');
    expect(seen[0]!.at - started).toBeLessThan(500);
    await waitFor(() => seen.length >= 3, 5_000, 'scheduled runs after a failure');
    expect(log.records).toContainEqual(expect.objectContaining({ level: 'error', functionName: 'everySecond', error: 'boom' }));
    expect(seen.every((s) => s.isPastDue === false)).toBe(true);
    await scheduler.stop(1_000);
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 1_300));
    expect(seen.length).toBe(count);
  });

  it('does not fire before start(); invoke() works regardless', async () => {
    let runs = 0;
    const scheduler = new TimerScheduler([timerFunction('t', '* * * * * *', true, () => runs++)], { log: () => {} });
    await new Promise((r) => setTimeout(r, 1_200));
    expect(runs).toBe(0);
    await scheduler.invoke('t');
    expect(runs).toBe(1);
    await scheduler.stop(100);
  });

  it('resolves %AppSetting% in the schedule', async () => {
    process.env.TEST_TIMER_SCHEDULE = '0 0 * * * *';
    const s = new TimerScheduler([timerFunction('t', '%TEST_TIMER_SCHEDULE%', false, () => {})], { log: () => {} });
    expect(s.names).toEqual(['t']);
    expect(() => new TimerScheduler([timerFunction('t', '%UNSET_SETTING_XYZ%', false, () => {})], { log: () => {} })).toThrow(/UNSET_SETTING_XYZ/);
  });
});
