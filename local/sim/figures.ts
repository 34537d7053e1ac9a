/**
 * The figures of a game day, from the world (what really ran) and the autopilot's own records (what it decided).
 * - jobsLost: submitted jobs that at the end neither finished nor are running, queued or waiting with something in
 *   flight for them — or that the autopilot gave up on (failed, stopped, rejected).
 * - jobsRunTwice: jobs two of whose attempts made progress in the same tick, or that finished twice.
 * - recoveryRatio: per disruption, the time from the fault to the last interrupted job running again, divided by the
 *   physical floor: the detection delay (the alert cannot come sooner), node provisioning when the interrupted work
 *   did not fit in what was free elsewhere, and the job's start (one world tick). The worst; null without disruptions.
 * - gpuHoursLost: for each move, the steps since the checkpoint it resumed from (plus all the work of lost jobs),
 *   × GPUs × step duration.
 * - armWrites: PUTs the ARM model received (throttled ones included); actions: done actions by kind;
 *   budget and freeze events: actions a disruption budget or a freeze held back (distinct actions).
 */
import type { JobRecord } from '../../shared/fleet/types.js';
import type { TwinJob } from '../twin/world.js';
import type { SimRun } from './driver.js';

export interface Recovery {
  readonly disruption: string;
  readonly at: string;
  readonly interrupted: number;
  /** Seconds from the fault to the last interrupted job running again; null when one never did (see unrecovered). */
  readonly recoverySeconds: number | null;
  readonly floorSeconds: number;
  /** recovery ÷ floor; with unrecovered jobs, a lower bound computed at the end of the run. */
  readonly ratio: number;
  readonly unrecovered: number;
  readonly neededNewNodes: boolean;
}

export interface LostJob {
  readonly jobId: string;
  readonly why: string;
  readonly record?: Pick<JobRecord, 'state' | 'attempt' | 'reason' | 'history'>;
  readonly attempts: ReadonlyArray<{ attempt: number; cluster: string; status: string; startStep: number; step: number }>;
}

