/**
 * The fleet file (YAML, DESIGN §3): regions, their AKS clusters, how to reach Ray, and policy.
 * Validated once at start-up; every problem is reported at once, with its path.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeIssues } from '../config/problems.js';
import { poolsSchema, resolveFleetPools, vmSizesSchema } from '../capacity/fleetPools.js';
import { DEFAULT_CATALOGUE } from '../capacity/vmSizes.js';
import { DEFAULT_POLICY, RAY_DASHBOARD_PORT, rayServiceProxyEndpoint, type ClusterSpec, type FleetSpec, type Policy } from './types.js';

const armRegion = z.string().regex(/^[a-z0-9]+$/, 'an ARM region name such as "eastus2"');
const clusterId = z.string().regex(
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/i,
  'an AKS resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerService/managedClusters/…)',
);

// Kubernetes names: a namespace is a DNS-1123 label; the RayCluster's head Service `<name>-head-svc` must be a DNS-1035
// label of at most 63 characters, hence a name starting with a letter and at most 54 characters.
const namespaceName = z.string().max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name (lower-case letters, digits and "-")');
const rayClusterName = z.string()
  .max(54, 'at most 54 characters, so that its head Service "<name>-head-svc" is a valid Service name')
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'a RayCluster name (lower-case letters, digits and "-", starting with a letter)');

/**
 * How to reach Ray: `endpoint` (a dashboard URL reached directly), or without it the AKS API server's service proxy
 * to the head Service `<cluster>-head-svc:8265` in `namespace` (defaults `ray` and `ray`).
 */
