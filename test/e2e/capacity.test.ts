/**
 * Capacity end to end on the local host: a quota alert in one region plus a burst of jobs → pools grow
 * in the other regions within quota (through the real ARM SDK against the twin's ARM face), every job
 * runs, nothing exceeds quota, and the full region's pools are left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as waitUntil } from '../support/until.js';
import { DEMO_POOL, DEMO_SUBSCRIPTION } from '../../local/demoFleet.js';
import { startStack, type Stack } from '../../local/stack.js';

let stack: Stack;
let started = 0;
const FULL = 'eastus2';

const until = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 45_000) => waitUntil(what, probe, timeoutMs);
const gpusOf = (region: string) => stack.arm.pools().filter((p) => p.region === region).reduce((n, p) => n + p.count, 0);
const familyUsage = (region: string) => stack.arm.usage(DEMO_SUBSCRIPTION, region).find((u) => u.name.toLowerCase() === DEMO_POOL.family.toLowerCase())!;

beforeAll(async () => {
  started = Date.now();
  stack = await startStack({ port: 0, stepMs: 20, reconcileSchedule: '*/1 * * * * *', provisioningMs: 300, waitBackoffSeconds: 1 });
}, 60_000);
afterAll(async () => { await stack?.stop(); });

describe('capacity: quota alert + burst of jobs', () => {
  it('grows pools only where quota allows, and every job runs', async () => {
    // eastus2's GPU family is used up by other workloads; Azure Monitor says so.
    const u = familyUsage(FULL);
    stack.arm.setBaseline(DEMO_SUBSCRIPTION, FULL, DEMO_POOL.family, u.limit - u.used);
    const alert = await stack.quotaAlert(FULL, 'Fired');
    expect(alert.status).toBe(200);
    expect(alert.body.signals).toMatchObject([{ kind: 'quotaPressure', status: 'processed' }]);
    const before = { east: gpusOf(FULL), others: gpusOf('swedencentral') + gpusOf('westus3') };

    // A burst: more single-GPU jobs than the fleet has free GPUs (6 clusters × 8).
    const jobs = 56;
    for (let i = 0; i < jobs; i++) {
      const res = await stack.api('/api/jobs', { body: { jobId: `burst-${i}`, entrypoint: 'python train.py', gpus: 1, runtimeEnv: { env_vars: { TOTAL_STEPS: '100000000' } } } });
      expect(res.status).toBe(202);
    }
    // Jobs that wait ask for nodes at once, so a burst that arrives over a few seconds can be grown for in two
    // rounds, and AKS allows one PUT per pool per minute: give it a second minute.
    await until('every job running', () => stack.world.allJobs().filter((j) => j.status === 'RUNNING').length === jobs || undefined, 110_000)
      .catch(async (e) => { throw new Error(`${(e as Error).message}: ${JSON.stringify((await stack.api('/api/fleet')).body.regions.map((r: any) => ({ r: r.region, c: r.clusters.map((c: any) => [c.gpus, c.gpusAllocated]), q: r.quota, u: r.unavailable })))}`); });

    // Pools grew outside eastus2 by what the burst needed beyond free capacity, and not in eastus2.
    expect(gpusOf(FULL)).toBe(before.east);
    expect(gpusOf('swedencentral') + gpusOf('westus3')).toBeGreaterThanOrEqual(before.others + (jobs - 48));
    // Nothing exceeds quota, in any bucket of any region, and ARM never refused a PUT for quota.
    for (const region of ['eastus2', 'swedencentral', 'westus3']) {
      for (const bucket of stack.arm.usage(DEMO_SUBSCRIPTION, region)) expect(bucket.used, `${region}/${bucket.name}`).toBeLessThanOrEqual(bucket.limit);
    }
    const pools = stack.arm.pools();
    expect(pools.filter((p) => p.region === FULL).every((p) => p.puts === 0)).toBe(true);
    expect(pools.reduce((n, p) => n + p.puts, 0)).toBe(pools.reduce((n, p) => n + p.acceptedPuts, 0));

    // The autopilot's view says why: quota per family, pools with their counts.
    const fleet = (await stack.api('/api/fleet')).body;
    const east = fleet.regions.find((r: { region: string }) => r.region === FULL);
    expect(east.quota.find((q: { name: string }) => q.name.toLowerCase() === DEMO_POOL.family.toLowerCase()).headroom).toBe(0);
    expect(fleet.regions.flatMap((r: any) => r.clusters.flatMap((c: any) => c.pools)).every((p: any) => typeof p.count === 'number')).toBe(true);
  }, 150_000);

  it('at most one PUT per pool per minute', () => {
    const minutes = Math.ceil((Date.now() - started) / 60_000);
    for (const p of stack.arm.pools()) expect(p.puts, `${p.clusterId}/${p.pool}`).toBeLessThanOrEqual(minutes);
  });
});
