import { describe, expect, it } from 'vitest';
import { catalogueOf, DEFAULT_CATALOGUE, DEFAULT_VM_SIZES, lookupVmSize, mergeCatalogue, normalizeQuotaName, sameQuotaName } from '../../../shared/capacity/vmSizes.js';

describe('VM size catalogue', () => {
  it.each([
    ['Standard_ND96isr_H100_v5', 96, 8, 'H100', 'standardNDSH100v5Family'],
    ['standard_nd96isr_h100_v5', 96, 8, 'H100', 'standardNDSH100v5Family'],
    ['Standard_NC24ads_A100_v4', 24, 1, 'A100', 'StandardNCADSA100v4Family'],
    ['STANDARD_NC96ADS_A100_V4', 96, 4, 'A100', 'StandardNCADSA100v4Family'],
    ['Standard_ND96asr_v4', 96, 8, 'A100', 'Standard NDASv4_A100 Family'],
    ['Standard_NC64as_T4_v3', 64, 4, 'T4', 'Standard NCASv3_T4 Family'],
    ['Standard_NC12s_v3', 12, 2, 'V100', 'standardNCSv3Family'],
    ['Standard_ND96isr_H200_v5', 96, 8, 'H200', 'standardNDISRH200V5Family'],
    [' Standard_NV36ads_A10_v5 ', 36, 1, 'A10', 'StandardNVADSA10v5Family'],
  ])('looks up %s case-insensitively', (name, vcpus, gpus, gpuType, family) => {
    expect(lookupVmSize(DEFAULT_CATALOGUE, name)).toMatchObject({ vcpus, gpus, gpuType, family });
  });

  it('has every size of research §2.3 once, with positive vCPUs and GPUs', () => {
    expect(DEFAULT_VM_SIZES).toHaveLength(18);
    expect(DEFAULT_CATALOGUE.size).toBe(18);
    for (const s of DEFAULT_VM_SIZES) expect(s.vcpus > 0 && s.gpus > 0).toBe(true);
  });

  it('does not know sizes that are not in it', () => {
    expect(lookupVmSize(DEFAULT_CATALOGUE, 'Standard_D4s_v5')).toBeUndefined();
  });

  it('merges sizes from the fleet file: new ones are added, a known one is overridden', () => {
    const merged = mergeCatalogue(DEFAULT_CATALOGUE, [
      { name: 'Standard_ND128isr_NDR_GB200_v6', vcpus: 128, gpus: 4, gpuType: 'GB200', family: 'standardNDGB200v6Family' },
      { name: 'standard_nc24ads_a100_v4', vcpus: 24, gpus: 1, gpuType: 'A100', family: 'customA100Family' },
    ]);
    expect(lookupVmSize(merged, 'Standard_ND128isr_NDR_GB200_v6')?.gpus).toBe(4);
    expect(lookupVmSize(merged, 'Standard_NC24ads_A100_v4')?.family).toBe('customA100Family');
    expect(merged.size).toBe(19);
    expect(lookupVmSize(DEFAULT_CATALOGUE, 'Standard_NC24ads_A100_v4')?.family).toBe('StandardNCADSA100v4Family');
  });

  it('builds a catalogue from a list, the last of a name winning', () => {
    const c = catalogueOf([{ name: 'X', vcpus: 1, gpus: 1, gpuType: 'T', family: 'f' }, { name: 'x', vcpus: 2, gpus: 1, gpuType: 'T', family: 'f' }]);
    expect(c.size).toBe(1);
    expect(lookupVmSize(c, 'X')?.vcpus).toBe(2);
  });

  it.each([
    ['standardNCADSH100v5Family', 'StandardNCadsH100v5Family', true],
    ['Standard NDASv4_A100 Family', 'standardNDASv4_A100Family', true],
    ['standard NDAMSv4_A100Family', 'Standard NDAMSv4_A100 Family', true],
    ['cores', 'Cores', true],
    ['standardNDSH100v5Family', 'standardNDISRH200V5Family', false],
    ['lowPriorityCores', 'cores', false],
  ])('sameQuotaName(%j, %j) = %s', (a, b, same) => {
    expect(sameQuotaName(a, b)).toBe(same);
  });

  it('normalises quota names to lower case without whitespace', () => {
    expect(normalizeQuotaName(' Standard NCASv3_T4\tFamily ')).toBe('standardncasv3_t4family');
  });
});