const raySchema = z.object({
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  namespace: namespaceName.optional(),
  cluster: rayClusterName.optional(),
}).strict().superRefine((r, ctx) => {
  if (r.endpoint === undefined) return;
  for (const key of ['namespace', 'cluster'] as const) {
    if (r[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only used without ray.endpoint (Ray through the API server\'s service proxy); remove it or the endpoint' });
  }
});

const DEFAULT_RAY_NAMESPACE = 'ray';
const DEFAULT_RAY_CLUSTER = 'ray';

const clusterSchema = z.object({
  id: clusterId,
  // Declared capacity of a cluster whose pools are not managed; with `pools`, capacity comes from ARM.
  gpus: z.number().int().min(0).optional(),
  pools: poolsSchema.optional(),
  nodeResourceGroup: z.string().min(1).max(90).optional(),
  ray: raySchema.optional(),
}).strict().superRefine((c, ctx) => {
  if (c.gpus === undefined && !c.pools?.length) ctx.addIssue({ code: 'custom', path: ['pools'], message: 'a cluster needs GPU pools to manage, or a declared gpus count' });
});

const policySchema = z.object({
  recoveryHoldDownSeconds: z.number().min(0).optional(),
  waitBackoffSeconds: z.number().min(0).optional(),
  maxWaitBackoffSeconds: z.number().min(0).optional(),
  defaultMaxAttempts: z.number().int().min(1).optional(),
  dryRun: z.boolean().optional(),
  stuckAfterSeconds: z.number().min(1).optional(),
  avoidClusterSeconds: z.number().min(0).optional(),
  quotaRefreshSeconds: z.number().min(0).optional(),
  scaleDownCooldownSeconds: z.number().min(0).optional(),
  maxWaits: z.number().int().min(1).optional(),
  selfFreezeWindowSeconds: z.number().min(0).optional(),
  failoverWindowSeconds: z.number().min(0).optional(),
  approvalAboveGpus: z.number().int().min(0).optional(),
  disruptionBudget: z.object({
    fleetPercent: z.number().min(0).max(100).optional(),
    regionPercent: z.number().min(0).max(100).optional(),
    windowSeconds: z.number().min(1).optional(),
  }).strict().optional(),
  nodes: z.object({
    recoverySeconds: z.number().min(0).optional(),
    stormNodes: z.number().int().min(1).optional(),
    stormWindowSeconds: z.number().min(1).optional(),
    replaceNotReadyAfterSeconds: z.number().min(0).optional(),
    evictionWaitSeconds: z.number().min(0).optional(),
    forgetAfterSeconds: z.number().min(1).optional(),
  }).strict().optional(),
}).strict();

const fleetSchema = z.object({
  regions: z.record(armRegion, z.object({ clusters: z.array(clusterSchema).min(1) }).strict()),
  vmSizes: vmSizesSchema.optional(),
  policy: policySchema.optional(),
}).strict();

export function parseFleetFile(text: string, source = 'fleet file'): FleetSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(source, [`(root): not valid YAML: ${(e as Error).message}`]);
  }
  const result = fleetSchema.safeParse(raw);
  // Every problem at once: the VM sizes are checked even when the shape is wrong elsewhere.
  if (!result.success) throw new ConfigError(source, [...describeIssues(result.error.issues), ...unknownVmSizes(raw)]);
  const fleetPools = resolveFleetPools(result.data);
  const problems: string[] = [...fleetPools.problems];
  const clusters: ClusterSpec[] = [];
  const seen = new Set<string>();
  for (const [region, { clusters: list }] of Object.entries(result.data.regions)) {
    list.forEach((c, i) => {
      const key = c.id.toLowerCase();
      if (seen.has(key)) problems.push(`regions.${region}.clusters.${i}.id: cluster ${c.id} is listed twice`);
      seen.add(key);
      clusters.push({
        id: c.id, name: c.id.split('/').pop()!, region, gpus: c.gpus ?? 0, pools: fleetPools.pools[region]?.[i] ?? [],
        rayEndpoint: rayEndpointOf(c.id, c.ray),
        ...(c.nodeResourceGroup ? { nodeResourceGroup: c.nodeResourceGroup } : {}),
      });
    });
  }
  if (problems.length) throw new ConfigError(source, problems);
  const p = result.data.policy ?? {};
  const policy: Policy = {
    recoveryHoldDownMs: p.recoveryHoldDownSeconds !== undefined ? p.recoveryHoldDownSeconds * 1000 : DEFAULT_POLICY.recoveryHoldDownMs,
    waitBackoffMs: p.waitBackoffSeconds !== undefined ? p.waitBackoffSeconds * 1000 : DEFAULT_POLICY.waitBackoffMs,
    maxWaitBackoffMs: p.maxWaitBackoffSeconds !== undefined ? p.maxWaitBackoffSeconds * 1000 : DEFAULT_POLICY.maxWaitBackoffMs,
    defaultMaxAttempts: p.defaultMaxAttempts ?? DEFAULT_POLICY.defaultMaxAttempts,
    dryRun: p.dryRun ?? DEFAULT_POLICY.dryRun,
    stuckAfterMs: p.stuckAfterSeconds !== undefined ? p.stuckAfterSeconds * 1000 : DEFAULT_POLICY.stuckAfterMs,
    avoidClusterMs: p.avoidClusterSeconds !== undefined ? p.avoidClusterSeconds * 1000 : DEFAULT_POLICY.avoidClusterMs,
    quotaRefreshMs: p.quotaRefreshSeconds !== undefined ? p.quotaRefreshSeconds * 1000 : DEFAULT_POLICY.quotaRefreshMs,
    scaleDownCooldownMs: p.scaleDownCooldownSeconds !== undefined ? p.scaleDownCooldownSeconds * 1000 : DEFAULT_POLICY.scaleDownCooldownMs,
    maxWaits: p.maxWaits ?? DEFAULT_POLICY.maxWaits,
    selfFreezeWindowMs: p.selfFreezeWindowSeconds !== undefined ? p.selfFreezeWindowSeconds * 1000 : DEFAULT_POLICY.selfFreezeWindowMs,
    failoverWindowMs: p.failoverWindowSeconds !== undefined ? p.failoverWindowSeconds * 1000 : DEFAULT_POLICY.failoverWindowMs,
    approvalAboveGpus: p.approvalAboveGpus ?? DEFAULT_POLICY.approvalAboveGpus,
    disruptionBudget: {
      fleetFraction: p.disruptionBudget?.fleetPercent !== undefined ? p.disruptionBudget.fleetPercent / 100 : DEFAULT_POLICY.disruptionBudget.fleetFraction,
      regionFraction: p.disruptionBudget?.regionPercent !== undefined ? p.disruptionBudget.regionPercent / 100 : DEFAULT_POLICY.disruptionBudget.regionFraction,
      windowMs: p.disruptionBudget?.windowSeconds !== undefined ? p.disruptionBudget.windowSeconds * 1000 : DEFAULT_POLICY.disruptionBudget.windowMs,
    },
    nodes: nodePolicy(p.nodes),
  };
  return { regions: Object.keys(result.data.regions), clusters, policy, catalogue: fleetPools.catalogue };
}

