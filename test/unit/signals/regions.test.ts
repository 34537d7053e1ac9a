import { describe, expect, it } from 'vitest';
import {
  ARM_REGION_NAMES,
  AZURE_REGIONS,
  REGION_DISPLAY_TO_ARM,
  isArmRegion,
  regionDisplayName,
  toArmRegion,
} from '../../../shared/signals/index.js';

describe('toArmRegion', () => {
  it.each([
    ['East US', 'eastus'],
    ['East US 2', 'eastus2'],
    ['Australia Southeast', 'australiasoutheast'],
    ['Sweden Central', 'swedencentral'],
    ['West US 3', 'westus3'],
    ['UK South', 'uksouth'],
    ['Korea Central', 'koreacentral'],
    ['Brazil South', 'brazilsouth'],
    ['Qatar Central', 'qatarcentral'],
    ['Israel Central', 'israelcentral'],
    ['Italy North', 'italynorth'],
    ['Poland Central', 'polandcentral'],
    ['Mexico Central', 'mexicocentral'],
    ['Spain Central', 'spaincentral'],
    ['New Zealand North', 'newzealandnorth'],
    ['Indonesia Central', 'indonesiacentral'],
    ['Malaysia West', 'malaysiawest'],
    ['Chile Central', 'chilecentral'],
    ['Austria East', 'austriaeast'],
    ['Australia Central 2', 'australiacentral2'],
    ['Germany West Central', 'germanywestcentral'],
    ['South Africa North', 'southafricanorth'],
    ['UAE North', 'uaenorth'],
    ['Jio India West', 'jioindiawest'],
    ['North Central US', 'northcentralus'],
    ['East US 2 EUAP', 'eastus2euap'],
    ['Central US EUAP', 'centraluseuap'],
    ['East US (Stage)', 'eastusstage'],
  ])('%s → %s', (display, arm) => {
    expect(toArmRegion(display)).toBe(arm);
  });

  it('accepts ARM names unchanged, ignoring case and spaces', () => {
    expect(toArmRegion('eastus2')).toBe('eastus2');
    expect(toArmRegion('EastUS2')).toBe('eastus2');
    expect(toArmRegion('  EASTUS2 ')).toBe('eastus2');
    expect(toArmRegion('east us 2')).toBe('eastus2');
    expect(toArmRegion('swedencentral')).toBe('swedencentral');
  });

  it('accepts the portal regional display name "(Geo) Name"', () => {
    expect(toArmRegion('(US) East US 2')).toBe('eastus2');
    expect(toArmRegion('(Europe) Sweden Central')).toBe('swedencentral');
  });

  it.each(['Global', 'global', 'Non-Regional', 'Europe', 'United States', 'Asia Pacific', '', '   ', 'Mars North', 'eastus9', 'US Gov Virginia'])(
    '%j → undefined',
    (v) => {
      expect(toArmRegion(v)).toBeUndefined();
    },
  );

  it('returns undefined for non-strings at run time', () => {
    expect(toArmRegion(undefined as unknown as string)).toBeUndefined();
    expect(toArmRegion(42 as unknown as string)).toBeUndefined();
  });

  it('maps every table entry from both forms, and names are unique lower-case ARM names', () => {
    const names = new Set<string>();
    const displays = new Set<string>();
    for (const r of AZURE_REGIONS) {
      expect(r.name).toMatch(/^[a-z0-9]+$/);
      expect(toArmRegion(r.name)).toBe(r.name);
      expect(toArmRegion(r.displayName)).toBe(r.name);
      expect(REGION_DISPLAY_TO_ARM[r.displayName]).toBe(r.name);
      expect(isArmRegion(r.name)).toBe(true);
      expect(regionDisplayName(r.name)).toBe(r.displayName);
      expect(names.has(r.name)).toBe(false);
      expect(displays.has(r.displayName)).toBe(false);
      names.add(r.name);
      displays.add(r.displayName);
    }
    expect(ARM_REGION_NAMES.size).toBe(AZURE_REGIONS.length);
    // Every current public region (60+) plus the canary and staging locations.
    expect(AZURE_REGIONS.filter((r) => r.category === 'public' || r.category === 'restricted').length).toBeGreaterThanOrEqual(60);
  });

  it('regionDisplayName returns unknown names unchanged', () => {
    expect(regionDisplayName('nowhere')).toBe('nowhere');
  });
});
