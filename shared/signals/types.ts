/**
 * The typed signals of DESIGN §4. Every inbound body becomes a list of these; nothing downstream
 * ever looks at a raw payload again.
 */
/** Where a signal came from; 'operator' marks one an operator raised over the ops API (never parsed from a body). */
export type SignalSource = 'eventGrid' | 'cloudEvents' | 'commonAlert' | 'legacyAlert' | 'operator';
export type Stage = 'active' | 'resolved';

interface SignalBase {
  /** Stable idempotency key: the event id, or alertId + ':' + monitorCondition. */
  readonly id: string;
  readonly source: SignalSource;
  /** ISO 8601: when Azure says the thing happened (event time), not when we heard it. */
  readonly observedAt: string;
}

export interface RegionOutageSignal extends SignalBase {
  readonly kind: 'regionOutage';
  /** ARM region names, lower case, no spaces ("eastus2"). */
  readonly regions: readonly string[];
  readonly services: readonly string[];
  readonly trackingId: string;
  readonly stage: Stage;
}

export interface QuotaPressureSignal extends SignalBase {
  readonly kind: 'quotaPressure';
  readonly region: string;
  readonly family: string;
  readonly usagePercent: number;
  readonly used?: number;
  readonly limit?: number;
  readonly subscriptionId?: string;
  readonly stage: Stage;
}

export interface ResourceHealthSignal extends SignalBase {
  readonly kind: 'resourceHealth';
  readonly resourceId: string;
  readonly resourceType: string;
  readonly status: 'available' | 'unavailable' | 'degraded' | 'unknown';
  readonly previousStatus?: 'available' | 'unavailable' | 'degraded' | 'unknown';
  readonly clusterId?: string;
  readonly pool?: string;
  readonly node?: string;
  readonly reason?: string;
  /**
   * ISO 8601: when the resource will be taken away, for notices that come *before* the impact (one optional
   * field beyond DESIGN §4). Set only from Resource Notifications `ResourceAnnotated` (eventGrid/annotations.ts
   * `annotationDeadline`): a Spot preemption (`VirtualMachinePreempted`) → the annotation's `occurredTime` +
   * 30 s, Azure's minimum Preempt notice, unless the payload names a later `impactStartTime`; any other
   * annotation → its `impactStartTime` when that is later than `occurredTime`. Absent when nothing says when
   * (the impact may already have begun). A planner should read it as "no later than": Azure may act sooner.
   */
  readonly deadline?: string;
}

export interface NodeNotReadySignal extends SignalBase {
  readonly kind: 'nodeNotReady';
  readonly cluster?: string;
  readonly clusterId?: string;
  readonly node: string;
  readonly stage: Stage;
}

export interface GpuFaultSignal extends SignalBase {
  readonly kind: 'gpuFault';
  readonly cluster?: string;
  readonly clusterId?: string;
  readonly node: string;
  readonly xid?: number;
  readonly stage: Stage;
}

export interface PoolRolloutSignal extends SignalBase {
  readonly kind: 'poolRollout';
  readonly clusterId: string;
  readonly pool: string;
  readonly phase: 'started' | 'succeeded' | 'failed';
}

export interface ClusterLifecycleSignal extends SignalBase {
  readonly kind: 'clusterLifecycle';
  readonly clusterId: string;
  readonly event: string;
  readonly detail?: string;
}

export interface IgnoredSignal extends SignalBase {
  readonly kind: 'ignored';
  readonly reason: string;
  readonly eventType?: string;
}

export type Signal =
  | RegionOutageSignal
  | QuotaPressureSignal
  | ResourceHealthSignal
  | NodeNotReadySignal
  | GpuFaultSignal
  | PoolRolloutSignal
  | ClusterLifecycleSignal
  | IgnoredSignal;

export type SignalKind = Signal['kind'];

/** A body that can never become signals: the sender must not retry it. `field` names what is wrong. */
export class SignalParseError extends Error {
  override readonly name = 'SignalParseError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}
