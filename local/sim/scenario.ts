/**
 * A game-day scenario file (scenarios/<name>.yaml): the fleet, the jobs, a timeline of faults and signals, and how
 * long to run. Validated with zod; every problem is reported at once, each with the path of its field
 * (`timeline.3.region: …`). Durations are seconds or text such as `90s`, `10m`, `1h30m`.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeIssues } from '../../shared/config/problems.js';
import { fleetProblems } from './scenarioFleet.js';

const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/;

/** `90`, `90s`, `10m`, `1h30m`, `250ms` → milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const [, h, min, s, ms] = m;
  return Math.round(Number(h ?? 0) * 3_600_000 + Number(min ?? 0) * 60_000 + Number(s ?? 0) * 1000 + Number(ms ?? 0));
}

/** A duration in, milliseconds out. Defaults are given with `.prefault` (an input, parsed like one). */
const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration: seconds, or text such as 90s, 10m, 1h30m` });
    return z.NEVER;
  }
  return ms;
});

const armRegion = z.string().regex(/^[a-z0-9]+$/, 'an ARM region name such as "eastus2"');
const name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-", starting with a letter');
const count = z.number().int().min(0);

const poolSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, 'an AKS pool name: 1–12 lower-case letters and digits'),
  vmSize: z.string().min(1),
  /** Nodes at the start. */
  count,
  minCount: count,
  maxCount: count,
  spot: z.boolean().optional(),
  autoscale: z.boolean().optional(),
}).strict().superRefine((p, ctx) => {
  if (p.minCount > p.maxCount) ctx.addIssue({ code: 'custom', path: ['maxCount'], message: `maxCount ${p.maxCount} is below minCount ${p.minCount}` });
  if (p.count < p.minCount || p.count > p.maxCount) ctx.addIssue({ code: 'custom', path: ['count'], message: `count ${p.count} is outside minCount..maxCount (${p.minCount}..${p.maxCount})` });
});

const regionSchema = z.object({
  /** vCPU limits of the region's quota buckets (Compute usages): the pools' family, `cores`, `lowPriorityCores`. */
  quota: z.object({ familyVcpus: count, regionalVcpus: count, lowPriorityVcpus: count.optional() }).strict(),
  clusters: z.array(z.object({ name, pools: z.array(poolSchema).min(1) }).strict()).min(1),
}).strict();

const fleetSchema = z.object({
  subscription: z.string().regex(/^[0-9a-f-]{36}$/i, 'a subscription id (GUID)').optional(),
  /** How long ARM takes to add or remove nodes (the operation's duration). */
  provisioning: duration,
  regions: z.record(armRegion, regionSchema).refine((r) => Object.keys(r).length >= 1, 'at least one region'),
}).strict();

const jobGroupSchema = z.object({
  /** Job ids are `<name>-001`, `<name>-002`, … */
  name,
  count: z.number().int().min(1).max(10_000),
  gpus: z.number().int().min(1),
  /** Training steps to finish (one per world tick). */
  steps: z.number().int().min(1),
  checkpointEvery: z.number().int().min(1),
  /** When the first is submitted, and the gap between submissions. */
  at: duration.prefault(0),
  every: duration.prefault(0),
  regions: z.array(armRegion).optional(),
  priority: z.number().int().min(0).max(1000).optional(),
}).strict();

/** How an alert reaches the autopilot: after a detection delay, possibly several times, out of order. */
const deliverySchema = z.object({
  /** From the fault to the first delivery (Service Health takes minutes in Azure). */
  delay: duration.prefault(0),
  /** Each alert delivered this many times (action groups retry; Monitor sends duplicates). */
  copies: z.number().int().min(1).max(20).default(1),
  /** Copies land at random moments within this window after the delay (seeded): duplicates and reordering. */
  spread: duration.prefault(0),
}).strict();

const at = { at: duration };
const region = { region: armRegion };
const trackingId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-"');
const deliveries = { deliveries: deliverySchema.optional() };

/** Which nodes a node fault hits: `count` of the cluster's GPU nodes, those running jobs first (`busy`), picked by the seed. */
const nodes = {
  cluster: name,
  nodes: z.number().int().min(1).max(1000).default(1),
  pick: z.enum(['busy', 'any']).default('busy'),
};

const armFaultKinds = ['allocationFailed', 'zonalAllocationFailed', 'skuNotAvailable', 'overconstrainedAllocationRequest',
  'throttled', 'operationNotAllowed', 'preconditionFailed', 'serverError', 'timeout'] as const;

export const eventSchema = z.discriminatedUnion('event', [
  /** The region goes dark (its clusters stop answering, its jobs stop); Service Health sends an Active incident. */
  z.object({ event: z.literal('regionDown'), ...at, ...region, trackingId, ...deliveries }).strict(),
  /** The region is back (the pods that ran there died); Service Health sends Resolved. */
  z.object({ event: z.literal('regionUp'), ...at, ...region, trackingId, ...deliveries }).strict(),
  /** Service Health declares (or resolves) an incident for a region that still works: the autopilot moves work that runs. */
  z.object({ event: z.literal('serviceHealth'), ...at, ...region, trackingId, stage: z.enum(['Active', 'Resolved']), ...deliveries }).strict(),
  /** Down and up again, `cycles` times: each cycle is its own incident (`<trackingId>-1`, `-2`, …). */
  z.object({ event: z.literal('regionFlap'), ...at, ...region, trackingId, downFor: duration, upFor: duration, cycles: z.number().int().min(1).max(50), ...deliveries }).strict(),
  /** Other workloads take the region's GPU family quota, leaving `leaveVcpus`; the quota alert fires. */
  z.object({ event: z.literal('quotaExhausted'), ...at, ...region, leaveVcpus: count.default(0), ...deliveries }).strict(),
  /** Those workloads are gone; the quota alert resolves. */
  z.object({ event: z.literal('quotaRestored'), ...at, ...region, ...deliveries }).strict(),
  /** `count` quota alerts for the region, spread over `over` (an alert storm). */
  z.object({ event: z.literal('quotaAlerts'), ...at, ...region, count: z.number().int().min(1).max(100_000), over: duration, ...deliveries }).strict(),
  /** ARM answers pools' requests with this fault for a while (sticky until `for` ends), or `times` times. */
  z.object({
    event: z.literal('armFault'), ...at, kind: z.enum(armFaultKinds), region: armRegion.optional(), cluster: name.optional(),
    for: duration.optional(), times: z.number().int().min(1).optional(), retryAfterSeconds: z.number().int().min(1).optional(),
  }).strict().superRefine((e, ctx) => {
    if (e.for === undefined && e.times === undefined) ctx.addIssue({ code: 'custom', path: ['for'], message: 'give "for" (a window) or "times" (a number of requests)' });
  }),
  /** Nodes stop posting status (NotReady); their jobs stall, then fail. Ready again after `for`, if given. */
  z.object({
    event: z.literal('nodeNotReady'), ...at, ...nodes, for: duration.optional(),
    /** Which signal Azure sends: the managed-Prometheus KubeNodeNotReady alert, or Resource Health of the VMSS instance. */
    signal: z.enum(['prometheus', 'resourceHealth']).default('prometheus'), ...deliveries,
  }).strict(),
  /** An NVIDIA XID on the nodes' GPUs: the nodes stay Ready, their jobs stall and fail; cleared after `clearAfter`, if given. */
  z.object({ event: z.literal('gpuXid'), ...at, ...nodes, xid: z.number().int().min(1).max(1000).default(79), clearAfter: duration.optional(), ...deliveries }).strict(),
  /** Azure takes Spot VMs back: a preemption notice now, the VMs gone after `notice`. */
  z.object({ event: z.literal('spotEviction'), ...at, ...nodes, notice: duration.prefault(30), ...deliveries }).strict(),
  /** The VMs are gone at once (a host failure); Resource Health reports them Unavailable. */
  z.object({ event: z.literal('nodeLost'), ...at, ...nodes, ...deliveries }).strict(),
]);

export const scenarioSchema = z.object({
  name,
  /** What happens and what good looks like, in words. */
  description: z.string().min(1),
  duration,
  seed: z.number().int().min(0).default(1),
  /** One training step per tick of the world. */
  step: duration.prefault(1),
  /** When the game day starts (virtual time; ISO 8601). */
  start: z.iso.datetime().default('2026-03-02T09:00:00Z'),
  fleet: fleetSchema,
  /** The fleet file's `policy` (seconds, as there): validated by the fleet file's own rules. */
  policy: z.record(z.string(), z.unknown()).default({}),
  autopilot: z.object({
    /** NCRONTAB, as AUTOPILOT_RECONCILE_SCHEDULE. */
    reconcileSchedule: z.string().default('0 * * * * *'),
    /** AUTOPILOT_ARM_POLL_INTERVAL_MS. */
    armPollInterval: duration.prefault(2),
    /**
     * How long a call to a cluster (Ray or Kubernetes) in a region that is down takes to fail. 0: the connection is
     * reset at once; up to the adapters' timeouts (AUTOPILOT_RAY_TIMEOUT_MS, 10 s for Kubernetes) when packets are
     * dropped instead.
     */
    unreachableAfter: duration.prefault(0),
  }).strict().prefault({}),
  /** Defaults for every alert's delivery (an event's own `deliveries` wins). */
  alerts: deliverySchema.prefault({}),
  jobs: z.array(jobGroupSchema).min(1),
  timeline: z.array(eventSchema).default([]),
}).strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioEvent = z.output<typeof eventSchema>;
export type Delivery = z.output<typeof deliverySchema>;

/** Every problem of a scenario, each naming its field. Throws ConfigError. */
export function parseScenario(text: string, source: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(source, [`(root): not valid YAML: ${(e as Error).message}`]);
  }
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  const problems = crossCheck(result.data);
  if (problems.length) throw new ConfigError(source, problems);
  return result.data;
}

export async function loadScenario(path: string): Promise<Scenario> {
  return parseScenario(await readFile(path, 'utf8'), path);
}

/** What needs the whole file: events name regions and clusters of the fleet, and happen within the run. */
function crossCheck(s: Scenario): string[] {
  const problems: string[] = [];
  const regions = new Set(Object.keys(s.fleet.regions));
  const clusters = new Set(Object.values(s.fleet.regions).flatMap((r) => r.clusters.map((c) => c.name)));
  const spotClusters = new Set(Object.values(s.fleet.regions).flatMap((r) => r.clusters.filter((c) => c.pools.some((p) => p.spot)).map((c) => c.name)));
  const seen = new Set<string>();
  for (const [r, { clusters: list }] of Object.entries(s.fleet.regions)) {
    list.forEach((c, i) => {
      if (seen.has(c.name)) problems.push(`fleet.regions.${r}.clusters.${i}.name: cluster ${c.name} is listed twice`);
      seen.add(c.name);
    });
  }
  const jobNames = new Set<string>();
  s.jobs.forEach((j, i) => {
    if (jobNames.has(j.name)) problems.push(`jobs.${i}.name: ${j.name} is used by another job group`);
    jobNames.add(j.name);
    for (const [k, r] of (j.regions ?? []).entries()) if (!regions.has(r)) problems.push(`jobs.${i}.regions.${k}: ${r} is not a region of the fleet`);
  });
  s.timeline.forEach((e, i) => {
    if ('region' in e && e.region !== undefined && !regions.has(e.region)) problems.push(`timeline.${i}.region: ${e.region} is not a region of the fleet (${[...regions].join(', ')})`);
    if ('cluster' in e && e.cluster !== undefined && !clusters.has(e.cluster)) problems.push(`timeline.${i}.cluster: ${e.cluster} is not a cluster of the fleet`);
    if (e.event === 'spotEviction' && clusters.has(e.cluster) && !spotClusters.has(e.cluster)) problems.push(`timeline.${i}.cluster: ${e.cluster} has no Spot pool to evict from`);
    if (e.at > s.duration) problems.push(`timeline.${i}.at: ${e.at / 1000} s is after the end of the run (${s.duration / 1000} s)`);
  });
  if (s.step <= 0) problems.push('step: must be longer than 0 s');
  // The pools' VM sizes and the policy, by the autopilot's own fleet-file rules.
  problems.push(...fleetProblems(s));
  return problems;
}
