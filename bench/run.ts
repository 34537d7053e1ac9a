/**
 * `npm run bench`: figures against DESIGN §8, as medians within one run (the machine is shared and
 * noisy, so ratios and medians, never single timings).
 *  1. Region outage on the local host + twin: alert sent → answered (recorded, stopped, requeued),
 *     and alert sent → the last affected job RUNNING on another region's cluster. Five drills.
 *  2. Cold start: importing the deployed bundle ÷ importing bare @azure/functions, 15 fresh processes each.
 *  3. Signal parsing: a 1,000-event Event Grid batch and single alerts, in process.
 *  4. Capacity: planCapacity and place() on 20 regions, 200 clusters, 2,000 GPU nodes, 10,000 jobs.
 *  5. Alert storm: 10,000 quota alerts × 3 shuffled deliveries → ARM PUTs per pool per minute, duplicate effects.
 *  7. Node failures on the local host + twin (NotReady, GPU XID, Spot eviction): fault → handled (the autopilot's
 *     own work), → requeued, → admitted again (queue delivery + admission), → RUNNING (the twin's tick).
 *  6. Simulate: wall time of one simulated hour of the region-outage and bad-day game days, with their figures.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { regionOutageDrill, regionRecovery } from '../local/outageDrill.js';
import { nodeFailureDrill, type NodeFaultKind } from '../local/nodeDrill.js';
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

async function nodeDrills(rounds: number) {
  const stepMs = 20;
  const stack = await startStack({ port: 0, stepMs, reconcileSchedule: '*/1 * * * * *', waitBackoffSeconds: 1, provisioningMs: 3000, nodePolicy: { stormNodes: 100 } });
  try {
    for (let i = 0; i < 12; i++) {
      await stack.api('/api/jobs', { body: { jobId: `nb-${i}`, entrypoint: 'python train.py', gpus: 2, checkpointPrefix: `runs/nb-${i}/`, runtimeEnv: { env_vars: { TOTAL_STEPS: '100000000', CHECKPOINT_EVERY: '10' } } } });
    }
    const settle = async () => { for (let t = 0; t < 400 && stack.world.allJobs().filter((j) => j.status === 'RUNNING' && j.lastCompleteCheckpoint).length < 12; t++) await new Promise((r) => setTimeout(r, 50)); };
    await settle();
    const handled: number[] = [];
    const requeued: number[] = [];
    const admitted: number[] = [];
    const running: number[] = [];
    const lost: string[] = [];
    const kinds: NodeFaultKind[] = ['notReady', 'gpuXid', 'spot'];
    for (let i = 0; i < rounds; i++) {
      const kind = kinds[i % kinds.length]!;
      // A node under a job whose pool was not written within the minute (a replacement is one PUT per pool per minute).
      const written = new Set(stack.arm.pools().filter((p) => p.lastPut).map((p) => p.clusterId));
      const job = stack.world.allJobs().filter((j) => j.status === 'RUNNING' && j.lastCompleteCheckpoint && j.placement.length && (kind === 'notReady' || !written.has(j.clusterId)))
        .sort((a, b) => a.jobId.localeCompare(b.jobId))[0];
      if (!job) break;
      const r = await nodeFailureDrill(stack, { kind, clusterId: job.clusterId, node: job.placement[0]!.node, stepMs, expectReplacement: false });
      if (r.faultToHandledMs !== undefined) handled.push(r.faultToHandledMs);
      if (r.faultToAllRunningMs !== undefined) running.push(r.faultToAllRunningMs);
      for (const id of r.affected) {
        const history = ((await stack.api(`/api/jobs/${id}`)).body?.history ?? []) as Array<{ at: string; event: string }>;
        const after = history.filter((h) => Date.parse(h.at) >= r.faultAt - 5);
        const q = after.find((h) => h.event === 'requeued');
        const run = after.find((h) => h.event === 'running');
        if (q) requeued.push(Date.parse(q.at) - r.faultAt);
        if (run) admitted.push(Date.parse(run.at) - r.faultAt);
      }
      for (const m of r.moves) lost.push(`${m.lostSteps} steps/${(m.lostGpuHours * 3600).toFixed(1)} GPU-s`);
      await new Promise((res) => setTimeout(res, 1000));
      await settle();
    }
    console.log(`node failures (local host + twin, ${rounds} drills: NotReady, GPU XID 79, Spot eviction with 30 s notice; world step ${stepMs} ms):`);
    console.log(`  fault → signal answered (record, cordon, find jobs via Ray State API, stop, requeue, remove workers, and follow the replacement's ARM operation for up to 3 s): median ${fmt(median(handled))}  [${handled.map(fmt).join(', ')}]`);
    console.log(`  fault → requeue recorded: median ${fmt(median(requeued))}; → admitted again (queue delivery by the twin + placement and Ray submit): median ${fmt(median(admitted))}`);
    console.log(`  fault → last affected job RUNNING again (adds the twin's tick): median ${fmt(median(running))}  [${running.map(fmt).join(', ')}]  (target ≤ 60 s in Azure)`);
    console.log(`  work lost per move (since the checkpoint used, at the twin's step time): ${lost.join('; ')}; ticks with a job running twice: ${stack.world.stats().doubleRunTicks}`);
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
await nodeDrills(6);
