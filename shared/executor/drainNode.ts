/**
 * Drains a failed node: cordon it, find the Ray jobs with work on it (worker pods on the node → their Ray
 * nodes → alive actors → driver jobs), stop and requeue each from its last complete checkpoint, then remove
 * its Ray worker pods — evicted through the Eviction API (PodDisruptionBudgets honoured: a 429 waits and
 * retries) when a replacement node is coming or the node itself may come back (NotReady, degraded), so KubeRay
 * recreates them there, or on the node once it is uncordoned; scaled in through KubeRay's `workersToDelete` when
 * the node is gone for good and nothing replaces it, so KubeRay removes exactly these pods instead of picking
 * some at random, and the worker group matches the nodes there are.
 *
 * Every step is idempotent (cordon, stop and requeue under their own action keys, eviction of a gone pod),
 * so a crash or a redelivery anywhere just runs the rest again.
 */
import type { Action } from '../planner/plan.js';
import { clusterGpus } from '../planner/snapshot.js';
import { planReplacements } from '../capacity/planReplacement.js';
import type { KubePodInfo } from '../ports/kubernetes.js';
import { errorMessage } from '../observability/logger.js';
import { drainInterruptsRunningWork } from '../nodes/nodeIncident.js';
import { NotApplicableError } from './errors.js';
import type { Ports } from './ports.js';
import { execute } from './execute.js';

type DrainAction = Extract<Action, { kind: 'drainNode' }>;

/** Ray worker pods carry this label (KubeRay `ray.io/node-type`). */
const WORKER_SELECTOR = 'ray.io/node-type=worker';

export async function drainNode(action: DrainAction, ports: Ports): Promise<string> {
  const now = ports.clock.now();
  const incident = await ports.state.node(action.clusterId, action.node);
  if (!incident || incident.openedAt !== action.openedAt || incident.closedAt) throw new NotApplicableError(`${action.node}'s episode from ${action.openedAt} is over`);
  if (incident.drainedAt) return `${action.node} already drained at ${incident.drainedAt}`;
  // Act on the episode as stored, not as planned: a signal planned beside this one (a Spot notice, an XID) may have
  // joined the episode since, and this key is its one drain. Its cause only grows, so a charge only falls away.
  const replace = incident.replace;
  const deadline = incident.deadline;
  const chargeBudget = action.chargeBudget && drainInterruptsRunningWork(incident.cause);
  const cluster = ports.fleet.clusters.find((c) => c.id.toLowerCase() === action.clusterId.toLowerCase());
  if (!cluster) return `cluster ${action.clusterId} is no longer in the fleet`;

  const cordoned = await ports.kube.cordon(cluster.id, action.node);
  const pods = (await ports.kube.podsOnNode(cluster.id, action.node, WORKER_SELECTOR)).filter((p) => !p.terminating || p.podIp);
  const ips = [...new Set(pods.map((p) => p.podIp).filter((ip): ip is string => !!ip))];
  const submissions = ips.length ? await ports.ray.jobsOnNodes(cluster.rayEndpoint, ips) : [];
  if (submissions === 'unreachable') throw new Error(`Ray on ${cluster.name} did not answer: cannot tell which jobs ran on ${action.node}; cordoned, retried next pass`);

  const snapshot = await ports.state.snapshot(now);
  const jobs = snapshot.jobs.filter((j) => j.state === 'running' && j.clusterId?.toLowerCase() === cluster.id.toLowerCase() && j.submissionId && submissions.includes(j.submissionId))
    .sort((a, b) => (b.spec.priority ?? 0) - (a.spec.priority ?? 0) || a.jobId.localeCompare(b.jobId));

  if (chargeBudget && jobs.length) {
    // The node still serves its work: moving it is a disruption we choose, so it spends the budget.
    const budget = ports.fleet.policy.disruptionBudget;
    const gpusIn = (r?: string) => snapshot.clusters.filter((c) => !r || c.region === r).reduce((n, c) => n + clusterGpus(snapshot, c), 0);
    const refusal = await ports.state.ops.spendBudget(
      { region: cluster.region, gpus: jobs.reduce((n, j) => n + j.spec.gpus, 0), at: now.toISOString(), key: action.key },
      { region: Math.floor(gpusIn(cluster.region) * budget.regionFraction), fleet: Math.floor(gpusIn() * budget.fleetFraction), windowMs: budget.windowMs }, now);
    if (refusal) throw new NotApplicableError(`${refusal}; ${action.node} is cordoned, its ${jobs.length} job(s) move when the budget allows`);
  }

  // Mark first: a crash between stop and requeue leaves a STOPPED job that reconcile must move, not end.
  const ref = `${cluster.id}|${action.node}`;
  for (const job of jobs) {
    await ports.state.mutateJob(job.jobId, (cur) => cur && cur.attempt === job.attempt && cur.state === 'running' && cur.drainingFrom !== ref ? { ...cur, drainingFrom: ref } : undefined);
  }
  const moves: Action[] = jobs.flatMap((job) => moveActions(job, cluster.region, action));
  const results = moves.length ? await execute({ trigger: [action.key], actions: moves, reasons: [action.reason] }, ports) : [];
  const failed = results.find((r) => r.status === 'failed');
  if (failed) throw new Error(`moving jobs off ${action.node}: ${failed.key} failed: ${failed.outcome}`);
  const waiting = results.filter((r) => r.status === 'notApplicable' || r.status === 'inProgress');

  // A scale-in lowers the worker group for good (nothing raises it again when the node returns): only for a node
  // that will not come back and gets no replacement.
  const mayReturn = incident.cause === 'notReady' || incident.cause === 'vmDegraded';
  // A replacement is asked for (or could be): KubeRay puts the workers there. Recorded as impossible (no quota, at
  // maxCount, a suspect region): nothing will.
  const replaced = replace && (incident.replacement
    ? !incident.replacement.outcome.startsWith('no replacement')
    : planReplacements(snapshot, [{ clusterId: incident.clusterId, node: incident.node, ...(incident.pool ? { pool: incident.pool } : {}), openedAt: incident.openedAt }], now)
      .every((p) => p.kind !== 'impossible'));
  const removed = replaced || mayReturn ? await evictAll(ports, cluster.id, pods, deadline, now) : await scaleIn(ports, cluster.id, pods);
  const moved = results.filter((r) => r.kind === 'requeueJob' && (r.status === 'done' || r.status === 'skipped')).length;
  const outcome = `${cordoned === 'notFound' ? `${action.node} is gone` : `cordoned ${action.node}`}; ${jobs.length ? `moved ${moved} of ${jobs.length} job(s) (${jobs.map((j) => j.jobId).join(', ')})` : 'no Ray job had work on it'}; ${removed}`;
  if (waiting.length) {
    // A stop Ray has not finished yet: the requeue waits for it. Not done: the next pass finishes the move.
    throw new NotApplicableError(`${outcome}; waiting for ${waiting.map((w) => w.key).join(', ')}`);
  }
  await ports.state.mutateNode(cluster.id, action.node, (cur) => cur && cur.openedAt === action.openedAt && !cur.drainedAt ? { ...cur, drainedAt: now.toISOString(), drainOutcome: outcome } : undefined);
  return outcome;
}

