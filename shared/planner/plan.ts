/** Plans are data: what to do, in order, and why. Every action carries a deterministic key. */
import type { RegionName } from '../fleet/types.js';
import type { ResizeDecision } from '../capacity/planCapacity.js';
import type { PoolBlock } from '../capacity/capacityErrors.js';
import type { NodeFault } from '../nodes/nodeFault.js';
import type { RegionOutageSignal, ResourceHealthSignal } from '../signals/types.js';

export type Action =
  | {
      /** Apply a Service Health incident update to a region (re-applied to fresh state at execution). */
      readonly kind: 'applyIncident'; readonly key: string; readonly region: RegionName;
      readonly signal: RegionOutageSignal; readonly reason: string;
    }
  | {
      /** Apply weaker evidence (a managed cluster's Resource Health) to its region (re-applied to fresh state). */
      readonly kind: 'applyEvidence'; readonly key: string; readonly region: RegionName; readonly source: string;
      readonly signal: ResourceHealthSignal; readonly reason: string;
    }
  | {
      /** A recovering region that has held down long enough becomes healthy. */
      readonly kind: 'endHoldDown'; readonly key: string; readonly region: RegionName; readonly since: string; readonly reason: string;
    }
  | {
      readonly kind: 'stopRayJob'; readonly key: string; readonly jobId: string; readonly attempt: number;
      readonly clusterId: string; readonly region: RegionName; readonly submissionId: string; readonly reason: string;
      /** Act only while this region is still impaired when the action runs (plans can race). */
      readonly onlyIfImpaired?: RegionName;
    }
  | {
      readonly kind: 'requeueJob'; readonly key: string; readonly jobId: string; readonly fromAttempt: number;
      readonly toAttempt: number; readonly fromRegion: RegionName; readonly excludeRegions: readonly RegionName[];
      readonly reason: string;
      /** An operator's drain moves work out of a healthy cluster: then the region need not be impaired. */
      readonly drain?: boolean;
      /**
       * The job's attempt already FAILED on Ray, and a node failure on its cluster explains it (the alert came after
       * Ray Train gave up): move it anyway rather than record the failure as the job's own.
       */
      readonly afterFailure?: boolean;
    }
  | {
      /** A job's submission reached a terminal state on Ray: record it and free its GPUs. */
      readonly kind: 'recordJobEnd'; readonly key: string; readonly jobId: string; readonly attempt: number;
      readonly clusterId: string; readonly submissionId: string; readonly outcome: 'succeeded' | 'failed' | 'stopped'; readonly reason: string;
    }
  | {
      /** Free GPUs held for a submission that no longer runs. */
      readonly kind: 'releaseGpus'; readonly key: string; readonly clusterId: string; readonly submissionId: string; readonly reason: string;
    }
  | {
      /** Resize one GPU pool within quota: a count, or min/max for an autoscaled pool. */
      readonly kind: 'resizePool'; readonly key: string; readonly decision: ResizeDecision; readonly reason: string;
    }
  | {
      /** Read a subscription × region's quota usages again (a quota alert said they moved). */
      readonly kind: 'refreshQuota'; readonly key: string; readonly subscriptionId: string; readonly region: RegionName; readonly reason: string;
    }
  | {
      /** Hold a large move for an operator: the actions wait, with their reasons, under a deterministic id. */
      readonly kind: 'requestApproval'; readonly key: string; readonly approvalId: string; readonly gpus: number;
      readonly actions: readonly Action[]; readonly reason: string;
    }
  | {
      /** Stop all automatic action until an operator unfreezes: the autopilot's own view may be broken. */
      readonly kind: 'freeze'; readonly key: string; readonly reason: string;
    }
  | {
      /** A queued job that nothing has touched for too long (its message was lost): send it again. */
      readonly kind: 'resendJob'; readonly key: string; readonly jobId: string; readonly attempt: number; readonly updatedAt: string; readonly reason: string;
    }
  | NodeAction;

export type ActionKind = Action['kind'];

/** Node failure handling (shared/nodes, planNodeFailure, drainNode). */
export type NodeAction =
  | {
      /** Apply a node signal to the node's failure episode (re-applied to fresh state at execution). */
      readonly kind: 'recordNodeFault'; readonly key: string; readonly fault: NodeFault; readonly reason: string;
    }
  | {
      /**
       * Cordon the node, stop and requeue (from the last complete checkpoint) the Ray jobs with work on it, and
       * remove its Ray worker pods: evicted (PodDisruptionBudgets honoured) when a replacement node is coming,
       * else scaled in through KubeRay's workersToDelete. Once per episode (`openedAt`).
       */
      readonly kind: 'drainNode'; readonly key: string; readonly clusterId: string; readonly region: RegionName; readonly node: string;
      readonly pool?: string; readonly openedAt: string; readonly cause: string; readonly deadline?: string; readonly replace: boolean;
      /** The node still runs its work well (degraded): interrupting it spends the disruption budget. */
      readonly chargeBudget: boolean; readonly reason: string;
    }
  | {
      /** Ask for a replacement node (pool +1 within quota), or record why there can be none. */
      readonly kind: 'replaceNode'; readonly key: string; readonly clusterId: string; readonly node: string; readonly openedAt: string;
      readonly decision?: ResizeDecision; readonly reason: string;
    }
  | {
      /** Keep automation from growing a pool for a while (its rolling upgrade failed: new nodes may not join). */
      readonly kind: 'blockPool'; readonly key: string; readonly block: PoolBlock; readonly reason: string;
    }
  | {
      /** The episode is over: close it, and uncordon the node when it was cordoned only for being NotReady. */
      readonly kind: 'closeNodeEpisode'; readonly key: string; readonly clusterId: string; readonly node: string; readonly openedAt: string;
      readonly uncordon: boolean; readonly reason: string;
    };

export interface Plan {
  /** What caused it: signal ids, or 'reconcile', or an operator request. */
  readonly trigger: readonly string[];
  readonly actions: readonly Action[];
  /** Human-readable: why each thing is (or is not) done. */
  readonly reasons: readonly string[];
  /** Actions decided but held back (freeze, holds), with why; reconcile plans them again later. */
  readonly withheld?: ReadonlyArray<{ readonly key: string; readonly kind: ActionKind; readonly why: string }>;
  /** Who asked: 'autopilot' for signals and timers, else the operator's principal. */
  readonly requestedBy?: string;
}
