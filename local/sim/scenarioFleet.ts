/**
 * A scenario's fleet, three ways: the fleet file the autopilot reads (validated by the autopilot's own parser, so
 * a scenario cannot describe a fleet the autopilot would refuse), the world's clusters, and the ARM twin's pools and
 * quota. Ray endpoints are names only (nothing listens): the harness maps them to the world's clusters.
 */
import { stringify } from 'yaml';
import { lookupVmSize } from '../../shared/capacity/vmSizes.js';
import { ConfigError } from '../../shared/config/problems.js';
import { parseFleetFile } from '../../shared/fleet/fleetFile.js';
import type { FleetSpec } from '../../shared/fleet/types.js';
import { regionDisplayName } from '../../shared/signals/regions.js';
import type { ArmTwin } from '../twin/arm/armTwin.js';
import type { WorldCluster, WorldRegion } from '../twin/world.js';
import type { Scenario } from './scenario.js';

export const DEFAULT_SUBSCRIPTION = '00000000-0000-0000-0000-0000000051a0';

export interface ScenarioFleet {
  readonly subscription: string;
  readonly spec: FleetSpec;
  readonly regions: readonly WorldRegion[];
  readonly clusters: readonly WorldCluster[];
  /** Ray endpoint (as the fleet file names it) → cluster id. */
  readonly endpoints: ReadonlyMap<string, string>;
  /** Cluster name → cluster id. */
  readonly clusterIds: ReadonlyMap<string, string>;
}

type FleetInput = Pick<Scenario, 'fleet' | 'policy'>;

export const clusterIdOf = (subscription: string, region: string, name: string): string =>
  `/subscriptions/${subscription}/resourceGroups/rg-fleet-${region}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const endpointOf = (name: string): string => `https://${name}.ray.sim.invalid`;

/** The fleet file of the scenario, as YAML. */
export function fleetFileText(s: FleetInput): string {
  const subscription = s.fleet.subscription ?? DEFAULT_SUBSCRIPTION;
  const regions: Record<string, unknown> = {};
  for (const [region, r] of Object.entries(s.fleet.regions)) {
    regions[region] = {
      clusters: r.clusters.map((c) => ({
        id: clusterIdOf(subscription, region, c.name),
        pools: c.pools.map((p) => ({ name: p.name, vmSize: p.vmSize, minCount: p.minCount, maxCount: p.maxCount, ...(p.spot ? { spot: true } : {}), ...(p.autoscale ? { autoscale: true } : {}) })),
        ray: { endpoint: endpointOf(c.name) },
      })),
    };
  }
  return `# Generated from a game-day scenario.\n${stringify({ regions, policy: s.policy })}`;
}

/** Problems the autopilot's fleet parser finds, named by the scenario's paths (`policy.…`, `fleet.regions.…`). */
export function fleetProblems(s: FleetInput): string[] {
  try {
    parseFleetFile(fleetFileText(s), 'scenario fleet');
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.map((p) => (p.startsWith('regions.') ? `fleet.${p}` : p));
  }
}

export function buildFleet(s: FleetInput): ScenarioFleet {
  const subscription = s.fleet.subscription ?? DEFAULT_SUBSCRIPTION;
  const spec = parseFleetFile(fleetFileText(s), 'scenario fleet');
  const regions = Object.keys(s.fleet.regions).map((name) => ({ name, displayName: regionDisplayName(name) }));
  const clusters: WorldCluster[] = [];
  const endpoints = new Map<string, string>();
  const clusterIds = new Map<string, string>();
  for (const [region, r] of Object.entries(s.fleet.regions)) {
    for (const c of r.clusters) {
      const id = clusterIdOf(subscription, region, c.name);
      const pools = c.pools.map((p) => {
        const size = lookupVmSize(spec.catalogue, p.vmSize)!;
        return { name: p.name, vmSize: size.name, gpusPerNode: size.gpus, count: p.count, spot: p.spot ?? false };
      });
      clusters.push({ id, name: c.name, region, gpus: pools.reduce((n, p) => n + p.count * p.gpusPerNode, 0), pools });
      endpoints.set(endpointOf(c.name), id);
      clusterIds.set(c.name, id);
    }
  }
  return { subscription, spec, regions, clusters, endpoints, clusterIds };
}

/** Every pool and quota bucket of the scenario in the ARM twin. */
export function populateArm(arm: ArmTwin, s: FleetInput, fleet: ScenarioFleet): void {
  for (const [region, r] of Object.entries(s.fleet.regions)) {
    const families = new Set<string>();
    for (const c of r.clusters) {
      for (const p of c.pools) {
        const size = lookupVmSize(fleet.spec.catalogue, p.vmSize)!;
        families.add(size.family);
        arm.addPool({
          clusterId: fleet.clusterIds.get(c.name)!, pool: p.name, vmSize: size.name, vcpusPerNode: size.vcpus, gpusPerNode: size.gpus,
          count: p.count, minCount: p.minCount, maxCount: p.maxCount, autoscale: p.autoscale ?? false, spot: p.spot ?? false,
          family: size.family, region, subscriptionId: fleet.subscription,
        });
      }
    }
    for (const family of families) arm.setQuota(fleet.subscription, region, family, r.quota.familyVcpus);
    arm.setQuota(fleet.subscription, region, 'cores', r.quota.regionalVcpus);
    arm.setQuota(fleet.subscription, region, 'lowPriorityCores', r.quota.lowPriorityVcpus ?? 0);
  }
}

/** The GPU family of a region's pools (the first pool's; quota events act on it). */
export function familyOf(s: FleetInput, fleet: ScenarioFleet, region: string): string {
  const pool = s.fleet.regions[region]!.clusters[0]!.pools[0]!;
  return lookupVmSize(fleet.spec.catalogue, pool.vmSize)!.family;
}
