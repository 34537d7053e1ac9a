/**
 * `npm start` / `autopilot start`: the whole thing on loopback with a demo that runs itself —
 * jobs submitted steadily, a region outage after ~30 s, its jobs resuming elsewhere, the region
 * recovering later. The console says what happens as it happens; the full structured log goes to
 * .local/autopilot.log. `--scenario <name>` plays a game day from scenarios/ instead, faster than
 * fleet time (`--speed`, default 20×).
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { regionOutageDrill, regionRecovery } from '../outageDrill.js';
import { playOnStack } from '../sim/liveGameDay.js';
import { startGameDay } from '../sim/startScenario.js';
import { startStack, type Stack } from '../stack.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUTAGE_AFTER_MS = 30_000;
const RECOVER_AFTER_MS = 45_000;
const SUBMIT_EVERY_MS = 3_000;
const OUTAGE_REGION = 'eastus2';

const stamp = () => new Date().toISOString().slice(11, 19);
const say = (line: string) => console.log(`${stamp()}  ${line}`);

export async function start(args: readonly string[] = []): Promise<void> {
  const game = await startGameDay(args);
  if (typeof game === 'string') {
    console.error(`autopilot start: ${game}`);
    process.exitCode = 2;
    return;
  }
  const port = Number(process.env.PORT ?? 7071);
  await mkdir(join(REPO_ROOT, '.local'), { recursive: true });
  const logPath = join(REPO_ROOT, '.local', 'autopilot.log');
  const logFile = createWriteStream(logPath, { flags: 'w' });
  say('GPU Fleet Autopilot — local twin. Starting…');
  let stack: Stack;
  try {
    stack = await startStack({
      port,
      ...game?.setup.options,
      log: (record) => {
        logFile.write(`${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`);
        if (record.level === 'error' || record.level === 'warn' || record.level === 'warning') say(`  ${record.level}: ${record.message}`);
        else if (typeof record.message === 'string' && /^(Azurite|Service Bus twin)/.test(record.message)) say(`  ${record.message}`);
      },
    });
  } catch (e) {
    console.error(`Could not start: ${(e as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const { world } = stack;
  say(`  Fleet twin: ${world.regions.map((r) => r.name).join(', ')} — ${world.clusters.size} AKS clusters, ${[...world.clusters.values()].reduce((a, c) => a + c.gpus, 0)} GPUs; an ARM endpoint, a Kubernetes API server per cluster (Ray reached through its service proxy), Azure Monitor queries`);
  say(`  Local Functions host on ${stack.hostUrl} serving: ${stack.host.functions.join(', ')}`);
  console.log(`
Where to look (function key for this run: ${stack.functionKey}):
  dashboard: ${stack.hostUrl}/api/dashboard?code=${encodeURIComponent(stack.functionKey)}
  curl -s -H 'x-functions-key: ${stack.functionKey}' ${stack.hostUrl}/api/fleet
  curl -s -H 'x-functions-key: ${stack.functionKey}' ${stack.hostUrl}/api/jobs/demo-job-001
  curl -s -H 'x-functions-key: ${stack.functionKey}' '${stack.hostUrl}/api/actions?limit=20'     (the audit trail: every decision and why)
  full structured log: ${logPath}
${game
    ? `Game day: ${game.scenario.name} at ${game.speed}× (${game.scenario.duration / 60_000} min of fleet time in ${(game.scenario.duration / game.speed / 60_000).toFixed(1)} min). Ctrl-C stops everything.`
    : `Demo: a job every ${SUBMIT_EVERY_MS / 1000} s; ${OUTAGE_REGION} goes down at +${OUTAGE_AFTER_MS / 1000} s and comes back ${RECOVER_AFTER_MS / 1000} s later. Ctrl-C stops everything.`}
`);

  world.on('jobStarted', (job) => {
    const where = world.clusters.get(job.clusterId)!;
    if (job.attempt > 1) say(`▶ ${job.jobId} attempt ${job.attempt} running on ${where.name} (${where.region}), resumed from step ${job.startStep}`);
  });
  world.on('jobEnded', (job) => {
    const where = world.clusters.get(job.clusterId)!;
    const newer = world.allJobs().find((j) => j.jobId === job.jobId && j.attempt > job.attempt);
    if (job.status === 'SUCCEEDED') say(`✓ ${job.jobId} finished (${job.totalSteps} steps) on ${where.name}`);
    else if (newer) say(`■ ${job.jobId}: the cut-off copy (attempt ${job.attempt}) on ${where.name} is ${job.status}; attempt ${newer.attempt} carries on — it never ran twice`);
    else say(`■ ${job.jobId} attempt ${job.attempt} ${job.status}: ${job.message}`);
  });

  stack.arm.on('poolScaled', (clusterId, pool, count) => {
    say(`⤴ ARM: pool ${pool} on ${clusterId.split('/').pop()} now has ${count} nodes (${count} GPUs)`);
  });
  stack.arm.on('operationFinished', (op) => {
    if (op.status === 'Failed') say(`! ARM: resize of ${op.pool} on ${op.clusterId.split('/').pop()} failed: ${op.error?.code ?? 'unknown'}`);
  });

  let n = 0;
  const submit = async () => {
    n++;
    const jobId = `demo-job-${String(n).padStart(3, '0')}`;
    const res = await stack.api('/api/jobs', { body: {
      jobId, entrypoint: 'python train.py --resume-from-latest', gpus: 2, checkpointPrefix: `runs/${jobId}/`,
      runtimeEnv: { env_vars: { TOTAL_STEPS: '450', CHECKPOINT_EVERY: '50' } },
    } }).catch((e: Error) => ({ status: 0, body: e.message }));
    if (res.status !== 202 && !stopping) say(`  submit ${jobId} → ${res.status} ${JSON.stringify(res.body)}`);
  };
  const timers: NodeJS.Timeout[] = [];
  let stopping = false;
  let stopGame = () => {};
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    say('Stopping…');
    stopGame();
    for (const t of timers) clearTimeout(t); // clears intervals too (one id space in Node)
    await stack.stop();
    logFile.end();
    say('Stopped. Nothing left running.');
  };
  process.once('SIGINT', () => { void shutdown(); });
  process.once('SIGTERM', () => { void shutdown(); });

  const every = (ms: number, fn: () => Promise<void>) => { if (!stopping) timers.push(setInterval(() => { if (!stopping) void fn(); }, ms)); };
  const after = (ms: number, fn: () => Promise<void>) => { if (!stopping) timers.push(setTimeout(() => { if (!stopping) void fn(); }, ms)); };
  if (game) {
    for (const line of game.setup.notApplied) say(`  not applied on the live stack: ${line}`);
    const live = playOnStack(stack, game.scenario, { speed: game.speed, say, ...(game.seed !== undefined ? { seed: game.seed } : {}) });
    for (const line of live.skipped) say(`  not played (no stack hook for it): ${line}`);
    stopGame = () => live.stop();
  } else {
    every(SUBMIT_EVERY_MS, submit);
    void submit();
    after(OUTAGE_AFTER_MS, async () => {
      say(`⚡ Region outage: ${OUTAGE_REGION} goes dark; Service Health sends an incident alert to POST /api/alerts`);
      const result = await regionOutageDrill(stack, OUTAGE_REGION, { trackingId: 'DEMO-OUTAGE-1' }).catch((e: Error) => { say(`  outage drill failed: ${e.message}`); return undefined; });
      if (!result) return;
      say(`  alert answered ${result.alertStatus} in ${result.alertToRequeuedMs.toFixed(0)} ms: ${result.affected.length} jobs of ${OUTAGE_REGION} stopped/requeued (${result.affected.join(', ') || 'none'})`);
      if (result.alertToAllRunningMs !== undefined) {
        say(`★ Every job of ${OUTAGE_REGION} is running elsewhere ${result.alertToAllRunningMs.toFixed(0)} ms after the alert was received; work lost: ${result.moves.map((m) => `${m.jobId} ${m.lostSteps} steps`).join(', ') || 'none'}`);
      } else {
        say(`! Not every job of ${OUTAGE_REGION} was running elsewhere within 60 s; see GET /api/fleet and ${logPath}`);
      }
      after(RECOVER_AFTER_MS, async () => {
        say(`☀ ${OUTAGE_REGION} is back; Service Health sends Resolved. It stays 'recovering' for the hold-down (20 s), then takes work again`);
        await regionRecovery(stack, OUTAGE_REGION, 'DEMO-OUTAGE-1').catch((e: Error) => say(`  recovery alert failed: ${e.message}`));
      });
    });
  }
  let lastHealth = '';
  every(10_000, async () => {
    const fleet = await stack.api('/api/fleet').catch(() => undefined);
    if (!fleet || fleet.status !== 200) return;
    const health = (fleet.body.regions as Array<{ region: string; health: string }>).map((r) => `${r.region}=${r.health}`).join(' ');
    const jobs = Object.entries(fleet.body.jobs.byState as Record<string, number>).map(([s, c]) => `${s} ${c}`).join(', ');
    if (health !== lastHealth) say(`  regions: ${health}`);
    lastHealth = health;
    say(`  jobs: ${jobs}`);
  });
}
