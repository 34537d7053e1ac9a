/**
 * Regressions for crashes, races and re-deliveries in the core path (each was once a real bug):
 * no job runs twice, none is lost, no GPUs leak, a bad message changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import { recordRejection } from '../../../shared/autopilot/recordRejection.js';
import { submitJob } from '../../../shared/autopilot/submitJob.js';
import { submissionIdOf } from '../../../shared/jobs/jobSpec.js';
import { cluster, outage } from '../../support/builders.js';
import { fakePorts } from '../../support/fakes.js';

const clusters = [cluster('eastus2', 'a', 2), cluster('eastus2', 'b', 2), cluster('westus3', 'a', 2)];
const spec = (jobId: string) => ({ jobId, entrypoint: 'python train.py', gpus: 2, checkpointPrefix: `runs/${jobId}/` });
const running = (f: ReturnType<typeof fakePorts>) => [...f.ray.jobs.values()].filter((j) => j.status === 'RUNNING');

describe('at-least-once intake', () => {
  it('a redelivery after a crash between submit and record goes back to the same cluster: one copy, one reservation', async () => {
    const f = fakePorts(clusters);
    // Delivery 1 crashes right after Ray accepted the job (the record update never happens).
    const mutateJob = f.ports.state.mutateJob.bind(f.ports.state);
    let crash = true;
    f.ports.state.mutateJob = (async (id: string, decide: Parameters<typeof mutateJob>[1]) => {
      const cur = await f.ports.state.job(id);
      if (crash && cur && decide(cur)?.state === 'running') { crash = false; throw new Error('host died'); }
      return mutateJob(id, decide);
    }) as typeof mutateJob;
    await expect(admitJob(spec('j'), f.ports)).rejects.toThrow('host died');
    await admitJob(spec('j'), f.ports); // the broker redelivers
    expect(running(f).map((j) => j.endpoint)).toHaveLength(1);
    const snap = await f.ports.state.snapshot(new Date());
    const held = [...snap.ledgers.values()].filter((l) => submissionIdOf('j', 1) in l.allocations);
    expect(held).toHaveLength(1);
    expect(snap.jobs[0]).toMatchObject({ state: 'running', clusterId: held[0]!.clusterId });
  });

  it('a cluster that refuses submissions is avoided; the job waits and then runs elsewhere, and is not thrown back', async () => {
    const f = fakePorts([cluster('eastus2', 'a', 4), cluster('westus3', 'a', 2)]);
    f.ray.unreachable.add(clusters[0]!.rayEndpoint);
    const first = await admitJob(spec('j'), f.ports);
    expect(first).toMatchObject({ settle: 'complete', result: 'waiting' });
    expect((await f.ports.state.job('j'))?.avoidClusters).toHaveProperty([clusters[0]!.id]);
    const [retry] = f.queue.drain();
    expect(retry!.messageId).toBe('j:1:wait1');
    expect(await admitJob(retry!.message, f.ports)).toMatchObject({ settle: 'complete', result: 'running' });
    expect((await f.ports.state.job('j'))?.region).toBe('westus3');
  });

  it('a spec Ray refuses is rejected with Ray\'s reason, not retried forever', async () => {
    const f = fakePorts(clusters);
    f.ray.submitError = Object.assign(new Error('400: TypeError: metadata values must be strings'), { retryable: false });
    expect(await admitJob(spec('j'), f.ports)).toMatchObject({ settle: 'deadLetter', reason: 'RayRejected' });
    const snap = await f.ports.state.snapshot(new Date());
    expect([...snap.ledgers.values()].flatMap((l) => Object.keys(l.allocations))).toEqual([]);
  });

  it('a malformed message carrying an existing job\'s id changes nothing but a note', async () => {
    const f = fakePorts(clusters);
    await admitJob(spec('j'), f.ports);
    const before = await f.ports.state.job('j');
    const outcome = await admitJob({ jobId: 'j', gpus: 'lots' }, f.ports);
    if (outcome.settle !== 'deadLetter') throw new Error('expected a rejection');
    await recordRejection({ jobId: 'j', gpus: 'lots' }, 'm1', outcome, f.ports);
    const after = await f.ports.state.job('j');
    expect(after).toMatchObject({ state: before!.state, attempt: before!.attempt, clusterId: before!.clusterId });
    expect(after!.history.at(-1)?.event).toBe('message rejected');
  });

  it('a job that never fits is given up after the policy\'s waits, with a reason a person can act on', async () => {
    let t = Date.parse('2026-11-28T12:00:00Z');
    const f = fakePorts(clusters, { maxWaits: 2 }, () => new Date(t));
    let message: unknown = { jobId: 'huge', entrypoint: 'x', gpus: 64 };
    for (let i = 0; i < 2; i++) {
      expect(await admitJob(message, f.ports)).toMatchObject({ result: 'waiting' });
      const [redelivery] = f.queue.drain();
      message = redelivery!.message;
      t = redelivery!.notBefore!.getTime(); // the broker delivers a scheduled message when it is due
    }
    const last = await admitJob(message, f.ports);
    expect(last).toMatchObject({ settle: 'deadLetter', reason: 'NoCapacity' });
    expect((await f.ports.state.job('huge'))).toMatchObject({ state: 'failed' });
    expect((await f.ports.state.job('huge'))?.reason).toMatch(/Raise GPU quota or pool maxCount/);
  });

  it('env_vars must be strings (Ray would refuse anything else)', async () => {
    const f = fakePorts(clusters);
    await expect(submitJob({ ...spec('j'), runtimeEnv: { env_vars: { N: 1 } } }, f.ports)).rejects.toMatchObject({ field: 'runtimeEnv.env_vars.N' });
  });
});

describe('outage races', () => {
  it('a job that already finished is not moved (and so not run again) when its region goes down', async () => {
    const f = fakePorts(clusters);
    await admitJob(spec('done'), f.ports);
    const job = (await f.ports.state.job('done'))!;
    for (const j of f.ray.jobs.values()) j.status = 'SUCCEEDED';
    await handleSignals([outage([job.region!])], f.ports);
    expect(f.queue.sent).toEqual([]);
    expect((await f.ports.state.job('done'))?.state).toBe('succeeded');
  });

  it('a Fired retried after its Resolved with the same event time leaves the region recovering, not impaired', async () => {
    const f = fakePorts(clusters);
    const at = '2026-11-28T12:00:00.000Z';
    await handleSignals([outage(['eastus2'], 'active', { id: 'a:Fired', observedAt: at })], f.ports);
    await handleSignals([outage(['eastus2'], 'resolved', { id: 'a:Resolved', observedAt: at })], f.ports);
    const [late] = await handleSignals([outage(['eastus2'], 'active', { id: 'a:Fired:retry', observedAt: at })], f.ports);
    expect(late!.status).toBe('stale');
    expect((await f.ports.state.snapshot(new Date())).health.get('eastus2')?.state).toBe('recovering');
  });

  it('an evacuation planned before the region recovered does nothing once it has recovered', async () => {
    const f = fakePorts(clusters);
    await admitJob(spec('j'), f.ports);
    const region = (await f.ports.state.job('j'))!.region!;
    // Plan the Active, but let the Resolved land first (two instances at once).
    const { planForSignal } = await import('../../../shared/planner/planForSignal.js');
    const { execute } = await import('../../../shared/executor/execute.js');
    const active = outage([region], 'active', { observedAt: '2026-11-28T11:00:00.000Z' });
    const plan = planForSignal(await f.ports.state.snapshot(new Date()), active, new Date());
    await handleSignals([outage([region], 'resolved', { observedAt: '2026-11-28T11:30:00.000Z' })], f.ports);
    await execute(plan, f.ports);
    expect(f.queue.sent).toEqual([]);
    expect((await f.ports.state.job('j'))?.state).toBe('running');
  });

  it('reconcile stops a second copy and frees its GPUs', async () => {
    const f = fakePorts(clusters);
    await admitJob(spec('j'), f.ports);
    const job = (await f.ports.state.job('j'))!;
    const other = clusters.find((c) => c.id !== job.clusterId && c.region !== job.region)!;
    await f.ray.submit(other.rayEndpoint, { entrypoint: 'x', submissionId: 'j-1', metadata: { autopilotJobId: 'j', autopilotAttempt: '1' } });
    await f.ports.state.mutateLedger(other.id, (cur) => ({ ...cur, allocations: { ...cur.allocations, 'j-1': 2 } }));
    await reconcile(f.ports);
    expect(running(f).map((j) => j.endpoint)).toEqual([clusters.find((c) => c.id === job.clusterId)!.rayEndpoint]);
    expect(Object.keys((await f.ports.state.snapshot(new Date())).ledgers.get(other.id)!.allocations)).toEqual([]);
  });
});
