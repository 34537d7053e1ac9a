/** Preview → approve → execute: large automatic moves wait for a person; small ones do not. */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { operatorDecide } from '../../../shared/autopilot/operator.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import { cluster, outage } from '../../support/builders.js';
import { fakePorts } from '../../support/fakes.js';

const clusters = [cluster('eastus2', 'a', 8), cluster('westus3', 'a', 8)];

async function fleet(approvalAboveGpus: number, now: () => Date = () => new Date('2026-11-28T12:00:00Z')) {
  const f = fakePorts(clusters, { approvalAboveGpus }, now);
  for (const jobId of ['a', 'b']) await admitJob({ jobId, entrypoint: 'x', gpus: 2, regions: ['eastus2'] }, f.ports);
  return f;
}

describe('approvals', () => {
  it('an outage that would move more GPUs than allowed waits for approval; once approved, the moves run as the approver\'s', async () => {
    const f = await fleet(3);
    const [outcome] = await handleSignals([outage(['eastus2'])], f.ports);
    // The incident is recorded at once; the moves wait, and the request is made once the episode is recorded.
    expect(outcome!.actions.map((a) => a.kind)).toEqual(['applyIncident']);
    expect(f.queue.sent).toEqual([]);
    await reconcile(f.ports);
    const [pending] = await f.ports.state.ops.approvals();
    expect(pending).toMatchObject({ status: 'pending', gpus: 4 });
    // Reconcile plans the same moves again: it asks once, under the same id.
    await reconcile(f.ports);
    expect(await f.ports.state.ops.approvals()).toHaveLength(1);

    const decided = await operatorDecide(pending!.id, 'approved', 'ops-person', f.ports);
    expect('results' in decided && decided.results.filter((r) => r.kind === 'requeueJob').map((r) => r.status)).toEqual(['done', 'done']);
    expect(f.queue.drain().map((s) => s.messageId).sort()).toEqual(['a:2', 'b:2']);
    expect((await f.ports.state.actions()).filter((a) => a.kind === 'requeueJob').every((a) => a.requestedBy === 'ops-person')).toBe(true);
    expect(await operatorDecide(pending!.id, 'approved', 'someone-else', f.ports)).toMatchObject({ status: 409 });
  });

  it('a new impairment episode asks again, even after a rejection', async () => {
    let t = Date.parse('2026-11-28T12:00:00Z');
    const f = await fleet(3, () => new Date(t));
    await handleSignals([outage(['eastus2'])], f.ports);
    await reconcile(f.ports);
    const [first] = await f.ports.state.ops.approvals();
    await operatorDecide(first!.id, 'rejected', 'ops-person', f.ports);
    await handleSignals([outage(['eastus2'], 'resolved', { id: 'r:Resolved', observedAt: '2026-11-28T12:30:00.000Z' })], f.ports);
    const { healthyRegion } = await import('../../../shared/fleet/regionHealth.js');
    await f.ports.state.mutateRegion('eastus2', () => healthyRegion('eastus2', '2026-11-28T12:40:00.000Z'));
    t = Date.parse('2026-11-28T12:50:00Z');
    await handleSignals([outage(['eastus2'], 'active', { id: 'second:Fired', trackingId: 'TRK-2', observedAt: '2026-11-28T12:50:00.000Z' })], f.ports);
    await reconcile(f.ports);
    expect((await f.ports.state.ops.approvals()).map((a) => a.status).sort()).toEqual(['pending', 'rejected']);
  });

  it('below the limit, nothing waits', async () => {
    const f = await fleet(10);
    const [outcome] = await handleSignals([outage(['eastus2'])], f.ports);
    expect(outcome!.actions.filter((a) => a.kind === 'requeueJob')).toHaveLength(2);
    expect(await f.ports.state.ops.approvals()).toEqual([]);
  });

  it('a rejected move stays rejected and is not asked again', async () => {
    const f = await fleet(3);
    await handleSignals([outage(['eastus2'])], f.ports);
    await reconcile(f.ports);
    const [pending] = await f.ports.state.ops.approvals();
    expect(await operatorDecide(pending!.id, 'rejected', 'ops-person', f.ports)).toEqual({ results: [] });
    await reconcile(f.ports);
    expect((await f.ports.state.ops.approvals()).map((a) => a.status)).toEqual(['rejected']);
    expect(f.queue.sent).toEqual([]);
  });
});

describe('an approved move that fails half-way', () => {
  it('is finished by reconcile: the stopped job is requeued, not recorded as ended', async () => {
    const f = fakePorts([cluster('eastus2', 'a', 8), cluster('westus3', 'a', 8)], { approvalAboveGpus: 1 });
    await admitJob({ jobId: 'j', entrypoint: 'x', gpus: 2 }, f.ports);
    const region = (await f.ports.state.job('j'))!.region!;
    await handleSignals([outage([region])], f.ports);
    await reconcile(f.ports);
    const [pending] = await f.ports.state.ops.approvals();
    const send = f.queue.send.bind(f.queue);
    let fail = 1;
    f.queue.send = async (m, o) => { if (fail-- > 0) throw new Error('ServiceBusError: busy'); return send(m, o); };
    await operatorDecide(pending!.id, 'approved', 'ops-person', f.ports); // stop done, requeue failed
    expect(f.queue.sent).toEqual([]);
    await reconcile(f.ports);
    expect(f.queue.drain().map((s) => s.messageId)).toEqual(['j:2']);
    expect((await f.ports.state.job('j'))?.state).toBe('requeued');
  });
});

describe('disruption budget', () => {
  it('moves of work that still runs are limited per window; the rest keeps running and moves later, never twice', async () => {
    let t = Date.parse('2026-11-28T12:00:00Z');
    const f = fakePorts([cluster('eastus2', 'a', 16), cluster('westus3', 'a', 48)], {}, () => new Date(t)); // fleet 64 GPUs: 10% = 6
    for (const jobId of ['a', 'b', 'c', 'd']) await admitJob({ jobId, entrypoint: 'x', gpus: 2, regions: ['eastus2'] }, f.ports);
    // The region is impaired but its Ray still answers (the jobs still run): 25% of 16 GPUs = 4 GPUs per 10 min.
    await handleSignals([outage(['eastus2'])], f.ports);
    expect(f.queue.drain().map((m) => m.messageId).sort()).toEqual(['a:2', 'b:2']);
    await reconcile(f.ports);
    expect(f.queue.sent).toEqual([]);
    expect([...f.ray.jobs.values()].filter((j) => j.status === 'RUNNING').map((j) => j.request.submissionId).sort()).toEqual(['c-1', 'd-1']);
    t += 11 * 60_000; // the window has passed
    await reconcile(f.ports);
    expect(f.queue.drain().map((m) => m.messageId).filter((id) => !id.includes(':resend:')).sort()).toEqual(['c:2', 'd:2']);
  });
});
