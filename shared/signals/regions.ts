/**
 * Azure public-cloud regions: display name ("East US 2") ⇄ ARM name ("eastus2").
 *
 * Service Health speaks display names (`impactedServices[].ImpactedRegions[].RegionName`, `properties.region`);
 * everything else in the autopilot speaks ARM names. `toArmRegion` is the only bridge.
 *
 * The table lists every public-cloud location whose ARM name we know, as `az account list-locations` shows
 * them. Sovereign clouds (US Gov, DoD, China) are deliberately absent: a public-cloud subscription never
 * receives their Service Health events. Logical geographies ("Global", "Europe", "United States", "Asia
 * Pacific" …) are absent too: they are not places a cluster can live, so they map to `undefined`.
 * A region announced after this table was written also maps to `undefined` (and is then dropped by the
 * parsers with a reason), so add new regions here when Azure opens them.
 */

export type RegionCategory =
  /** A normal public region. */
  | 'public'
  /** Real and in ARM's location list, but access-restricted or newly opened (request access to deploy). */
  | 'restricted'
  /** Early-update canary regions (EUAP): physical, real ARM names, no customer GPU capacity expected. */
  | 'canary'
  /** ARM's staging locations ("East US (Stage)", "East US STG"): real ARM names, never named by Service Health. */
  | 'stage';

export interface AzureRegion {
  /** ARM name: lower case, no spaces ("eastus2"). */
  readonly name: string;
  /** Display name as the portal and Service Health print it ("East US 2"). */
  readonly displayName: string;
  readonly geography: string;
  readonly category: RegionCategory;
}

const r = (name: string, displayName: string, geography: string, category: RegionCategory = 'public'): AzureRegion =>
  Object.freeze({ name, displayName, geography, category });

/** Every public-cloud Azure region we know, in geography order. */
export const AZURE_REGIONS: readonly AzureRegion[] = Object.freeze([
  // United States
  r('eastus', 'East US', 'United States'),
  r('eastus2', 'East US 2', 'United States'),
  r('centralus', 'Central US', 'United States'),
  r('northcentralus', 'North Central US', 'United States'),
  r('southcentralus', 'South Central US', 'United States'),
  r('westcentralus', 'West Central US', 'United States'),
  r('westus', 'West US', 'United States'),
  r('westus2', 'West US 2', 'United States'),
  r('westus3', 'West US 3', 'United States'),
  r('southeastus', 'Southeast US', 'United States', 'restricted'),
  // Canada
  r('canadacentral', 'Canada Central', 'Canada'),
  r('canadaeast', 'Canada East', 'Canada'),
  // Mexico / South America
  r('mexicocentral', 'Mexico Central', 'Mexico'),
  r('brazilsouth', 'Brazil South', 'South America'),
  r('brazilsoutheast', 'Brazil Southeast', 'South America', 'restricted'),
  r('chilecentral', 'Chile Central', 'South America'),
  // Europe
  r('northeurope', 'North Europe', 'Europe'),
  r('westeurope', 'West Europe', 'Europe'),
  r('uksouth', 'UK South', 'Europe'),
  r('ukwest', 'UK West', 'Europe'),
  r('francecentral', 'France Central', 'Europe'),
  r('francesouth', 'France South', 'Europe', 'restricted'),
  r('germanywestcentral', 'Germany West Central', 'Europe'),
  r('germanynorth', 'Germany North', 'Europe', 'restricted'),
  r('switzerlandnorth', 'Switzerland North', 'Europe'),
  r('switzerlandwest', 'Switzerland West', 'Europe', 'restricted'),
  r('norwayeast', 'Norway East', 'Europe'),
  r('norwaywest', 'Norway West', 'Europe', 'restricted'),
  r('swedencentral', 'Sweden Central', 'Europe'),
  r('swedensouth', 'Sweden South', 'Europe', 'restricted'),
  r('polandcentral', 'Poland Central', 'Europe'),
  r('italynorth', 'Italy North', 'Europe'),
  r('spaincentral', 'Spain Central', 'Europe'),
  r('austriaeast', 'Austria East', 'Europe'),
  r('belgiumcentral', 'Belgium Central', 'Europe'),
  r('denmarkeast', 'Denmark East', 'Europe'),
  // Asia Pacific
  r('eastasia', 'East Asia', 'Asia Pacific'),
  r('southeastasia', 'Southeast Asia', 'Asia Pacific'),
  r('japaneast', 'Japan East', 'Asia Pacific'),
  r('japanwest', 'Japan West', 'Asia Pacific'),
  r('koreacentral', 'Korea Central', 'Asia Pacific'),
  r('koreasouth', 'Korea South', 'Asia Pacific'),
  r('centralindia', 'Central India', 'Asia Pacific'),
  r('southindia', 'South India', 'Asia Pacific'),
  r('westindia', 'West India', 'Asia Pacific'),
  r('jioindiacentral', 'Jio India Central', 'Asia Pacific', 'restricted'),
  r('jioindiawest', 'Jio India West', 'Asia Pacific', 'restricted'),
  r('indiasouthcentral', 'India South Central', 'Asia Pacific', 'restricted'),
  r('australiaeast', 'Australia East', 'Asia Pacific'),
  r('australiasoutheast', 'Australia Southeast', 'Asia Pacific'),
  r('australiacentral', 'Australia Central', 'Asia Pacific'),
  r('australiacentral2', 'Australia Central 2', 'Asia Pacific', 'restricted'),
  r('newzealandnorth', 'New Zealand North', 'Asia Pacific'),
  r('indonesiacentral', 'Indonesia Central', 'Asia Pacific'),
  r('malaysiawest', 'Malaysia West', 'Asia Pacific'),
  r('malaysiasouth', 'Malaysia South', 'Asia Pacific', 'restricted'),
  r('taiwannorth', 'Taiwan North', 'Asia Pacific', 'restricted'),
  r('taiwannorthwest', 'Taiwan Northwest', 'Asia Pacific', 'restricted'),
  // Middle East
  r('uaenorth', 'UAE North', 'Middle East'),
  r('uaecentral', 'UAE Central', 'Middle East', 'restricted'),
  r('qatarcentral', 'Qatar Central', 'Middle East'),
  r('israelcentral', 'Israel Central', 'Middle East'),
  r('israelnorthwest', 'Israel Northwest', 'Middle East', 'restricted'),
  // Africa
  r('southafricanorth', 'South Africa North', 'Africa'),
  r('southafricawest', 'South Africa West', 'Africa', 'restricted'),
  // Canary (EUAP)
  r('eastus2euap', 'East US 2 EUAP', 'United States', 'canary'),
  r('centraluseuap', 'Central US EUAP', 'United States', 'canary'),
  // ARM staging locations
  r('eastusstg', 'East US STG', 'United States', 'stage'),
  r('southcentralusstg', 'South Central US STG', 'United States', 'stage'),
  r('eastusstage', 'East US (Stage)', 'United States', 'stage'),
  r('eastus2stage', 'East US 2 (Stage)', 'United States', 'stage'),
  r('centralusstage', 'Central US (Stage)', 'United States', 'stage'),
  r('northcentralusstage', 'North Central US (Stage)', 'United States', 'stage'),
  r('southcentralusstage', 'South Central US (Stage)', 'United States', 'stage'),
  r('westusstage', 'West US (Stage)', 'United States', 'stage'),
  r('westus2stage', 'West US 2 (Stage)', 'United States', 'stage'),
  r('eastasiastage', 'East Asia (Stage)', 'Asia Pacific', 'stage'),
  r('southeastasiastage', 'Southeast Asia (Stage)', 'Asia Pacific', 'stage'),
]);

