/** Compute quota usages of one subscription in one region (`@azure/arm-compute` usage.list). */
export interface QuotaUsage {
  /** `name.value` as Azure sends it: `cores`, `lowPriorityCores`, `standardNCADSA100v4Family`, … */
  readonly name: string;
  /** vCPUs in use (allocated and deallocated both count). */
  readonly used: number;
  readonly limit: number;
}

export interface QuotaReader {
  usages(subscriptionId: string, region: string): Promise<QuotaUsage[]>;
}
