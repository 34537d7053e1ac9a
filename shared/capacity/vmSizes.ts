/**
 * The VM size catalogue: vCPUs (= quota units), GPUs per node, GPU model and the Compute quota family of
 * each size. Ships Azure's common GPU sizes (research/control-plane.md §2.3); the fleet file may add or
 * override sizes. VM size names and quota family names are compared case-insensitively (Azure's own
 * sources disagree on casing), and family names also ignoring spaces (`Standard NCASv3_T4 Family`).
 */

export interface VmSize {
  /** As Azure spells it: `Standard_ND96isr_H100_v5`. */
  readonly name: string;
  /** vCPUs per node: the unit every quota bucket counts in. */
  readonly vcpus: number;
  /** GPUs per node. */
  readonly gpus: number;
  /** GPU model, compared case-insensitively with a job's `gpuType`: `H100`, `A100`, `T4`, … */
  readonly gpuType: string;
  /** Quota family as Compute usages name it (`name.value`): `standardNDSH100v5Family`. */
  readonly family: string;
}

/** Sizes by lower-cased name. Build with `catalogueOf` / `mergeCatalogue`; read with `lookupVmSize`. */
export type VmCatalogue = ReadonlyMap<string, VmSize>;

const size = (name: string, vcpus: number, gpus: number, gpuType: string, family: string): VmSize => ({ name, vcpus, gpus, gpuType, family });

/** research/control-plane.md §2.3. */
export const DEFAULT_VM_SIZES: readonly VmSize[] = [
  size('Standard_NC40ads_H100_v5', 40, 1, 'H100', 'standardNCADSH100v5Family'),
  size('Standard_NC80adis_H100_v5', 80, 2, 'H100', 'standardNCADSH100v5Family'),
  size('Standard_NCC40ads_H100_v5', 40, 1, 'H100', 'StandardNCCads2023Family'),
  size('Standard_ND96isr_H100_v5', 96, 8, 'H100', 'standardNDSH100v5Family'),
  size('Standard_ND96isr_H200_v5', 96, 8, 'H200', 'standardNDISRH200V5Family'),
  size('Standard_NC24ads_A100_v4', 24, 1, 'A100', 'StandardNCADSA100v4Family'),
  size('Standard_NC48ads_A100_v4', 48, 2, 'A100', 'StandardNCADSA100v4Family'),
  size('Standard_NC96ads_A100_v4', 96, 4, 'A100', 'StandardNCADSA100v4Family'),
  size('Standard_ND96asr_v4', 96, 8, 'A100', 'Standard NDASv4_A100 Family'),
  size('Standard_ND96amsr_A100_v4', 96, 8, 'A100', 'standard NDAMSv4_A100Family'),
  size('Standard_NC4as_T4_v3', 4, 1, 'T4', 'Standard NCASv3_T4 Family'),
  size('Standard_NC8as_T4_v3', 8, 1, 'T4', 'Standard NCASv3_T4 Family'),
  size('Standard_NC16as_T4_v3', 16, 1, 'T4', 'Standard NCASv3_T4 Family'),
  size('Standard_NC64as_T4_v3', 64, 4, 'T4', 'Standard NCASv3_T4 Family'),
  size('Standard_NC6s_v3', 6, 1, 'V100', 'standardNCSv3Family'),
  size('Standard_NC12s_v3', 12, 2, 'V100', 'standardNCSv3Family'),
  size('Standard_NC24s_v3', 24, 4, 'V100', 'standardNCSv3Family'),
  size('Standard_NV36ads_A10_v5', 36, 1, 'A10', 'StandardNVADSA10v5Family'),
];

const sizeKey = (name: string): string => name.trim().toLowerCase();

export function catalogueOf(sizes: Iterable<VmSize>): VmCatalogue {
  const map = new Map<string, VmSize>();
  for (const s of sizes) map.set(sizeKey(s.name), s);
  return map;
}

export const DEFAULT_CATALOGUE: VmCatalogue = catalogueOf(DEFAULT_VM_SIZES);

/** Case-insensitive lookup: `standard_nd96isr_h100_v5` finds `Standard_ND96isr_H100_v5`. */
export const lookupVmSize = (catalogue: VmCatalogue, name: string): VmSize | undefined => catalogue.get(sizeKey(name));

/** The defaults plus the sizes the fleet file adds; a size named in both is taken from `extra`. */
export function mergeCatalogue(defaults: VmCatalogue, extra: Iterable<VmSize>): VmCatalogue {
  const map = new Map(defaults);
  for (const s of extra) map.set(sizeKey(s.name), s);
  return map;
}

/** The form quota names are compared in: lower case, no whitespace. */
export const normalizeQuotaName = (name: string): string => name.replace(/\s+/g, '').toLowerCase();

/** `Standard NDASv4_A100 Family` and `standardNDASv4_A100Family` are the same bucket. */
export const sameQuotaName = (a: string, b: string): boolean => normalizeQuotaName(a) === normalizeQuotaName(b);

/** The regional buckets of Compute usages: every on-demand family also counts here / Spot counts only here. */
export const REGIONAL_CORES = 'cores';
export const LOW_PRIORITY_CORES = 'lowPriorityCores';
