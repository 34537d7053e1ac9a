import { describe, expect, it } from 'vitest';
import { clusterGpuCapacity, gpusPerNode, poolGpus } from '../../../shared/capacity/placementLimits.js';
import { DEFAULT_CATALOGUE } from '../../../shared/capacity/vmSizes.js';

describe('placement limits', () => {
  it.each([
    ['Standard_ND96isr_H100_v5', 8],
    ['standard_nc96ads_a100_v4', 4],
    ['Standard_D4s_v5', 0],
  ])('GPUs per node of %s = %i', (size, gpus) => expect(gpusPerNode(DEFAULT_CATALOGUE, size)).toBe(gpus));

  it('a pool holds count × GPUs per node; a cluster the sum of its pools', () => {
    expect(poolGpus(DEFAULT_CATALOGUE, { vmSize: 'Standard_ND96isr_H100_v5', count: 3 })).toBe(24);
    expect(clusterGpuCapacity(DEFAULT_CATALOGUE, [
      { vmSize: 'Standard_ND96isr_H100_v5', count: 3 }, { vmSize: 'Standard_NC24ads_A100_v4', count: 5 }, { vmSize: 'unknown', count: 9 },
    ])).toBe(29);
    expect(clusterGpuCapacity(DEFAULT_CATALOGUE, [])).toBe(0);
  });
});
