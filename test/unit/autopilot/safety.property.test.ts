/**
 * Property tests of the safety invariants over random sequences of region incidents (Fired, Resolved,
 * hold-downs passing), on in-memory fakes with a virtual clock:
 *  - automatic moves never interrupt more running work than the disruption budget allows per window;
 *  - work is never moved out of a region while no other region takes work;
 *  - a job is never moved out of one region twice in different impairment episodes within the failover window;
 *  - two regions impaired within the self-freeze window freeze the autopilot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import { DEFAULT_POLICY } from '../../../shared/fleet/types.js';
import { cluster, outage } from '../../support/builders.js';
import { fakePorts } from '../../support/fakes.js';

const REGIONS = ['eastus2', 'westus3', 'swedencentral'];
const clusters = REGIONS.map((r) => cluster(r, 'a', 16));
type Step = { kind: 'fire' | 'resolve' | 'wait'; region: number; minutes: number; reachable: boolean };

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom<Step['kind']>('fire', 'resolve', 'wait'),
  region: fc.integer({ min: 0, max: 2 }),
  minutes: fc.integer({ min: 0, max: 40 }),
  reachable: fc.boolean(),
});

describe('safety invariants under random incident sequences', () => {
  it('budgets, the last healthy region, no ping-pong and the self-freeze hold', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
      let t = Date.parse('2026-11-28T12:00:00Z');
      const f = fakePorts(clusters, { recoveryHoldDownMs: 5 * 60_000 }, () => new Date(t));
      for (let i = 0; i < 9; i++) await admitJob({ jobId: `j${i}`, entrypoint: 'x', gpus: 2 }, f.ports);
      const moves: Array<{ at: number; from: string; jobId: string; reachable: boolean; gpus: number; episode: string }> = [];
      let seq = 0;
      for (const s of steps) {
        const region = REGIONS[s.region]!;
        const endpoint = clusters[s.region]!.rayEndpoint;
        if (s.reachable) f.ray.unreachable.delete(endpoint); else f.ray.unreachable.add(endpoint);
        const before = await f.ports.state.snapshot(new Date(t));
        const takesWork = (snap: typeof before, except: string) => REGIONS.filter((r) => r !== except && (snap.health.get(r)?.state ?? 'healthy') === 'healthy');
        const record = async (from: number, prior: typeof before) => {
          const now = await f.ports.state.snapshot(new Date(t));
          // Moves only: resends of lost messages and scheduled waits are not new moves.
          for (const { message } of f.queue.sent.slice(from).filter((m) => /^[^:]+:\d+$/.test(m.messageId))) {
            const job = prior.jobs.find((j) => j.jobId === message.jobId)!;
            const fromRegion = job.region ?? '';
            // Invariant: never moved while no other region took work.
            expect(takesWork(now, fromRegion).length, `moved out of ${fromRegion} with nowhere to go`).toBeGreaterThan(0);
            moves.push({ at: t, from: fromRegion, jobId: job.jobId, reachable: !f.ray.unreachable.has(clusters[REGIONS.indexOf(fromRegion)]!.rayEndpoint), gpus: job.spec.gpus, episode: (await f.ports.state.region(fromRegion))?.since ?? '' });
          }
        };
        let sent = f.queue.sent.length;
        if (s.kind === 'fire') await handleSignals([outage([region], 'active', { id: `s${seq++}:Fired`, trackingId: `T-${region}-${Math.floor(t / 3_600_000)}`, observedAt: new Date(t).toISOString() })], f.ports);
        if (s.kind === 'resolve') await handleSignals([outage([region], 'resolved', { id: `s${seq++}:Resolved`, trackingId: `T-${region}-${Math.floor(t / 3_600_000)}`, observedAt: new Date(t).toISOString() })], f.ports);
        await record(sent, before);
        t += s.minutes * 60_000;
        sent = f.queue.sent.length;
        const beforeReconcile = await f.ports.state.snapshot(new Date(t));
        await reconcile(f.ports);
        await record(sent, beforeReconcile);
        for (const { message } of f.queue.drain()) await admitJob(message, f.ports);
        // Invariant: two regions impaired within the window → frozen.
        const snap = await f.ports.state.snapshot(new Date(t));
        const freshlyImpaired = [...snap.health.values()].filter((h) => h.state === 'impaired' && t - Date.parse(h.since) <= DEFAULT_POLICY.selfFreezeWindowMs - s.minutes * 60_000);
        if (freshlyImpaired.length >= 2) expect(snap.ops?.freeze.frozen).toBe(true);
      }
      // Invariant: the budget (25% of a region's 16 GPUs = 4, 10% of 48 = 4 fleet-wide per 10 min) for running work.
      const reachableMoves = moves.filter((m) => m.reachable);
      for (const m of reachableMoves) {
        const inWindow = reachableMoves.filter((x) => x.at > m.at - 10 * 60_000 && x.at <= m.at);
        expect(inWindow.reduce((n, x) => n + x.gpus, 0), JSON.stringify(moves)).toBeLessThanOrEqual(4);
      }
      // Invariant: one automatic failover per region per window (different episodes). A failover happens when its
      // episode's first job moves; later moves of the same episode (stragglers) finish it and start no new window.
      const started = new Map<string, number>();
      for (const x of moves) started.set(`${x.from}|${x.episode}`, Math.min(started.get(`${x.from}|${x.episode}`) ?? Infinity, x.at));
      for (const m of moves) {
        const mine = started.get(`${m.from}|${m.episode}`)!;
        const other = [...started].map(([k, at]) => ({ from: k.split('|')[0], episode: k.slice(k.indexOf('|') + 1), at }))
          .find((x) => x.from === m.from && x.episode !== m.episode && x.at < mine && mine - x.at < DEFAULT_POLICY.failoverWindowMs);
        expect(other, `${m.from} failed over twice within the window: ${JSON.stringify(moves)}`).toBeUndefined();
      }
    }), { numRuns: 60 });
  }, 60_000);
});

describe('dry run', () => {
  it('decides and records everything, acts on nothing', async () => {
    const f = fakePorts(clusters, { dryRun: true });
    await admitJob({ jobId: 'j', entrypoint: 'x', gpus: 2, regions: ['eastus2'] }, f.ports);
    const calls = f.ray.calls.length;
    const [outcome] = await handleSignals([outage(['eastus2'])], f.ports);
    expect(outcome!.actions.map((a) => a.status)).toEqual(['dryRun', 'dryRun', 'dryRun']);
    expect(f.queue.sent).toEqual([]);
    expect(f.ray.calls.length).toBe(calls);
    expect((await f.ports.state.snapshot(new Date())).health.get('eastus2')?.state ?? 'healthy').toBe('healthy');
    expect((await f.ports.state.actions()).every((a) => a.dryRun)).toBe(true);
  });
});
