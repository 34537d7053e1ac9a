import type { ClusterLedger, ClusterSpec, JobRecord, Policy, RegionHealth, RegionName } from '../fleet/types.js';

/** What the planner sees: the declared fleet plus observed state, read just before planning. */
export interface FleetSnapshot {
  readonly regions: readonly RegionName[];
  readonly clusters: readonly ClusterSpec[];
  readonly health: ReadonlyMap<RegionName, RegionHealth>;
  readonly jobs: readonly JobRecord[];
  readonly ledgers: ReadonlyMap<string, ClusterLedger>;
  readonly policy: Policy;
}

export const allocatedGpus = (ledger: ClusterLedger | undefined): number =>
  ledger ? Object.values(ledger.allocations).reduce((a, b) => a + b, 0) : 0;
