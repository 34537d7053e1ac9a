/**
 * End to end through the local host, on loopback: Azurite (Tables, Blobs), the Service Bus AMQP
 * face with the real SDK, Ray Jobs faces, and the app's own function definitions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/until.js';
import { regionOutageDrill, regionRecovery, type OutageResult } from '../../local/outageDrill.js';
import { startStack, type Stack } from '../../local/stack.js';

let stack: Stack;
const JOBS = 8;


const runningInWorld = () => stack.world.allJobs().filter((j) => j.status === 'RUNNING');
const jobSends = () => stack.serviceBus.ops.filter((o) => o.startsWith('send:jobs:')).length;

beforeAll(async () => {
  stack = await startStack({ port: 0, stepMs: 20, reconcileSchedule: '*/1 * * * * *', recoveryHoldDownSeconds: 2, waitBackoffSeconds: 1 });
  for (let i = 0; i < JOBS; i++) {
    const jobId = `e2e-${i}`;
    const res = await stack.api('/api/jobs', { body: {
      jobId, entrypoint: 'python train.py', gpus: 2, checkpointPrefix: `runs/${jobId}/`,
      runtimeEnv: { env_vars: { TOTAL_STEPS: '1000000', CHECKPOINT_EVERY: '10' } },
    } });
    expect(res.status).toBe(202);
  }
  // Every job running, with at least one complete checkpoint.
  await until('all jobs running with a checkpoint', () => runningInWorld().filter((j) => j.lastCompleteCheckpoint).length === JOBS || undefined)
    .catch(async (e) => {
      const fleet = await stack.api('/api/fleet');
      throw new Error(`${(e as Error).message}; world: ${JSON.stringify(stack.world.allJobs().map((j) => [j.submissionId, j.status, j.step]))}; fleet: ${JSON.stringify(fleet.body?.jobs)}; bus: ${stack.serviceBus.ops.slice(-30).join(' ')}`);
    });
}, 60_000);

afterAll(async () => { await stack?.stop(); });

describe('walking skeleton: a region outage moves Ray jobs to a healthy region', () => {
  let outage: OutageResult;
  let sendsAfterOutage: number;

  it('every job of the impaired region runs on another region\'s cluster, resumed from its checkpoint', async () => {
    const region = runningInWorld().map((j) => stack.world.clusters.get(j.clusterId)!.region).sort()[0]!;
    outage = await regionOutageDrill(stack, region, { trackingId: 'E2E-1', timeoutMs: 20_000 });
    expect(outage.alertStatus).toBe(200);
    expect(outage.affected.length).toBeGreaterThan(0);
    expect(outage.alertToAllRunningMs).toBeDefined();
    expect(outage.moves.map((m) => m.jobId)).toEqual(outage.affected);
    for (const move of outage.moves) {
      expect(move.attempt).toBe(2);
      expect(move.resumedFromStep).toBeGreaterThan(0);
      expect(move.lostSteps).toBeGreaterThanOrEqual(0);
      expect(move.lostSteps).toBeLessThanOrEqual(10 + 5); // at most one checkpoint interval (+ steps in flight)
    }
    // The autopilot's own view agrees.
    await until('job records running on attempt 2', async () => {
      for (const id of outage.affected) {
        const job = (await stack.api(`/api/jobs/${id}`)).body;
        if (job.state !== 'running' || job.attempt !== 2 || job.region === region) return undefined;
        expect(job.resumeFrom).toMatch(new RegExp(`^runs/${id}/checkpoint_\\d{6}$`));
      }
      return true;
    });
    const fleet = (await stack.api('/api/fleet')).body;
    expect(fleet.regions.find((r: { region: string }) => r.region === region).health).toBe('impaired');
    sendsAfterOutage = jobSends();
  });

  it('none lost, none running twice', () => {
    const latest = new Map<string, number>();
    for (const j of stack.world.allJobs()) latest.set(j.jobId, Math.max(latest.get(j.jobId) ?? 0, j.attempt));
    expect(latest.size).toBe(JOBS);
    // Copies in the dark region still say RUNNING to nobody (unreachable, frozen): only the reachable ones run.
    const running = runningInWorld().filter((j) => !stack.world.isDown(stack.world.clusters.get(j.clusterId)!.region));
    expect(running).toHaveLength(JOBS);
    expect(new Set(running.map((j) => j.jobId)).size).toBe(JOBS);
    for (const j of running) expect(j.attempt).toBe(latest.get(j.jobId));
    expect(stack.world.stats().doubleRunTicks).toBe(0);
  });

  it('the same alert delivered 3 times causes no extra requeue', async () => {
    const again1 = await stack.api('/api/alerts', { body: outageAlertOf(outage) });
    const again2 = await stack.api('/api/alerts', { body: outageAlertOf(outage) });
    for (const r of [again1, again2]) {
      expect(r.status).toBe(200);
      // 'duplicate' once the first delivery finished; 'processed' when this delivery finished what the
      // first left in progress (reconcile may have held an action's lease): either way, no new effect.
      for (const s of r.body.signals as Array<{ status: string }>) expect(['duplicate', 'processed']).toContain(s.status);
    }
    await new Promise((r) => setTimeout(r, 1500)); // a reconcile pass runs meanwhile
    expect(jobSends()).toBe(sendsAfterOutage);
    expect(stack.world.allJobs().some((j) => j.attempt > 2)).toBe(false);
    expect(stack.serviceBus.ops.filter((o) => o.startsWith('duplicate:jobs:'))).toEqual([]);
  });

  it('invalid JSON or a body of the wrong schema → 400 naming the problem, state unchanged', async () => {
    const before = await stack.api('/api/fleet');
    const bad = await stack.api('/api/alerts', { rawBody: '{"schemaId": ' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'body' });
    expect(bad.body.error).toMatch(/not valid JSON/);
    const wrong = await stack.api('/api/alerts', { body: { schemaId: 'azureMonitorCommonAlertSchema', data: { essentials: { monitorCondition: 'Fired' } } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.field).toBe('data.essentials.alertId');
    const unknown = await stack.api('/api/alerts', { body: { hello: 'world' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe('schemaId');
    const after = await stack.api('/api/fleet');
    expect(after.body.regions).toEqual(before.body.regions);
    expect(after.body.jobs.byState).toEqual(before.body.jobs.byState);
  });

  it('refuses unauthorised calls and bad job specs with the field named', async () => {
    const anonymous = await fetch(`${stack.hostUrl}/api/fleet`);
    expect(anonymous.status).toBe(401);
    const bad = await stack.api('/api/jobs', { body: { jobId: 'bad one', entrypoint: 'x', gpus: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('jobId');
    expect(bad.body.problems).toHaveLength(2);
  });

  it('the region recovers: recovering, then healthy after the hold-down; stale copies never run', async () => {
    const resolved = await regionRecovery(stack, outage.region, 'E2E-1');
    expect(resolved.status).toBe(200);
    const health = async () => (await stack.api('/api/fleet')).body.regions.find((r: { region: string }) => r.region === outage.region).health as string;
    expect(await health()).toBe('recovering');
    await until('healthy after hold-down', async () => (await health()) === 'healthy' || undefined, 15_000);
    expect(stack.world.stats().doubleRunTicks).toBe(0);
    // The copies that were cut off died with the region's nodes; exactly one copy of each job runs.
    expect(runningInWorld()).toHaveLength(JOBS);
    expect(new Set(runningInWorld().map((j) => j.jobId)).size).toBe(JOBS);
  });
});

/** The very body the drill sent: a re-delivery by the action group. */
const outageAlertOf = (o: OutageResult): unknown => o.alert;
