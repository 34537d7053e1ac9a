/** Preview → approve → execute: large automatic moves wait for a person; small ones do not. */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { operatorDecide } from '../../../shared/autopilot/operator.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import { cluster, outage } from '../../support/builders.js';
import { fakePorts } from '../../support/fakes.js';

const clusters = [cluster('eastus2', 'a', 8), cluster('westus3', 'a', 8)];

async function fleet(approvalAboveGpus: number) {
  const f = fakePorts(clusters, { approvalAboveGpus });
  for (const jobId of ['a', 'b']) await admitJob({ jobId, entrypoint: 'x', gpus: 2, regions: ['eastus2'] }, f.ports);
  return f;
}

describe('approvals', () => {
  it('an outage that would move more GPUs than allowed waits for approval; once approved, the moves run as the approver\'s', async () => {
    const f = await fleet(3);
    const [outcome] = await handleSignals([outage(['eastus2'])], f.ports);
    expect(outcome!.actions.map((a) => a.kind)).toEqual(['applyIncident', 'requestApproval']);
    expect(f.queue.sent).toEqual([]);
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

  it('below the limit, nothing waits', async () => {
    const f = await fleet(10);
    const [outcome] = await handleSignals([outage(['eastus2'])], f.ports);
    expect(outcome!.actions.filter((a) => a.kind === 'requeueJob')).toHaveLength(2);
    expect(await f.ports.state.ops.approvals()).toEqual([]);
  });

  it('a rejected move stays rejected and is not asked again', async () => {
    const f = await fleet(3);
    await handleSignals([outage(['eastus2'])], f.ports);
    const [pending] = await f.ports.state.ops.approvals();
    expect(await operatorDecide(pending!.id, 'rejected', 'ops-person', f.ports)).toEqual({ results: [] });
    await reconcile(f.ports);
    expect((await f.ports.state.ops.approvals()).map((a) => a.status)).toEqual(['rejected']);
    expect(f.queue.sent).toEqual([]);
  });
});
