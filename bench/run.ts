/**
 * `npm run bench`: figures against DESIGN §8, as medians within one run (the machine is shared and
 * noisy, so ratios and medians, never single timings).
 *  1. Region outage on the local host + twin: alert sent → answered (recorded, stopped, requeued),
 *     and alert sent → the last affected job RUNNING on another region's cluster. Five drills.
 *  2. Cold start: importing the deployed bundle ÷ importing bare @azure/functions, 15 fresh processes each.
 *  3. Signal parsing: a 1,000-event Event Grid batch and single alerts, in process.
 *  4. Capacity: planCapacity and place() on 20 regions, 200 clusters, 2,000 GPU nodes, 10,000 jobs.
 *  5. Alert storm: 10,000 quota alerts × 3 shuffled deliveries → ARM PUTs per pool per minute, duplicate effects.
 *  6. Simulate: wall time of one simulated hour of the region-outage and bad-day game days, with their figures.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { regionOutageDrill, regionRecovery } from '../local/outageDrill.js';
import { startStack } from '../local/stack.js';
import { simulateBench } from '../local/sim/simulateBench.js';
import { alertStormBench } from './alertStorm.js';
import { capacityBench } from './capacity.js';
import { signalParsingBench } from './signalParsing.js';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function outageDrills(rounds: number) {
  const stack = await startStack({ port: 0, stepMs: 20, reconcileSchedule: '*/1 * * * * *', recoveryHoldDownSeconds: 1, waitBackoffSeconds: 1, failoverWindowSeconds: 1 });
  try {
    for (let i = 0; i < 12; i++) {
      await stack.api('/api/jobs', { body: { jobId: `bench-${i}`, entrypoint: 'python train.py', gpus: 2, checkpointPrefix: `runs/bench-${i}/`, runtimeEnv: { env_vars: { TOTAL_STEPS: '100000000', CHECKPOINT_EVERY: '10' } } } });
    }
    const settle = async () => { for (let t = 0; t < 400 && stack.world.allJobs().filter((j) => j.status === 'RUNNING' && !stack.world.isDown(stack.world.clusters.get(j.clusterId)!.region)).length < 12; t++) await new Promise((r) => setTimeout(r, 50)); };
    await settle();
    const answered: number[] = [];
    const allRunning: number[] = [];
    const moved: number[] = [];
    const regions = ['eastus2', 'swedencentral', 'westus3'];
    for (let i = 0; i < rounds; i++) {
      const region = regions[i % regions.length]!;
      const r = await regionOutageDrill(stack, region, { trackingId: `BENCH-${i}` });
      answered.push(r.alertToRequeuedMs);
      if (r.alertToAllRunningMs !== undefined) allRunning.push(r.alertToAllRunningMs);
      moved.push(r.affected.length);
      await regionRecovery(stack, region, `BENCH-${i}`);
      await new Promise((res) => setTimeout(res, 2500)); // hold-down (1 s) + a reconcile pass
      await settle();
    }
    console.log(`region outage (local host + twin, ${rounds} drills, ${moved.join('/')} jobs moved):`);
    console.log(`  alert → answered (recorded, planned, Ray stop, requeue sent): median ${fmt(median(answered))}  [${answered.map(fmt).join(', ')}]`);
    console.log(`  alert → last affected job running in another region:         median ${fmt(median(allRunning))}  [${allRunning.map(fmt).join(', ')}]  (target: ≤ 3 min after confirmation)`);
    console.log(`  drills that did not finish within 60 s: ${rounds - allRunning.length}; ticks with a job running twice: ${stack.world.stats().doubleRunTicks}`);
  } finally {
    await stack.stop();
  }
}

function coldStart(runs: number) {
  if (!existsSync('dist/functions/index.js')) execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
  const time = (code: string) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`cold start probe failed: ${code}`);
    return performance.now() - t0;
  };
  const bare: number[] = [];
  const bundle: number[] = [];
  for (let i = 0; i < runs; i++) { // interleaved, so load on the machine hits both alike
    bare.push(time("await import('@azure/functions')"));
    bundle.push(time("await import('./dist/functions/index.js')"));
  }
  console.log(`cold start (${runs} fresh processes each, interleaved):`);
  console.log(`  import bare @azure/functions: median ${fmt(median(bare))}; import the deployed bundle: median ${fmt(median(bundle))}; ratio ${(median(bundle) / median(bare)).toFixed(2)} (target ≤ 1.5)`);
}

console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
for (const line of signalParsingBench()) console.log(line);
for (const line of capacityBench()) console.log(line);
for (const line of await alertStormBench()) console.log(line);
for (const line of await simulateBench()) console.log(line);
coldStart(15);
await outageDrills(5);
