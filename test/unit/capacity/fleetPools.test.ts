import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues } from '../../../shared/config/problems.js';
import { checkPools, poolSchema, poolsSchema, resolveFleetPools, vmSizesSchema } from '../../../shared/capacity/fleetPools.js';
import { DEFAULT_CATALOGUE, lookupVmSize } from '../../../shared/capacity/vmSizes.js';

// The way fleetFile.ts will plug the fragments in: `pools` per cluster, `vmSizes` at the top.
const fleetLike = z.object({
  regions: z.record(z.string(), z.object({ clusters: z.array(z.object({ id: z.string(), pools: poolsSchema.optional() }).strict()) }).strict()),
  vmSizes: vmSizesSchema.optional(),
}).strict();

function problemsOf(raw: unknown): string[] {
  const r = fleetLike.safeParse(raw);
  if (!r.success) return describeIssues(r.error.issues);
  return [...resolveFleetPools(r.data).problems];
}

const gpu = (over: Record<string, unknown> = {}) => ({ name: 'gpu1', vmSize: 'Standard_ND96isr_H100_v5', minCount: 0, maxCount: 4, ...over });

describe('fleet file pools', () => {
  it('accepts pools and defaults spot and autoscale to false', () => {
    const r = fleetLike.parse({ regions: { eastus2: { clusters: [{ id: 'a', pools: [gpu(), gpu({ name: 'spot1', spot: true, autoscale: true })] }] } } });
    const resolved = resolveFleetPools(r);
    expect(resolved.problems).toEqual([]);
    expect(resolved.pools.eastus2![0]).toEqual([
      { name: 'gpu1', vmSize: 'Standard_ND96isr_H100_v5', minCount: 0, maxCount: 4, spot: false, autoscale: false },
      { name: 'spot1', vmSize: 'Standard_ND96isr_H100_v5', minCount: 0, maxCount: 4, spot: true, autoscale: true },
    ]);
  });

  it.each([
    [{ minCount: 5, maxCount: 2 }, 'regions.eastus2.clusters.0.pools.0.maxCount: maxCount 2 is below minCount 5'],
    [{ name: 'GPU_1' }, 'regions.eastus2.clusters.0.pools.0.name: an AKS pool name: 1–12 lower-case letters and digits, starting with a letter'],
    [{ name: 'averyverylongname' }, 'regions.eastus2.clusters.0.pools.0.name: an AKS pool name: 1–12 lower-case letters and digits, starting with a letter'],
    [{ maxCount: 1001 }, 'regions.eastus2.clusters.0.pools.0.maxCount: Too big: expected number to be <=1000'],
    [{ minCount: -1 }, 'regions.eastus2.clusters.0.pools.0.minCount: Too small: expected number to be >=0'],
    [{ minCount: 1.5 }, 'regions.eastus2.clusters.0.pools.0.minCount: Invalid input: expected int, received number'],
    [{ vmSize: 'Standard_D4s_v5' }, 'regions.eastus2.clusters.0.pools.0.vmSize: Standard_D4s_v5 is not in the VM size catalogue; add it under vmSizes (vcpus, gpus, gpuType, family)'],
  ])('reports %j with its path', (over, problem) => {
    expect(problemsOf({ regions: { eastus2: { clusters: [{ id: 'a', pools: [gpu(over)] }] } } })).toEqual([problem]);
  });

  it('reports an unknown field and a duplicate pool name with their paths', () => {
    expect(problemsOf({ regions: { eastus2: { clusters: [{ id: 'a', pools: [gpu(), gpu({ name: 'gpu2', size: 3 })] }] } } }))
      .toEqual(['regions.eastus2.clusters.0.pools.1: Unrecognized key: "size"']);
    expect(problemsOf({ regions: { eastus2: { clusters: [{ id: 'a', pools: [gpu(), gpu()] }] } } }))
      .toEqual(['regions.eastus2.clusters.0.pools.1.name: pool gpu1 is listed twice in this cluster']);
  });

  it('reports every unknown size at once, across regions and clusters', () => {
    expect(problemsOf({ regions: {
      eastus2: { clusters: [{ id: 'a', pools: [gpu({ vmSize: 'X1' })] }, { id: 'b', pools: [gpu(), gpu({ name: 'gpu2', vmSize: 'X2' })] }] },
      westus3: { clusters: [{ id: 'c', pools: [gpu({ vmSize: 'X3' })] }] },
    } }).map((p) => p.split(':')[0])).toEqual([
      'regions.eastus2.clusters.0.pools.0.vmSize', 'regions.eastus2.clusters.1.pools.1.vmSize', 'regions.westus3.clusters.0.pools.0.vmSize',
    ]);
  });

  it('takes sizes the file adds under vmSizes, and lets the file override a default', () => {
    const raw = {
      regions: { eastus2: { clusters: [{ id: 'a', pools: [gpu({ vmSize: 'standard_nd128isr_ndr_gb200_v6' })] }] } },
      vmSizes: {
        Standard_ND128isr_NDR_GB200_v6: { vcpus: 128, gpus: 4, gpuType: 'GB200', family: 'standardNDGB200v6Family' },
        Standard_NC24ads_A100_v4: { vcpus: 24, gpus: 1, gpuType: 'A100', family: 'myFamily' },
      },
    };
    const r = resolveFleetPools(fleetLike.parse(raw));
    expect(r.problems).toEqual([]);
    expect(r.pools.eastus2![0]![0]!.vmSize).toBe('Standard_ND128isr_NDR_GB200_v6');
    expect(lookupVmSize(r.catalogue, 'Standard_NC24ads_A100_v4')?.family).toBe('myFamily');
  });

  it.each([
    [{ X: { vcpus: 0, gpus: 1, gpuType: 'T', family: 'f' } }, 'vmSizes.X.vcpus: Too small: expected number to be >=1'],
    [{ X: { vcpus: 8, gpus: 0, gpuType: 'T', family: 'f' } }, 'vmSizes.X.gpus: Too small: expected number to be >=1'],
    [{ X: { vcpus: 8, gpus: 1, gpuType: 'T' } }, 'vmSizes.X.family: Invalid input: expected string, received undefined'],
    [{ 'bad name': { vcpus: 8, gpus: 1, gpuType: 'T', family: 'f' } }, 'vmSizes.bad name: Invalid key in record'],
  ])('reports a bad vmSizes entry %j with its path', (vmSizes, problem) => {
    expect(problemsOf({ regions: {}, vmSizes })).toEqual([problem]);
  });

  it('a cluster without pools has none', () => {
    const r = resolveFleetPools(fleetLike.parse({ regions: { eastus2: { clusters: [{ id: 'a' }] } } }));
    expect(r.pools.eastus2).toEqual([[]]);
  });

  it('checkPools keeps the catalogue spelling of a size', () => {
    const r = checkPools([poolSchema.parse(gpu({ vmSize: 'STANDARD_ND96ISR_H100_V5' }))], DEFAULT_CATALOGUE, ['p']);
    expect(r).toEqual({ pools: [{ name: 'gpu1', vmSize: 'Standard_ND96isr_H100_v5', minCount: 0, maxCount: 4, spot: false, autoscale: false }], problems: [] });
  });
});