/** Display name → ARM name, exactly as Azure prints the display name. */
export const REGION_DISPLAY_TO_ARM: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(AZURE_REGIONS.map((x) => [x.displayName, x.name])),
);

/** ARM name → region. */
const BY_ARM: ReadonlyMap<string, AzureRegion> = new Map(AZURE_REGIONS.map((x) => [x.name, x]));

/** Lookup key → ARM name. Keys are "lower case, letters and digits only", which turns both forms into one. */
const BY_KEY: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const x of AZURE_REGIONS) {
    m.set(lookupKey(x.name), x.name);
    m.set(lookupKey(x.displayName), x.name);
  }
  return m;
})();

/** The set of ARM names in the table. */
export const ARM_REGION_NAMES: ReadonlySet<string> = new Set(BY_ARM.keys());

function lookupKey(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * "East US 2" / "eastus2" / "EastUS2" / "(US) East US 2" → "eastus2". Unknown names, logical geographies
 * ("Global", "Europe") and non-strings → `undefined`.
 */
export function toArmRegion(displayOrArm: string): string | undefined {
  if (typeof displayOrArm !== 'string') return undefined;
  // The portal's "regional display name" prefixes the geography: "(US) East US 2", "(Europe) Sweden Central".
  const trimmed = displayOrArm.trim().replace(/^\([^)]*\)\s*(?=\S)/, '');
  if (trimmed.length === 0 || trimmed.length > 64) return undefined;
  return BY_KEY.get(lookupKey(trimmed));
}

/** True when `name` is an ARM name in the table (exact, lower case). */
export function isArmRegion(name: string): boolean {
  return BY_ARM.has(name);
}

/** "eastus2" → "East US 2"; unknown → the input unchanged. */
export function regionDisplayName(armName: string): string {
  return BY_ARM.get(armName)?.displayName ?? armName;
}
