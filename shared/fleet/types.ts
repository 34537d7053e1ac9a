/** The fleet model: what the fleet file declares and what Table Storage observes. No SDK imports. */
import type { PoolSpec } from '../capacity/fleetPools.js';
import type { VmCatalogue } from '../capacity/vmSizes.js';
import type { JobSpec } from '../jobs/jobSpec.js';

export type RegionName = string;

export interface ClusterSpec {
  /** ARM resource id of the AKS managed cluster. */
  readonly id: string;
  readonly name: string;
  readonly region: RegionName;
  /**
   * GPUs of a cluster whose pools the autopilot does not manage (declared). A cluster with `pools` gets
   * its capacity from the pools as ARM reports them (count × GPUs per node) instead.
   */
  readonly gpus: number;
  /** The GPU pools the autopilot manages (resizes within quota). */
  readonly pools: readonly PoolSpec[];
  /**
   * Where the Ray dashboard (Jobs and State API) of this cluster answers, as the Ray port takes it:
   * - a base URL (`ray.endpoint` in the fleet file), reached directly;
   * - or, without `ray.endpoint`, a service-proxy reference `aks-service-proxy:<cluster id>/namespaces/<ns>/services/<svc>:<port>`
   *   (see `rayServiceProxyEndpoint`): not a URL, the Ray adapter resolves it to the AKS API server's
   *   `/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy` with that cluster's CA and an Entra token. Its scheme is
   *   not http(s), so an adapter that cannot resolve it refuses it rather than sending it anywhere.
   */
  readonly rayEndpoint: string;
  /** The AKS node resource group when it is not the default `MC_<rg>_<cluster>_<region>`. */
  readonly nodeResourceGroup?: string;
}

/** The Ray dashboard port of a RayCluster's head service. */
export const RAY_DASHBOARD_PORT = 8265;
const SERVICE_PROXY_SCHEME = 'aks-service-proxy:';
const SERVICE_PROXY_REF = /^aks-service-proxy:(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+)\/namespaces\/([^/]+)\/services\/([^/:]+):(\d+)$/i;

/** A Service reached through the Kubernetes API server of an AKS cluster (`services/proxy`). */
export interface ServiceProxyTarget {
  /** ARM id of the AKS cluster whose API server proxies. */
  readonly clusterId: string;
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
}

/** The `rayEndpoint` of a cluster whose Ray dashboard is reached through its API server's service proxy. */
export function rayServiceProxyEndpoint(target: ServiceProxyTarget): string {
  return `${SERVICE_PROXY_SCHEME}${target.clusterId}/namespaces/${target.namespace}/services/${target.service}:${target.port}`;
}

/** The target of a service-proxy `rayEndpoint`; undefined for anything else (e.g. a base URL). */
export function parseRayServiceProxyEndpoint(endpoint: string): ServiceProxyTarget | undefined {
  const m = SERVICE_PROXY_REF.exec(endpoint);
  return m ? { clusterId: m[1]!, namespace: m[2]!, service: m[3]!, port: Number(m[4]) } : undefined;
}

export interface FleetSpec {
  readonly regions: readonly RegionName[];
  readonly clusters: readonly ClusterSpec[];
  readonly policy: Policy;
  /** VM sizes: Azure's GPU sizes plus the fleet file's own. */
  readonly catalogue: VmCatalogue;
}

export interface Policy {
  /** A recovering region returns to healthy only after this long with no active incident. */
  readonly recoveryHoldDownMs: number;
  /** First wait when a job fits nowhere; doubles per wait up to maxWaitBackoffMs. */
  readonly waitBackoffMs: number;
  readonly maxWaitBackoffMs: number;
  readonly defaultMaxAttempts: number;
  /** Decide and record, act on nothing. */
  readonly dryRun: boolean;
  /** A queued job nobody has touched for this long is sent to the intake queue again by reconcile. */
  readonly stuckAfterMs: number;
  /** How long a cluster that refused a submission is avoided for that job. */
  readonly avoidClusterMs: number;
  /** Quota usages are read again at least this often (and after every resize and quota alert). */
  readonly quotaRefreshMs: number;
  /** A pool with more nodes than its jobs need for this long shrinks to what they need (not below min). */
  readonly scaleDownCooldownMs: number;
  /**
   * How many times a job may wait for capacity before it is given up with a reason. Separate from the
   * job's maxAttempts (which counts moves): GPU nodes take minutes to provision, so waiting needs room.
   */
  readonly maxWaits: number;
  /** Two or more regions impaired within this window freeze all automatic action (DESIGN §5). */
  readonly selfFreezeWindowMs: number;
  /** One automatic failover per region per this window: a flapping region does not make jobs ping-pong. */
  readonly failoverWindowMs: number;
  /**
   * An automatic plan that would move more GPUs than this waits for an operator's approval (preview →
   * approve → execute). 0: no approvals needed.
   */
  readonly approvalAboveGpus: number;
  /**
   * Disruption budgets: of GPUs running work, at most these fractions may be interrupted by automatic
   * moves per window (fleet and region). Work in a region that does not answer is already interrupted by
   * the outage and does not count.
   */
  readonly disruptionBudget: { readonly fleetFraction: number; readonly regionFraction: number; readonly windowMs: number };
  /** Node, GPU and Spot failures (shared/nodes). */
  readonly nodes: NodePolicy;
}

