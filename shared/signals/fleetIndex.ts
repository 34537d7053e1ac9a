/**
 * What the signal parsers may know about the fleet: enough to map an Azure resource (a VMSS
 * instance in an AKS node resource group, a Prometheus `cluster` label) to a cluster of ours.
 * Pure data, built from the fleet file; parsers work without it too (they then map by convention).
 */
export interface FleetIndexCluster {
  /** ARM id of the managed cluster. */
  readonly id: string;
  readonly name: string;
  readonly region: string;
  /** The node resource group, when it is not AKS's default `MC_<resourceGroup>_<cluster>_<region>`. */
  readonly nodeResourceGroup?: string;
}

export interface FleetIndex {
  readonly clusters: readonly FleetIndexCluster[];
}

export const EMPTY_FLEET_INDEX: FleetIndex = { clusters: [] };