/** The declared URL, or the service-proxy reference to the cluster's RayCluster head Service. */
function rayEndpointOf(clusterId: string, ray: z.infer<typeof raySchema> | undefined): string {
  if (ray?.endpoint) return ray.endpoint.replace(/\/+$/, '');
  return rayServiceProxyEndpoint({
    clusterId,
    namespace: ray?.namespace ?? DEFAULT_RAY_NAMESPACE,
    service: `${ray?.cluster ?? DEFAULT_RAY_CLUSTER}-head-svc`,
    port: RAY_DASHBOARD_PORT,
  });
}

/** Best effort on a file whose shape failed: pools naming VM sizes that neither Azure's table nor the file knows. */
function unknownVmSizes(raw: unknown): string[] {
  const file = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const extra = vmSizesSchema.safeParse(file.vmSizes);
  const known = new Set([...DEFAULT_CATALOGUE.keys(), ...Object.keys(extra.success ? extra.data ?? {} : {}).map((n) => n.toLowerCase())]);
  const problems: string[] = [];
  const regions = file.regions && typeof file.regions === 'object' ? (file.regions as Record<string, unknown>) : {};
  for (const [region, value] of Object.entries(regions)) {
    const clusters = (value as { clusters?: unknown } | null)?.clusters;
    if (!Array.isArray(clusters)) continue;
    clusters.forEach((c, i) => {
      const pools = (c as { pools?: unknown } | null)?.pools;
      if (!Array.isArray(pools)) return;
      pools.forEach((p, j) => {
        const vmSize = (p as { vmSize?: unknown } | null)?.vmSize;
        if (typeof vmSize === 'string' && !known.has(vmSize.toLowerCase())) {
          problems.push(`regions.${region}.clusters.${i}.pools.${j}.vmSize: ${vmSize} is not in the VM size catalogue; add it under vmSizes (vcpus, gpus, gpuType, family)`);
        }
      });
    });
  }
  return problems;
}

const seconds = (v: number | undefined, fallback: number): number => (v !== undefined ? v * 1000 : fallback);

function nodePolicy(n: z.infer<typeof policySchema>['nodes']): Policy['nodes'] {
  const d = DEFAULT_POLICY.nodes;
  return {
    recoveryMs: seconds(n?.recoverySeconds, d.recoveryMs),
    stormNodes: n?.stormNodes ?? d.stormNodes,
    stormWindowMs: seconds(n?.stormWindowSeconds, d.stormWindowMs),
    replaceNotReadyAfterMs: seconds(n?.replaceNotReadyAfterSeconds, d.replaceNotReadyAfterMs),
    evictionWaitMs: seconds(n?.evictionWaitSeconds, d.evictionWaitMs),
    forgetAfterMs: seconds(n?.forgetAfterSeconds, d.forgetAfterMs),
  };
}
