import type { FleetSpec } from '../fleet/types.js';
import type { Logger } from '../observability/logger.js';
import type { CheckpointStore } from '../ports/checkpoints.js';
import type { Clock } from '../ports/clock.js';
import type { JobQueue } from '../ports/jobQueue.js';
import type { Kubernetes } from '../ports/kubernetes.js';
import type { NodePools } from '../ports/nodePools.js';
import type { QuotaReader } from '../ports/quota.js';
import type { RayJobs } from '../ports/rayJobs.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { FleetState } from '../state/fleetState.js';

/** Everything the autopilot acts through. Built once per host by the runtime. */
export interface Ports {
  readonly fleet: FleetSpec;
  readonly state: FleetState;
  readonly ray: RayJobs;
  readonly checkpoints: CheckpointStore;
  readonly queue: JobQueue;
  readonly nodePools: NodePools;
  /** Each AKS cluster's Kubernetes API (cordon, drain Ray workers). */
  readonly kube: Kubernetes;
  readonly quota: QuotaReader;
  /**
   * Azure Monitor, to confirm node signals before acting on them. Optional because hosts without Monitor (the
   * simulator, unit fakes) leave it out; a caller treats its absence like `notConfigured`.
   */
  readonly telemetry?: Telemetry;
  readonly clock: Clock;
  readonly log: Logger;
}
