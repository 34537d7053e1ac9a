/**
 * At-least-once, out of order, and crashes anywhere: the guarantees of DESIGN §5 checked on in-memory
 * fakes. Figures for the closing note come from here: duplicate effects under a 3× shuffle, jobs lost
 * and jobs running twice under crash injection.
 */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import { submitJob } from '../../../shared/autopilot/submitJob.js';
import type { Signal } from '../../../shared/signals/types.js';
import { cluster, outage } from '../../support/builders.js';
import { fakePorts } from '../../support/fakes.js';

const clusters = [cluster('eastus2', 'a', 8), cluster('eastus2', 'b', 8), cluster('westus3', 'a', 16), cluster('swedencentral', 'a', 16)];

function rng(seed: number) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

async function fleetWithJobs() {
  const f = fakePorts(clusters);
  for (let i = 0; i < 10; i++) await submitJob({ jobId: `job-${i}`, entrypoint: 'python train.py', gpus: 2, checkpointPrefix: `runs/job-${i}/` }, f.ports);
  for (const { message } of f.queue.drain()) await admitJob(message, f.ports);
  return f;
}

/** Everything but one outage commutes: quota alerts, node alerts (Fired/Resolved pairs by event time), pool rollouts. */
function events(): Signal[] {
  const out: Signal[] = [outage(['eastus2'], 'active', { id: 'sh-1:Fired', observedAt: '2026-11-28T11:00:00.000Z' })];
  for (let i = 0; i < 20; i++) {
    out.push({ kind: 'quotaPressure', id: `q-${i}:Fired`, source: 'commonAlert', observedAt: `2026-11-28T11:0${i % 10}:00.000Z`, region: ['westus3', 'swedencentral'][i % 2]!, family: 'standardNCADSA100v4Family', usagePercent: 80 + i, stage: 'active' });
    out.push({ kind: 'nodeNotReady', id: `n-${i}:${i % 2 ? 'Resolved' : 'Fired'}`, source: 'commonAlert', observedAt: `2026-11-28T11:${String(10 + i).padStart(2, '0')}:00.000Z`, cluster: 'aks-westus3-a', node: `aks-gpu-1-vmss00000${i % 3}`, stage: i % 2 ? 'resolved' : 'active' });
    out.push({ kind: 'poolRollout', id: `r-${i}`, source: 'eventGrid', observedAt: `2026-11-28T11:2${i % 10}:00.000Z`, clusterId: clusters[i % 4]!.id, pool: 'gpu', phase: (['started', 'succeeded', 'failed'] as const)[i % 3]! });
  }
  return out;
}

/** Deliver, then let the intake consume what was sent, then reconcile: the fleet settles. */
async function settle(f: Awaited<ReturnType<typeof fleetWithJobs>>) {
  for (let round = 0; round < 3; round++) {
    for (const { message } of f.queue.drain()) await admitJob(message, f.ports);
    await reconcile(f.ports);
  }
}

async function finalState(f: Awaited<ReturnType<typeof fleetWithJobs>>) {
  const snap = await f.ports.state.snapshot(new Date());
  return {
    health: Object.fromEntries([...snap.health].map(([r, h]) => [r, h.state])),
    jobs: snap.jobs.map((j) => ({ id: j.jobId, state: j.state, attempt: j.attempt, movedOut: j.excludeRegions })).sort((a, b) => a.id.localeCompare(b.id)),
    conditions: (await f.ports.state.conditions()).map((c) => `${c.key}=${c.state}`).sort(),
    runningCopies: [...f.ray.jobs.values()].filter((j) => j.status === 'RUNNING').length,
    submissions: f.ray.calls.filter((c) => c.startsWith('submit')).length,
    sends: f.queue.sent.length + f.queue.dropped.length,
  };
}

describe('chaos: every event delivered 3 times, shuffled', () => {
  it('ends in the same state as one clean delivery, with no duplicate effect', async () => {
    const clean = await fleetWithJobs();
    for (const e of events()) await handleSignals([e], clean.ports);
    await settle(clean);
    const expected = await finalState(clean);

    for (const seed of [1, 2, 3]) {
      const chaotic = await fleetWithJobs();
      const deliveries = events().flatMap((e) => [e, e, e]);
      const random = rng(seed);
      for (let i = deliveries.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!]; }
      for (const e of deliveries) await handleSignals([e], chaotic.ports);
      await settle(chaotic);
      const got = await finalState(chaotic);
      expect(got.health).toEqual(expected.health);
      expect(got.jobs).toEqual(expected.jobs);
      expect(got.conditions).toEqual(expected.conditions);
      // Duplicate effects: a Ray submission or a queue message more than the clean run made.
      expect(got.submissions).toBe(expected.submissions);
      expect(chaotic.queue.sent.length).toBe(clean.queue.sent.length);
      expect(got.runningCopies).toBe(10);
    }
    expect(expected.jobs.filter((j) => j.attempt === 2).length).toBeGreaterThan(0); // the outage did move jobs
  });
});

describe('crash injection between every two executor steps', () => {
  it('after a restart, no job is lost and none runs twice', async () => {
    // Count the port calls a clean outage makes, then crash at each of them in turn.
    const probe = await fleetWithJobs();
    let calls = 0;
    const counting = wrapPorts(probe, () => { calls++; });
    await handleSignals([outage(['eastus2'])], counting.ports);
    expect(calls).toBeGreaterThan(5);

    let lost = 0;
    let twice = 0;
    for (let crashAt = 1; crashAt <= calls; crashAt++) {
      const f = await fleetWithJobs();
      let n = 0;
      const crashing = wrapPorts(f, () => { if (++n === crashAt) throw new Error(`crash at call ${crashAt}`); });
      await handleSignals([outage(['eastus2'])], crashing.ports).catch(() => undefined);
      // Restart: the action group delivers the alert again, the intake drains the queue, reconcile runs.
      await handleSignals([outage(['eastus2'])], f.ports);
      await settle(f);
      const perJob = new Map<string, number>();
      for (const j of f.ray.jobs.values()) if (j.status === 'RUNNING') perJob.set(j.request.metadata!.autopilotJobId!, (perJob.get(j.request.metadata!.autopilotJobId!) ?? 0) + 1);
      lost += 10 - perJob.size;
      twice += [...perJob.values()].filter((c) => c > 1).length;
      const inEast = [...f.ray.jobs.values()].filter((j) => j.status === 'RUNNING' && j.endpoint.includes('eastus2'));
      expect(inEast, `crash at ${crashAt}`).toEqual([]);
    }
    expect({ lost, twice }).toEqual({ lost: 0, twice: 0 });
  });
});

/** The same ports, with a hook before every call to the state store, Ray, the queue and checkpoints. */
function wrapPorts(f: Awaited<ReturnType<typeof fleetWithJobs>>, before: () => void) {
  const wrap = <T extends object>(target: T): T => new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver);
      return typeof v === 'function' ? (...args: unknown[]) => { before(); return (v as (...a: unknown[]) => unknown).apply(t, args); } : v;
    },
  });
  return { ...f, ports: { ...f.ports, state: wrap(f.ports.state), ray: wrap(f.ports.ray), queue: wrap(f.ports.queue), checkpoints: wrap(f.ports.checkpoints) } };
}
