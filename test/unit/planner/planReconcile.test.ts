import { describe, expect, it } from 'vitest';
import type { ClusterLedger, RegionHealth } from '../../../shared/fleet/types.js';
import { planReconcile } from '../../../shared/planner/planReconcile.js';
import type { RayJobInfo } from '../../../shared/ports/rayJobs.js';
import { cluster, NOW, runningJob, snapshot } from '../../support/builders.js';

const east = cluster('eastus2', 'a');
const west = cluster('westus3', 'a');
const info = (submissionId: string, status: RayJobInfo['status'], jobId: string, attempt: number): RayJobInfo =>
  ({ submissionId, status, metadata: { autopilotJobId: jobId, autopilotAttempt: String(attempt) } });

describe('planReconcile', () => {
  it('stops a stale attempt still running on a cluster that came back', () => {
    const job = runningJob('j', west, { attempt: 2, submissionId: 'j-2' });
    const plan = planReconcile(snapshot({ clusters: [east, west], jobs: [job] }), new Map([[east.id, [info('j-1', 'RUNNING', 'j', 1)]], [west.id, [info('j-2', 'RUNNING', 'j', 2)]]]), NOW);
    expect(plan.actions.map((a) => a.key)).toEqual([`reconcile-stop:${east.id}:j-1`]);
  });

  it('leaves alone the current attempt that Ray runs a moment before its record says so', () => {
    const job = runningJob('j', west, { state: 'queued', attempt: 2, submissionId: undefined, region: undefined, clusterId: undefined });
    const plan = planReconcile(snapshot({ clusters: [west], jobs: [job] }), new Map([[west.id, [info('j-2', 'RUNNING', 'j', 2)]]]), NOW);
    expect(plan.actions).toEqual([]);
  });

  it('records a finished job and frees its GPUs in the same action', () => {
    const job = runningJob('j', west);
    const ledgers = new Map([[west.id, { clusterId: west.id, allocations: { 'j-1': 2 } }]]);
    const plan = planReconcile(snapshot({ clusters: [west], jobs: [job], ledgers }), new Map([[west.id, [info('j-1', 'SUCCEEDED', 'j', 1)]]]), NOW);
    expect(plan.actions).toMatchObject([{ kind: 'recordJobEnd', outcome: 'succeeded', submissionId: 'j-1' }]);
  });

  it('releases GPUs held for an attempt the job has moved past', () => {
    const job = runningJob('j', west, { attempt: 2, submissionId: 'j-2' });
    const ledgers = new Map<string, ClusterLedger>([[east.id, { clusterId: east.id, allocations: { 'j-1': 2 } }], [west.id, { clusterId: west.id, allocations: { 'j-2': 2 } }]]);
    const plan = planReconcile(snapshot({ clusters: [east, west], jobs: [job], ledgers }), new Map(), NOW);
    expect(plan.actions.map((a) => a.key)).toEqual([`release:${east.id}:j-1`]);
  });

  it('stops a second copy of the current attempt on a cluster other than the recorded one', () => {
    const job = runningJob('j', west);
    const plan = planReconcile(snapshot({ clusters: [east, west], jobs: [job] }), new Map([[east.id, [info('j-1', 'RUNNING', 'j', 1)]], [west.id, [info('j-1', 'RUNNING', 'j', 1)]]]), NOW);
    expect(plan.actions.map((a) => a.key)).toEqual([`reconcile-stop:${east.id}:j-1`]);
  });

  it('records a job that finished in an impaired region as ended instead of moving it', () => {
    const impaired: RegionHealth = { region: 'eastus2', state: 'impaired', since: NOW.toISOString(), reason: 'incident', incidents: {} };
    const plan = planReconcile(snapshot({ clusters: [east, west], jobs: [runningJob('done', east)], health: new Map([['eastus2', impaired]]) }),
      new Map([[east.id, [info('done-1', 'SUCCEEDED', 'done', 1)]]]), NOW);
    expect(plan.actions.map((a) => a.kind)).toEqual(['recordJobEnd']);
  });

  it('sends a queued job again when nothing has touched it for too long', () => {
    const stuck = runningJob('s', west, { state: 'queued', submissionId: undefined, clusterId: undefined, region: undefined, updatedAt: new Date(NOW.getTime() - 11 * 60_000).toISOString() });
    const fresh = runningJob('f', west, { state: 'queued', submissionId: undefined, clusterId: undefined, region: undefined, updatedAt: new Date(NOW.getTime() - 60_000).toISOString() });
    const plan = planReconcile(snapshot({ clusters: [west], jobs: [stuck, fresh] }), new Map(), NOW);
    expect(plan.actions.map((a) => a.kind + ':' + (a as { jobId?: string }).jobId)).toEqual(['resendJob:s']);
  });

  it('ends the hold-down of a recovering region only after the policy\'s time', () => {
    const recovering = (since: Date): RegionHealth => ({ region: 'eastus2', state: 'recovering', since: since.toISOString(), reason: 'resolved', incidents: {} });
    const early = planReconcile(snapshot({ clusters: [east], health: new Map([['eastus2', recovering(new Date(NOW.getTime() - 5_000))]]) }, { recoveryHoldDownMs: 10_000 }), new Map(), NOW);
    expect(early.actions).toEqual([]);
    const late = planReconcile(snapshot({ clusters: [east], health: new Map([['eastus2', recovering(new Date(NOW.getTime() - 10_000))]]) }, { recoveryHoldDownMs: 10_000 }), new Map(), NOW);
    expect(late.actions.map((a) => a.kind)).toEqual(['endHoldDown']);
  });

  it('evacuates a job that was placed in a region while it was being marked impaired', () => {
    const impaired: RegionHealth = { region: 'eastus2', state: 'impaired', since: NOW.toISOString(), reason: 'incident', incidents: {} };
    const plan = planReconcile(snapshot({ clusters: [east, west], jobs: [runningJob('late', east)], health: new Map([['eastus2', impaired]]) }), new Map(), NOW);
    expect(plan.actions.map((a) => a.key)).toEqual(['stop:late-1', 'requeue:late:2']);
  });
});