function moveActions(job: { jobId: string; attempt: number; submissionId?: string; clusterId?: string; excludeRegions: readonly string[] }, region: string, action: DrainAction): Action[] {
  const toAttempt = job.attempt + 1;
  return [
    {
      kind: 'stopRayJob', key: `stop:${job.submissionId}`, jobId: job.jobId, attempt: job.attempt, clusterId: job.clusterId!, region,
      submissionId: job.submissionId!, reason: `${job.jobId} attempt ${job.attempt} has work on failed node ${action.node}; stop it so it never runs twice`,
    },
    {
      // The node failed, not the region: the job may land in the same region (never on this cordoned node).
      kind: 'requeueJob', key: `requeue:${job.jobId}:${toAttempt}`, jobId: job.jobId, fromAttempt: job.attempt, toAttempt, fromRegion: region,
      excludeRegions: [...job.excludeRegions], drain: true,
      reason: `${job.jobId}: node ${action.node} failed (${action.cause}); requeue as attempt ${toAttempt} from its last complete checkpoint`,
    },
  ];
}

/** Evict each worker pod; a PodDisruptionBudget's 429 waits (Retry-After) and retries until the deadline. */
async function evictAll(ports: Ports, clusterId: string, pods: readonly KubePodInfo[], deadline: string | undefined, now: Date): Promise<string> {
  const limit = Math.min(
    now.getTime() + ports.fleet.policy.nodes.evictionWaitMs,
    deadline ? Date.parse(deadline) : Infinity,
  );
  let evicted = 0;
  for (const pod of pods) {
    for (;;) {
      const result = await ports.kube.evict(clusterId, pod.namespace, pod.name);
      if (result.outcome !== 'blocked') { evicted++; break; }
      const wait = Math.max(200, Math.min(result.retryAfterMs ?? 1000, 5000));
      if (ports.clock.now().getTime() + wait > limit) {
        throw new Error(`evicting ${pod.namespace}/${pod.name}: ${result.reason}; ${evicted} of ${pods.length} worker pod(s) evicted, the rest next pass`);
      }
      await (ports.clock.sleep ?? sleep)(wait);
    }
  }
  return pods.length ? `evicted ${evicted} Ray worker pod(s) (KubeRay recreates them on a replacement node, or here once the node is back)` : 'no Ray worker pod on it';
}

/** No replacement: lower the worker group by exactly these pods, so KubeRay does not pick others. */
async function scaleIn(ports: Ports, clusterId: string, pods: readonly KubePodInfo[]): Promise<string> {
  if (!pods.length) return 'no Ray worker pod on it';
  const groups = new Map<string, KubePodInfo[]>();
  for (const p of pods) {
    const rayCluster = p.labels['ray.io/cluster'];
    const group = p.labels['ray.io/group'];
    if (!rayCluster || !group) continue;
    const key = `${p.namespace}|${rayCluster}|${group}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const out: string[] = [];
  for (const [key, members] of groups) {
    const [namespace, rayCluster, group] = key.split('|') as [string, string, string];
    try {
      const r = await ports.kube.scaleInRayWorkers(clusterId, namespace, rayCluster, group, members.map((m) => m.name));
      out.push(r.outcome === 'patched' ? `${rayCluster}/${group} scaled in to ${r.replicas} (workersToDelete ${members.map((m) => m.name).join(', ')})` : `${rayCluster}/${group}: ${r.outcome}`);
    } catch (e) {
      throw new Error(`scaling ${rayCluster}/${group} in: ${errorMessage(e)}`);
    }
  }
  return out.join('; ') || 'worker pods carry no KubeRay labels: left to KubeRay';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
