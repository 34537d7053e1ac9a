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
 *
 * The table follows the doc's current version (MicrosoftDocs/azure-monitor-docs, 2026), which adds the
 * `…LiveMigrationEligible` / `…NotEligible` / `…WithRedeployDeadline` variants, `VirtualMachineScheduledForMigrationWithGracePeriod`,
 * `NetworkUnhealthy` and others to the 2023 list. The only Spot/low-priority eviction annotation the doc
 * names is `VirtualMachinePreempted` (capacity recall or the user's max price exceeded).
 *
 * `annotationDeadline` gives the notices that come before the impact a time (see its comment).
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
  'VirtualMachineStopInitiatedByControlPlaneTrackingId',
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
  // Confidential VMs: the key release failed, "which may prevent the Virtual Machine from starting".
  'VirtualMachineFailedSecureKeyRelease',
  // Doc ImpactType "Downtime Reboot": brief interruptions or restarts from a network failure on the host side.
  'NetworkUnhealthy',
] as const;

const DEGRADED = [
  'VirtualMachinePossiblyDegradedDueToHardwareFailure',
  'VirtualMachinePossiblyDegradedDueToHardwareFailureLiveMigrationEligible',
  'VirtualMachinePossiblyDegradedDueToHardwareFailureLiveMigrationNotEligible',
  'VirtualMachinePossiblyDegradedDueToHardwareFailureWithRedeployDeadline',
  'VirtualMachinePossiblyDegradedDueToHardwareFailureWithRedeployDeadlineLiveMigrationEligible',
  'VirtualMachinePossiblyDegradedDueToHardwareFailureWithRedeployDeadlineLiveMigrationNotEligible',
  // Listed so (without the VirtualMachine prefix) in the doc's table.
  'PossiblyDegradedDueToHardwareFailureWithRedeployDeadline',
  'VirtualMachineMigrationScheduledForDegradedHardware',
  'VirtualMachineMigrationScheduledForDegradedHardwareLiveMigrationEligible',
  'VirtualMachineMigrationScheduledForDegradedHardwareLiveMigrationNotEligible',
  'VirtualMachineScheduledForServiceHealing',
  'VirtualMachineScheduledForServiceHealingLiveMigrationEligible',
  'VirtualMachineScheduledForServiceHealingLiveMigrationNotEligible',
  // Doc ImpactType "Downtime Reboot", but it is a notice: the move "will not occur before the specified
  // deadline", so the VM still serves now and is at risk — degraded, not unavailable.
  'VirtualMachineScheduledForMigrationWithGracePeriod',
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
  // After the fact: the VM has already been redeployed to a healthy host.
  'VirtualMachineMigratedDueToHardwareFailure',
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

/** Annotations that announce a Spot / low-priority eviction (the doc names exactly one). */
export const PREEMPTION_ANNOTATIONS: readonly string[] = ['VirtualMachinePreempted'];
const PREEMPTION: ReadonlySet<string> = new Set(PREEMPTION_ANNOTATIONS.map(norm));

/**
 * Azure's minimum notice before a Spot VM is evicted: Scheduled Events' `Preempt` event is scheduled at
 * least 30 s ahead (`NotBefore`; articles/virtual-machines/linux/scheduled-events.md, "Event scheduling").
 */
export const SPOT_PREEMPT_NOTICE_SECONDS = 30;

export function isPreemptionAnnotation(annotationName: string | undefined): boolean {
  return annotationName !== undefined && PREEMPTION.has(norm(annotationName));
}

/**
 * When the annotated VM will be taken away, or undefined when the annotation does not say (ISO 8601 in,
 * ISO 8601 out; `occurredAt` is the annotation's `occurredTime`, else the event time).
 *
 * - Only an annotation that makes the VM `unavailable` or `degraded` has a deadline: an informational one
 *   takes nothing away.
 * - Spot preemption (`VirtualMachinePreempted`): an explicit `impactStartTime` wins, even one already past
 *   (the eviction has begun: act now); else `occurredAt` + 30 s. The Resource Notifications payload
 *   carries no eviction time of its own (event-schema-health-resources.md lists none), and Azure's
 *   minimum Preempt notice is 30 s, so the VM is gone by then at the latest — if Azure emitted the
 *   annotation at the notice and not at the eviction itself, which the doc ("has been preempted") does
 *   not promise; a planner must treat the deadline as "no later than".
 * - Any other annotation: `impactStartTime` (a HealthResources property, articles/service-health/
 *   azure-resource-graph-overview.md; per the annotation doc impact times apply to degraded annotations)
 *   only when it is later than `occurredAt` — a future impact start is advance notice, a past one only says
 *   when the degradation began. The redeploy deadlines of the degraded-hardware annotations are given in
 *   the summary text, which is not parsed: no structured field carries them.
 */
export function annotationDeadline(
  annotationName: string | undefined,
  status: HealthStatus,
  occurredAt: string,
  impactStartTime: string | undefined,
): string | undefined {
  if (status !== 'unavailable' && status !== 'degraded') return undefined;
  const occurred = Date.parse(occurredAt);
  const impact = impactStartTime !== undefined ? Date.parse(impactStartTime) : Number.NaN;
  if (isPreemptionAnnotation(annotationName)) {
    if (Number.isFinite(impact)) return new Date(impact).toISOString();
    return Number.isFinite(occurred) ? new Date(occurred + SPOT_PREEMPT_NOTICE_SECONDS * 1000).toISOString() : undefined;
  }
  return Number.isFinite(impact) && Number.isFinite(occurred) && impact > occurred ? new Date(impact).toISOString() : undefined;
}
