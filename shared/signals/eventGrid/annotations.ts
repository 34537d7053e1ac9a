/**
 * `HealthResources.ResourceAnnotated` → a health status. An annotation says *why* a VM's availability is
 * changing (articles/service-health/resource-health-vm-annotation.md); for a GPU node the question is only
 * "is it about to stop serving, or serving worse?":
 *
 * - `unavailable`: the VM is going down or away — deallocation, stop, reboot, redeploy/migration with reboot,
 *   crash, storage loss, Spot/low-priority preemption, provisioning failure (doc ImpactType "Downtime Reboot",
 *   and the control-plane operations that end in one);
 * - `degraded`: it keeps running but is at risk or briefly paused — predicted hardware failure, scheduled
 *   service healing, planned freeze, live migration, Accelerated Networking unhealthy (ImpactType "Degraded",
 *   "Downtime Freeze");
 * - `unknown`: everything else, including informational ones that do not reduce availability
 *   (`VirtualMachineAllocated`, `…StartInitiatedByControlPlane`, `…SizeChanged`, `…ConfigurationUpdated`)
 *   and names not in the table. An annotation not in the table still gets a status from its `impactType`
 *   property when it has one ("Downtime Reboot" → unavailable; "Downtime Freeze" / "Degraded" → degraded).
 *
 * "Customer Initiated" annotations (an AKS scale-down deallocating a node) map the same way; the signal's
 * `reason` carries the annotation's `context` so the planner can tell them apart.
 */
import type { ResourceHealthSignal } from '../types.js';
import { norm } from '../read.js';

type HealthStatus = ResourceHealthSignal['status'];

const UNAVAILABLE = [
  'VirtualMachineDeallocationInitiated',
  'VirtualMachinePreempted',
  'VirtualMachineRebootInitiatedByControlPlane',
  'VirtualMachineRestarted',
  'VirtualMachineStopInitiatedByControlPlane',
  'VirtualMachineStoppedInternally',
  'VirtualMachineRedeployInitiatedByControlPlane',
  'VirtualMachineRedeployInitiatedByControlPlaneDueToPlannedMaintenance',
  'VirtualMachineRebootInitiatedForPlannedMaintenance',
  'VirtualMachineMigrationInitiatedForPlannedMaintenance',
  'VirtualMachineMigrationInitiatedForRepair',
  'VirtualMachineHostRebootedForRepair',
  'VirtualMachineHostCrashed',
  'VirtualMachineCrashed',
  'VirtualMachineStorageOffline',
  'VirtualMachineProvisioningTimedOut',
  'VirtualMachineFailedToSecureBoot',
] as const;

const DEGRADED = [
  'VirtualMachinePossiblyDegradedDueToHardwareFailure',
  'VirtualMachineMigrationScheduledForDegradedHardware',
  'VirtualMachineScheduledForServiceHealing',
  'VirtualMachinePlannedFreezeStarted',
  'VirtualMachinePlannedFreezeFailed',
  'LiveMigrationFailure',
  'AccelnetUnhealthy',
] as const;

const UNKNOWN = [
  'VirtualMachineAllocated',
  'VirtualMachineStartInitiatedByControlPlane',
  'VirtualMachineSizeChanged',
  'VirtualMachineConfigurationUpdated',
  'VirtualMachinePlannedFreezeSucceeded',
  'LiveMigrationSucceeded',
] as const;

/** Annotation name (normalised) → status. Exported for documentation and tests. */
export const ANNOTATION_STATUS: ReadonlyMap<string, HealthStatus> = new Map<string, HealthStatus>([
  ...UNAVAILABLE.map((a) => [norm(a), 'unavailable'] as const),
  ...DEGRADED.map((a) => [norm(a), 'degraded'] as const),
  ...UNKNOWN.map((a) => [norm(a), 'unknown'] as const),
]);

export function annotationStatus(annotationName: string | undefined, impactType: string | undefined): HealthStatus {
  const known = annotationName !== undefined ? ANNOTATION_STATUS.get(norm(annotationName)) : undefined;
  if (known !== undefined) return known;
  switch (impactType === undefined ? '' : norm(impactType)) {
    case 'downtimereboot':
      return 'unavailable';
    case 'downtimefreeze':
    case 'degraded':
      return 'degraded';
    default:
      return 'unknown';
  }
}
