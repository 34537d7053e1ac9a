/**
 * The fleet file's GPU pools (DESIGN §3), as zod fragments for shared/fleet/fleetFile.ts:
 *
 *   regions.<region>.clusters[i].pools: [{ name, vmSize, minCount, maxCount, spot?, autoscale? }]
 *   vmSizes: { <VM size name>: { vcpus, gpus, gpuType, family } }   # adds to / overrides the default table
 *
 * Shape checks (and min ≤ max, unique names) are in the schemas; the check that needs the whole file — is
 * every pool's vmSize in the catalogue the file ends up with — is `resolveFleetPools`. Every problem is
 * reported with its path, in the form `describeIssues` uses (`regions.eastus2.clusters.0.pools.1.vmSize: …`).
 */
import { z } from 'zod';
import { DEFAULT_CATALOGUE, lookupVmSize, mergeCatalogue, type VmCatalogue, type VmSize } from './vmSizes.js';

/** AKS: Linux pool names are 1–12 lower-case letters and digits and start with a letter. */
const poolName = z.string().regex(/^[a-z][a-z0-9]{0,11}$/, 'an AKS pool name: 1–12 lower-case letters and digits, starting with a letter');
/** AKS: 0–1000 nodes for a user pool. */
const nodeCount = z.number().int().min(0).max(1000);

export const poolSchema = z.object({
  name: poolName,
  vmSize: z.string().min(1),
  minCount: nodeCount,
  maxCount: nodeCount,
  spot: z.boolean().optional(),
  autoscale: z.boolean().optional(),
}).strict().superRefine((p, ctx) => {
  if (p.minCount > p.maxCount) ctx.addIssue({ code: 'custom', path: ['maxCount'], message: `maxCount ${p.maxCount} is below minCount ${p.minCount}` });
});

export const poolsSchema = z.array(poolSchema).superRefine((pools, ctx) => {
  const seen = new Set<string>();
  pools.forEach((p, i) => {
    if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `pool ${p.name} is listed twice in this cluster` });
    seen.add(p.name);
  });
});

export const vmSizeEntrySchema = z.object({
  vcpus: z.number().int().min(1),
  gpus: z.number().int().min(1),
  gpuType: z.string().min(1),
  family: z.string().min(1),
}).strict();

export const vmSizesSchema = z.record(
  z.string().regex(/^[A-Za-z0-9_]+$/, 'a VM size name such as "Standard_ND96isr_H100_v5"'),
  vmSizeEntrySchema,
);

export type PoolInput = z.infer<typeof poolSchema>;
export type VmSizeInput = z.infer<typeof vmSizeEntrySchema>;

/** A GPU pool the autopilot manages, as the fleet file declares it. */
export interface PoolSpec {
  /** AKS agent pool name. */
  readonly name: string;
  readonly vmSize: string;
  readonly minCount: number;
  readonly maxCount: number;
  /** Spot pools count against `lowPriorityCores`, not their family. */
  readonly spot: boolean;
  /** The cluster autoscaler owns `count`: only minCount/maxCount are ever changed. */
  readonly autoscale: boolean;
}

/** The default table plus the file's `vmSizes`. */
export function catalogueFromFleetFile(vmSizes: Readonly<Record<string, VmSizeInput>> | undefined, defaults: VmCatalogue = DEFAULT_CATALOGUE): VmCatalogue {
  const extra: VmSize[] = Object.entries(vmSizes ?? {}).map(([name, s]) => ({ name, ...s }));
  return mergeCatalogue(defaults, extra);
}

const at = (path: readonly (string | number)[], message: string): string => `${path.join('.')}: ${message}`;

/** One cluster's pools against the catalogue; `path` is where the list sits (`['regions','eastus2','clusters',0,'pools']`). */
export function checkPools(pools: readonly PoolInput[], catalogue: VmCatalogue, path: readonly (string | number)[]): { pools: PoolSpec[]; problems: string[] } {
  const problems: string[] = [];
  const specs: PoolSpec[] = [];
  pools.forEach((p, i) => {
    const size = lookupVmSize(catalogue, p.vmSize);
    if (!size) {
      problems.push(at([...path, i, 'vmSize'], `${p.vmSize} is not in the VM size catalogue; add it under vmSizes (vcpus, gpus, gpuType, family)`));
      return;
    }
    // A size spelt differently from the catalogue is fine: ARM compares case-insensitively too. Keep the catalogue's.
    specs.push({ name: p.name, vmSize: size.name, minCount: p.minCount, maxCount: p.maxCount, spot: p.spot ?? false, autoscale: p.autoscale ?? false });
  });
  return { pools: specs, problems };
}

export interface FleetPoolsInput {
  readonly regions: Readonly<Record<string, { readonly clusters: readonly { readonly pools?: readonly PoolInput[] | undefined }[] }>>;
  readonly vmSizes?: Readonly<Record<string, VmSizeInput>> | undefined;
}

export interface FleetPools {
  readonly catalogue: VmCatalogue;
  /** `pools[region][clusterIndex]`, aligned with the file's cluster lists; `[]` for a cluster without pools. */
  readonly pools: Readonly<Record<string, readonly (readonly PoolSpec[])[]>>;
  readonly problems: readonly string[];
}

/** After the schema passed: the catalogue, and every cluster's pools checked against it. */
export function resolveFleetPools(data: FleetPoolsInput, defaults: VmCatalogue = DEFAULT_CATALOGUE): FleetPools {
  const catalogue = catalogueFromFleetFile(data.vmSizes, defaults);
  const problems: string[] = [];
  const pools: Record<string, PoolSpec[][]> = {};
  for (const [region, { clusters }] of Object.entries(data.regions)) {
    pools[region] = clusters.map((c, i) => {
      const r = checkPools(c.pools ?? [], catalogue, ['regions', region, 'clusters', i, 'pools']);
      problems.push(...r.problems);
      return r.pools;
    });
  }
  return { catalogue, pools, problems };
}