export interface Figures {
  readonly scenario: string;
  readonly seed: number;
  readonly jobsSubmitted: number;
  readonly jobsSucceeded: number;
  readonly jobsLost: number;
  readonly jobsRunTwice: number;
  readonly recoveryRatio: number | null;
  readonly gpuHoursLost: number;
  readonly armWrites: number;
  readonly actions: Readonly<Record<string, number>>;
  readonly budgetEvents: number;
  readonly freezeEvents: number;
  /** Other actions a guard held back (last healthy region, one failover per window, holds, approvals). */
  readonly otherWithheld: number;
  readonly simulatedSeconds: number;
  readonly wallMs: number;
  readonly recoveries: readonly Recovery[];
  readonly lost: readonly LostJob[];
  readonly runTwice: readonly string[];
  readonly armPutsAccepted: number;
  readonly queue: { readonly deadLettered: number; readonly duplicatesDropped: number };
  /** Signals by what handleSignals answered: duplicates and stale ones change nothing. */
  readonly signals: SimRun['signals'];
  readonly unreadableAlerts: readonly string[];
  readonly invocationErrors: readonly string[];
  readonly reconciles: { readonly runs: number; readonly skipped: number };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function computeFigures(run: SimRun): Promise<Figures> {
  const { harness: h, observer, scenario } = run;
  const records = new Map((await h.store.list<JobRecord>('job')).map((e) => [e.value.jobId, e.value]));
  const attempts = new Map<string, TwinJob[]>();
  for (const j of h.world.allJobs()) attempts.set(j.jobId, [...(attempts.get(j.jobId) ?? []), j]);
  for (const list of attempts.values()) list.sort((a, b) => a.attempt - b.attempt);
  const pending = h.queue.pendingJobIds();

  const lost: LostJob[] = [];
  let succeeded = 0;
  for (const jobId of run.submitted) {
    const record = records.get(jobId);
    const tries = attempts.get(jobId) ?? [];
    const why = lostBecause(record, tries, pending.has(jobId));
    if (tries.some((t) => t.status === 'SUCCEEDED')) succeeded++;
    if (why) {
      lost.push({
        jobId, why,
        ...(record ? { record: { state: record.state, attempt: record.attempt, reason: record.reason, history: record.history } } : {}),
        attempts: tries.map((t) => ({ attempt: t.attempt, cluster: h.world.clusters.get(t.clusterId)!.name, status: t.status, startStep: t.startStep, step: t.step })),
      });
    }
  }
  const lostIds = new Set(lost.map((l) => l.jobId));

  const twice = new Set(observer.doubleRunTicks.keys());
  for (const [jobId, tries] of attempts) if (tries.filter((t) => t.status === 'SUCCEEDED').length > 1) twice.add(jobId);

  let lostGpuSteps = 0;
  for (const [jobId, tries] of attempts) {
    let reached = 0;
    for (const t of tries) {
      lostGpuSteps += Math.max(0, reached - t.startStep) * t.gpus;
      reached = Math.max(reached, t.step);
    }
    if (lostIds.has(jobId)) lostGpuSteps += reached * (tries[0]?.gpus ?? 0);
  }

  const recoveries: Recovery[] = [];
  for (const d of observer.disruptions) {
    if (d.affected.size === 0) continue;
    const floor = (d.detectedAt !== undefined ? d.detectedAt - d.at : 0) + (d.needsCapacity ? scenario.fleet.provisioning : 0) + scenario.step;
    const unrecovered = [...d.affected.keys()].filter((j) => !d.recoveredAt.has(j)).length;
    const last = unrecovered ? run.endMs : Math.max(...d.recoveredAt.values());
    recoveries.push({
      disruption: d.label, at: new Date(d.at).toISOString(), interrupted: d.affected.size,
      recoverySeconds: unrecovered ? null : round((last - d.at) / 1000, 3), floorSeconds: round(floor / 1000, 3),
      ratio: round((last - d.at) / floor, 3), unrecovered, neededNewNodes: d.needsCapacity,
    });
  }

  const actions: Record<string, number> = {};
  const budget = new Set<string>();
  const freeze = new Set<string>();
  const withheld = new Set<string>();
  for (const e of h.state.events) {
    if (e.status === 'done') actions[e.kind] = (actions[e.kind] ?? 0) + 1;
    if (e.status === 'skipped' && e.text.startsWith('budget:')) budget.add(e.key);
    if (e.status === 'withheld') (e.text.startsWith('frozen:') ? freeze : withheld).add(e.key);
    if (e.status === 'done' && e.kind === 'freeze') freeze.add(e.key);
  }
  const pools = h.arm.pools();

  return {
    scenario: scenario.name, seed: run.seed,
    jobsSubmitted: run.submitted.length, jobsSucceeded: succeeded, jobsLost: lost.length, jobsRunTwice: twice.size,
    recoveryRatio: recoveries.length ? Math.max(...recoveries.map((r) => r.ratio)) : null,
    gpuHoursLost: round((lostGpuSteps * scenario.step) / 3_600_000, 3),
    armWrites: pools.reduce((n, p) => n + p.puts, 0),
    actions: Object.fromEntries(Object.entries(actions).sort(([a], [b]) => a.localeCompare(b))),
    budgetEvents: budget.size, freezeEvents: freeze.size, otherWithheld: withheld.size,
    simulatedSeconds: scenario.duration / 1000, wallMs: Math.round(run.wallMs),
    recoveries, lost, runTwice: [...twice].sort(),
    armPutsAccepted: pools.reduce((n, p) => n + p.acceptedPuts, 0),
    queue: { deadLettered: h.queue.deadLettered.length, duplicatesDropped: h.queue.duplicatesDropped },
    signals: run.signals,
    unreadableAlerts: run.unreadableAlerts, invocationErrors: run.invocationErrors, reconciles: run.reconciles,
  };
}

/** Why a job counts as lost at the end, or undefined when it is fine. */
function lostBecause(record: JobRecord | undefined, tries: readonly TwinJob[], messagePending: boolean): string | undefined {
  if (tries.some((t) => t.status === 'SUCCEEDED')) return undefined;
  if (!record) return messagePending ? undefined : 'no job record and no message for it';
  switch (record.state) {
    case 'running': {
      const live = tries.find((t) => t.submissionId === record.submissionId && t.clusterId === record.clusterId);
      if (live && (live.status === 'RUNNING' || live.status === 'PENDING')) return undefined;
      return `recorded running as ${record.submissionId}, but Ray has it ${live ? live.status : 'nowhere'}`;
    }
    case 'queued': case 'waiting': case 'requeued':
      // Still on its way (a message lost meanwhile is resent by reconcile once the job is stuck).
      return undefined;
    case 'succeeded':
      return 'recorded succeeded, but no attempt of it finished on Ray';
    default:
      return `the autopilot gave it up: ${record.state}${record.reason ? ` (${record.reason})` : ''}`;
  }
}
