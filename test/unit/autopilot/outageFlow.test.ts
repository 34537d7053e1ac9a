/**
 * The slice in process, on in-memory fakes: jobs placed → a region outage → each job there stopped
 * and requeued once, from its checkpoint → placed elsewhere. Delivery is at-least-once everywhere.
 */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import { submitJob } from '../../../shared/autopilot/submitJob.js';
import { cluster, outage } from '../../support/builders.js';
import { fakePorts } from '../../support/fakes.js';

const clusters = [cluster('eastus2', 'a', 8), cluster('westus3', 'a', 8), cluster('swedencentral', 'a', 8)];

async function fleetWithJobs(n: number) {
  const f = fakePorts(clusters);
  for (let i = 0; i < n; i++) {
    await submitJob({ jobId: `job-${i}`, entrypoint: 'python train.py', gpus: 2, checkpointPrefix: `runs/job-${i}/` }, f.ports);
  }
  for (const { message } of f.queue.drain()) expect(await admitJob(message, f.ports)).toMatchObject({ settle: 'complete', result: 'running' });
  return f;
}

describe('region outage, end to end in process', () => {
  it('requeues every job of the impaired region once, with resumeFrom, and runs it elsewhere', async () => {
    const f = await fleetWithJobs(6);
    const inEast = (await f.ports.state.snapshot(new Date())).jobs.filter((j) => j.region === 'eastus2').map((j) => j.jobId).sort();
    expect(inEast).toHaveLength(2);
    for (const id of inEast) f.checkpoints.latest.set(`runs/${id}/`, `runs/${id}/checkpoint_000040`);

    const signal = outage(['eastus2']);
    f.ray.unreachable.add(clusters[0]!.rayEndpoint); // the region is down: its Ray does not answer
    for (let i = 0; i < 3; i++) await handleSignals([signal], f.ports); // delivered three times

    const requeues = f.queue.drain();
    expect(requeues.map((r) => r.messageId).sort()).toEqual(inEast.map((id) => `${id}:2`));
    expect([...new Set(f.ray.calls.filter((c) => c.startsWith('stop')))].sort()).toEqual(inEast.map((id) => `stop ${id}-1`));
    for (const r of requeues) expect(r.message).toMatchObject({ attempt: 2, excludeRegions: ['eastus2'], resumeFrom: `runs/${r.message.jobId}/checkpoint_000040` });

    // Each requeue delivered twice: one Ray submission each, never in eastus2.
    for (const r of [...requeues, ...requeues]) await admitJob(r.message, f.ports);
    const snap = await f.ports.state.snapshot(new Date());
    for (const id of inEast) {
      const job = snap.jobs.find((j) => j.jobId === id)!;
      expect(job).toMatchObject({ state: 'running', attempt: 2, resumeFrom: `runs/${id}/checkpoint_000040` });
      expect(job.region).not.toBe('eastus2');
      expect(f.ray.calls.filter((c) => c === `submit ${id}-2`)).toHaveLength(1); // the repeat is seen as done: no second submission
      expect([...f.ray.jobs.values()].map((j) => j.request.submissionId).filter((k) => k.startsWith(`${id}-`))).toEqual([`${id}-1`, `${id}-2`]);
    }
    expect(snap.health.get('eastus2')?.state).toBe('impaired');
    expect(snap.jobs.filter((j) => j.state === 'running')).toHaveLength(6);
    // GPUs of the moved attempts were released; the impaired region holds none.
    expect(Object.keys(snap.ledgers.get(clusters[0]!.id)?.allocations ?? {})).toEqual([]);
  });

  it('a stale requeue (older attempt) delivered late changes nothing', async () => {
    const f = await fleetWithJobs(1);
    const first = await f.ports.state.job('job-0');
    await handleSignals([outage([first!.region!])], f.ports);
    const [requeue] = f.queue.drain();
    await admitJob(requeue!.message, f.ports);
    const outcome = await admitJob({ jobId: 'job-0', entrypoint: 'python train.py', gpus: 2, checkpointPrefix: 'runs/job-0/' }, f.ports);
    expect(outcome).toMatchObject({ settle: 'complete', result: 'stale' });
  });

  it('a job that fits nowhere waits with a scheduled redelivery and reasons per region', async () => {
    const f = fakePorts(clusters);
    const outcome = await admitJob({ jobId: 'big', entrypoint: 'x', gpus: 64 }, f.ports);
    expect(outcome).toMatchObject({ settle: 'complete', result: 'waiting' });
    const [wait] = f.queue.drain();
    expect(wait!.messageId).toBe('big:1:wait1');
    expect(wait!.notBefore).toBeInstanceOf(Date);
    expect((await f.ports.state.job('big'))?.reason).toContain('eastus2: 8 free GPUs on its best cluster, job needs 64');
  });

  it('an invalid job message is refused with the field named, and nothing is submitted', async () => {
    const f = fakePorts(clusters);
    const outcome = await admitJob({ jobId: 'bad', entrypoint: 'x', gpus: 'two' }, f.ports);
    expect(outcome).toMatchObject({ settle: 'deadLetter', reason: 'InvalidJobSpec' });
    expect(outcome.settle === 'deadLetter' && outcome.description).toMatch(/^gpus: /);
    expect(f.ray.calls).toEqual([]);
  });

  it('a requeue that failed to send is finished by reconcile, without a duplicate', async () => {
    const f = await fleetWithJobs(2);
    const victim = (await f.ports.state.snapshot(new Date())).jobs[0]!;
    const send = f.queue.send.bind(f.queue);
    let failures = 1;
    f.queue.send = async (m, o) => { if (failures-- > 0) throw new Error('ServiceBusError: ServiceUnavailable'); return send(m, o); };
    const [outcome] = await handleSignals([outage([victim.region!])], f.ports);
    expect(outcome!.status).toBe('recordedNotProcessed');
    expect(f.queue.sent).toHaveLength(0);
    const result = await reconcile(f.ports);
    expect(result.signalsRetried).toBe(1);
    expect(f.queue.drain().map((s) => s.messageId)).toEqual([`${victim.jobId}:2`]);
    expect((await f.ports.state.signals())[0]!.status).toBe('processed');
  });
});
