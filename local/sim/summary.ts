/** The figures as a short table for people, and as the one JSON object `autopilot simulate --json` prints. */
import type { Figures } from './figures.js';

export function summaryLines(f: Figures): string[] {
  const worst = f.recoveries.reduce<Figures['recoveries'][number] | undefined>((w, r) => (!w || r.ratio > w.ratio ? r : w), undefined);
  const recovery = f.recoveryRatio === null ? 'no disruption'
    : `${f.recoveryRatio.toFixed(3)}  (${worst!.disruption}: ${worst!.recoverySeconds ?? `not recovered, ${worst!.unrecovered} jobs`} s vs floor ${worst!.floorSeconds} s${worst!.neededNewNodes ? ', with new nodes' : ''})`;
  const rows: Array<[string, string]> = [
    ['jobs submitted / finished', `${f.jobsSubmitted} / ${f.jobsSucceeded}`],
    ['jobs lost', String(f.jobsLost)],
    ['jobs run twice', String(f.jobsRunTwice)],
    ['recovery ÷ physical floor', recovery],
    ['GPU-hours of work lost', f.gpuHoursLost.toFixed(3)],
    ['ARM writes (PUTs)', `${f.armWrites} (${f.armPutsAccepted} accepted)`],
    ['actions', Object.entries(f.actions).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'],
    ['budget / freeze events', `${f.budgetEvents} / ${f.freezeEvents}${f.otherWithheld ? ` (and ${f.otherWithheld} other actions held back)` : ''}`],
    ['signals', `${f.signals.processed} processed, ${f.signals.duplicate} duplicates, ${f.signals.stale} stale, ${f.signals.recordedNotProcessed} left to reconcile`],
    ['queue', `${f.queue.deadLettered} dead-lettered, ${f.queue.duplicatesDropped} duplicate sends dropped`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `Game day ${f.scenario} (seed ${f.seed}): ${f.simulatedSeconds / 60} min of fleet time in ${(f.wallMs / 1000).toFixed(2)} s`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  for (const l of f.lost) lines.push(`  lost ${l.jobId}: ${l.why}`);
  for (const e of f.invocationErrors.slice(0, 10)) lines.push(`  invocation threw: ${e}`);
  for (const e of f.unreadableAlerts.slice(0, 10)) lines.push(`  alert not read: ${e}`);
  return lines;
}

/** The `--json` object: the contract's keys first, then the detail. */
export function summaryJson(f: Figures): Record<string, unknown> {
  const { jobsLost, jobsRunTwice, recoveryRatio, gpuHoursLost, armWrites, actions, ...rest } = f;
  return { jobsLost, jobsRunTwice, recoveryRatio, gpuHoursLost, armWrites, actions, ...rest };
}