export interface NodePolicy {
  /**
   * A node's failure episode stays open until the node has been Ready this long: signals within it (a node
   * flapping NotReady/Ready) are one episode and one drain. A node cordoned for NotReady is uncordoned then.
   */
  readonly recoveryMs: number;
  /** This many distinct failed nodes in one region within `stormWindowMs` make the region suspect. */
  readonly stormNodes: number;
  readonly stormWindowMs: number;
  /** A node NotReady this long is not coming back soon: its pool gets a replacement node. */
  readonly replaceNotReadyAfterMs: number;
  /** How long one drain waits for PodDisruptionBudgets (429s) before leaving the rest to the next pass. */
  readonly evictionWaitMs: number;
  /** An episode of a node that never reports Ready again (replaced, reimaged) is closed after this long. */
  readonly forgetAfterMs: number;
}

export const DEFAULT_POLICY: Policy = {
  recoveryHoldDownMs: 15 * 60_000,
  waitBackoffMs: 5_000,
  maxWaitBackoffMs: 5 * 60_000,
  defaultMaxAttempts: 5,
  dryRun: false,
  stuckAfterMs: 10 * 60_000,
  avoidClusterMs: 2 * 60_000,
  quotaRefreshMs: 5 * 60_000,
  scaleDownCooldownMs: 10 * 60_000,
  maxWaits: 30,
  selfFreezeWindowMs: 5 * 60_000,
  failoverWindowMs: 30 * 60_000,
  approvalAboveGpus: 0,
  disruptionBudget: { fleetFraction: 0.1, regionFraction: 0.25, windowMs: 10 * 60_000 },
  nodes: {
    recoveryMs: 10 * 60_000, stormNodes: 3, stormWindowMs: 10 * 60_000, replaceNotReadyAfterMs: 3 * 60_000,
    evictionWaitMs: 20_000, forgetAfterMs: 60 * 60_000,
  },
};

export type RegionHealthState = 'healthy' | 'suspect' | 'impaired' | 'recovering';

export interface IncidentState {
  readonly stage: 'active' | 'resolved';
  /** Event time of the newest signal seen for this incident: older deliveries are stale. */
  readonly at: string;
  readonly signalId: string;
}

export interface EvidenceState {
  readonly bad: boolean;
  /** Event time of the newest signal from this source: older deliveries are stale. */
  readonly at: string;
  readonly signalId: string;
  readonly detail: string;
}

export interface RegionHealth {
  readonly region: RegionName;
  readonly state: RegionHealthState;
  /** When the region entered `state`. */
  readonly since: string;
  readonly reason: string;
  /** Service Health incidents by tracking id. */
  readonly incidents: Readonly<Record<string, IncidentState>>;
  /**
   * Weaker evidence by source (a managed cluster's Resource Health): one bad source makes the region
   * suspect, two independent ones impair it. Cleared by the source's own all-clear.
   */
  readonly evidence?: Readonly<Record<string, EvidenceState>>;
}

export type JobState = 'queued' | 'waiting' | 'running' | 'requeued' | 'succeeded' | 'failed' | 'stopped' | 'rejected';

export interface JobEvent {
  readonly at: string;
  readonly event: string;
  readonly detail?: string;
}

export interface JobRecord {
  readonly jobId: string;
  readonly spec: JobSpec;
  readonly state: JobState;
  /** The current attempt. Only ever grows: a message for an older attempt is stale. */
  readonly attempt: number;
  readonly region?: RegionName;
  readonly clusterId?: string;
  readonly submissionId?: string;
  readonly resumeFrom?: string;
  readonly excludeRegions: readonly RegionName[];
  readonly waits: number;
  /**
   * When the redelivery the last wait scheduled is due (this attempt). A delivery before then (a job woken because
   * its nodes landed) that still finds no room leaves that redelivery to carry on, rather than starting a second
   * backoff chain.
   */
  readonly retryAt?: string;
  readonly reason?: string;
  readonly updatedAt: string;
  /** When the current attempt started running (for recovery-time figures). */
  readonly runningSince?: string;
  /**
   * Set while a node drain moves this job (node ref `<clusterId>|<node>`): its Ray job may show STOPPED before
   * its requeue is recorded, and reconcile must finish the move rather than record the job as stopped.
   */
  readonly drainingFrom?: string;
  /** Clusters that failed to take this job, until when they are avoided for it. */
  readonly avoidClusters?: Readonly<Record<string, string>>;
  readonly history: readonly JobEvent[];
}

/** GPUs promised on one cluster, by Ray submission id, so a repeated reservation is a no-op. */
export interface ClusterLedger {
  readonly clusterId: string;
  readonly allocations: Readonly<Record<string, number>>;
}

export const ACTIVE_JOB_STATES: ReadonlySet<JobState> = new Set(['queued', 'waiting', 'running', 'requeued']);
