/**
 * Observed fleet state in one Table (partitions: signal, region, job, ledger, action). Every write
 * is conditional (ETag) so any number of function instances can run at once.
 */
import { healthyRegion, NO_TRANSITION } from '../fleet/regionHealth.js';
import type { ClusterLedger, FleetSpec, JobRecord, RegionHealth } from '../fleet/types.js';
import { nodeKey, type NodeIncident } from '../nodes/nodeIncident.js';
import type { FleetSnapshot } from '../planner/snapshot.js';
import type { EntityStore } from '../ports/entityStore.js';
import type { Signal } from '../signals/types.js';
import { createHash } from 'node:crypto';
import { ledgerOf } from '../capacity/ledger.js';
import { CapacityState } from './capacityState.js';
import { OpsState } from './opsState.js';
import { mutate } from './mutate.js';

export interface SignalEntry {
  readonly signal: Signal;
  readonly receivedAt: string;
  readonly status: 'recorded' | 'processed';
  readonly outcome?: string;
  readonly processedAt?: string;
}

/** The latest known state of one condition (an alert, a resource's health), by event time. */
export interface ConditionEntry {
  readonly key: string;
  readonly state: string;
  readonly at: string;
  readonly signalId: string;
}

/**
 * Row key for an idempotency key. Keys come from outside (alert ids, event ids) and can be longer than
 * a Table row key may be: long ones are replaced by their SHA-256, which keeps them unique and stable.
 */
export const rowKey = (key: string): string => (key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`);

const SETTLED = new Set(['resolved', 'available', 'succeeded']);

export type ActionStatus = 'started' | 'done' | 'failed' | 'withheld' | 'skipped';

/** How long a started action belongs to the worker that started it; after that it may be retried. */
export const ACTION_LEASE_MS = 60_000;
export interface ActionEntry {
  readonly key: string;
  readonly kind: string;
  readonly trigger: readonly string[];
  readonly reason: string;
  readonly status: ActionStatus;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly outcome?: string;
  readonly dryRun: boolean;
  /** 'autopilot', or the operator's principal. */
  readonly requestedBy?: string;
  /** Hash of the policy the decision was made under. */
  readonly policyVersion?: string;
  /** The plan's reasons: what else was considered and why it was not done. */
  readonly context?: readonly string[];
}

export class FleetState {
  readonly capacity: CapacityState;
  readonly ops: OpsState;

  constructor(private readonly store: EntityStore, private readonly fleet: FleetSpec) {
    this.capacity = new CapacityState(store);
    this.ops = new OpsState(store);
  }

  /** Records a signal once by its idempotency key. 'unfinished': seen before but never fully processed (a crash): process again. */
  async recordSignal(signal: Signal, receivedAt: Date): Promise<'new' | 'duplicate' | 'unfinished'> {
    const entry: SignalEntry = { signal, receivedAt: receivedAt.toISOString(), status: 'recorded' };
    if ((await this.store.create('signal', rowKey(signal.id), entry)) === 'created') return 'new';
    const existing = await this.store.get<SignalEntry>('signal', rowKey(signal.id));
    return existing?.value.status === 'processed' ? 'duplicate' : 'unfinished';
  }

  /**
   * Pairs Fired/Resolved (and health transitions): the newest event time wins. 'stale' when a newer
   * event for the same condition was already seen, so the older one must not undo it.
   */
  async observeCondition(key: string, state: string, signalId: string, at: string): Promise<'current' | 'stale'> {
    let verdict: 'current' | 'stale' = 'current';
    await mutate<ConditionEntry>(this.store, 'condition', rowKey(key), (cur) => {
      const curAt = cur ? Date.parse(cur.at) : -Infinity;
      const newAt = Date.parse(at);
      // Newest wins; on a tie the settling state (resolved, available) wins over the alarming one.
      if (cur && (curAt > newAt || (curAt === newAt && SETTLED.has(cur.state) && !SETTLED.has(state)))) { verdict = 'stale'; return undefined; }
      verdict = 'current';
      return cur && cur.at === at && cur.state === state ? undefined : { key, state, at, signalId };
    });
    return verdict;
  }

  async conditions(): Promise<ConditionEntry[]> {
    return (await this.store.list<ConditionEntry>('condition')).map((e) => e.value);
  }

  async markSignalProcessed(id: string, outcome: string, at: Date): Promise<void> {
    await mutate<SignalEntry>(this.store, 'signal', rowKey(id), (cur) =>
      cur && cur.status !== 'processed' ? { ...cur, status: 'processed', outcome, processedAt: at.toISOString() } : undefined);
  }

  async signals(): Promise<SignalEntry[]> {
    return (await this.store.list<SignalEntry>('signal')).map((e) => e.value);
  }

  async snapshot(now: Date): Promise<FleetSnapshot> {
    const managesPools = this.fleet.clusters.some((c) => c.pools.length > 0);
    const [regions, jobs, ledgers, nodes, pools, quota, reservations, blocks, freeze, holds, failovers, approvals] = await Promise.all([
      this.store.list<RegionHealth>('region'), this.store.list<JobRecord>('job'), this.store.list<ClusterLedger>('ledger'), this.nodes(),
      managesPools ? this.capacity.pools() : [], managesPools ? this.capacity.quotaReads() : [],
      managesPools ? this.capacity.reservations() : [], managesPools ? this.capacity.blocks(now) : [],
      this.ops.freeze(), this.ops.holds(now), this.ops.failovers(now, this.fleet.policy.failoverWindowMs),
      this.fleet.policy.approvalAboveGpus ? this.ops.approvals() : [],
    ]);
    // A region with no record has never changed state: healthy since the beginning.
    const health = new Map(this.fleet.regions.map((r) => [r, healthyRegion(r, NO_TRANSITION)]));
    for (const r of regions) health.set(r.value.region, r.value);
    return {
      regions: this.fleet.regions, clusters: this.fleet.clusters, policy: this.fleet.policy, health,
      jobs: jobs.map((j) => j.value), ledgers: new Map(ledgers.map((l) => [l.value.clusterId, l.value])), nodes,
      ...(managesPools ? { capacity: { catalogue: this.fleet.catalogue, pools, ledger: ledgerOf(quota), reservations, blocks } } : {}),
      ops: { freeze, holds, failovers, approvals },
    };
  }

  job(jobId: string): Promise<JobRecord | undefined> {
    return this.store.get<JobRecord>('job', jobId).then((v) => v?.value);
  }

  mutateJob(jobId: string, decide: (current: JobRecord | undefined) => JobRecord | undefined) {
    return mutate<JobRecord>(this.store, 'job', jobId, decide);
  }

  /** Node failure episodes (open and closed; a node's record is reused by its next episode). */
  async nodes(): Promise<NodeIncident[]> {
    return (await this.store.list<NodeIncident>('node')).map((e) => e.value);
  }

  async node(clusterId: string, node: string): Promise<NodeIncident | undefined> {
    return (await this.store.get<NodeIncident>('node', rowKey(nodeKey(clusterId, node))))?.value;
  }

  mutateNode(clusterId: string, node: string, decide: (current: NodeIncident | undefined) => NodeIncident | undefined) {
    return mutate<NodeIncident>(this.store, 'node', rowKey(nodeKey(clusterId, node)), decide);
  }

  /** One region's health record; undefined: it never changed state (healthy). */
  async region(region: string): Promise<RegionHealth | undefined> {
    return (await this.store.get<RegionHealth>('region', region))?.value;
  }

  mutateRegion(region: string, decide: (current: RegionHealth | undefined) => RegionHealth | undefined) {
    return mutate<RegionHealth>(this.store, 'region', region, decide);
  }

  mutateLedger(clusterId: string, decide: (current: ClusterLedger) => ClusterLedger | undefined) {
    return mutate<ClusterLedger>(this.store, 'ledger', clusterId, (cur) => decide(cur ?? { clusterId, allocations: {} }));
  }

  /**
   * The action log is written before acting. 'new' and 'retry' (started earlier but never finished:
   * a crash) mean act now; every action is idempotent, so acting twice is harmless. 'done': skip.
   */
  async beginAction(entry: Omit<ActionEntry, 'status' | 'startedAt'>, now: Date): Promise<'new' | 'retry' | 'done' | 'inProgress'> {
    const row: ActionEntry = { ...entry, status: 'started', startedAt: now.toISOString() };
    if ((await this.store.create('action', rowKey(entry.key), row)) === 'created') return 'new';
    // Take the action over only if it is not done and its lease ran out (its worker crashed or gave up).
    let outcome: 'retry' | 'done' | 'inProgress' = 'retry';
    await mutate<ActionEntry>(this.store, 'action', rowKey(entry.key), (cur) => {
      if (!cur) { outcome = 'retry'; return row; }
      if (cur.status === 'done') { outcome = 'done'; return undefined; }
      if (cur.status === 'started' && now.getTime() - Date.parse(cur.startedAt) < ACTION_LEASE_MS) { outcome = 'inProgress'; return undefined; }
      outcome = 'retry';
      return { ...cur, ...row };
    });
    return outcome;
  }

  async finishAction(key: string, status: 'done' | 'failed' | 'skipped', outcome: string, now: Date): Promise<void> {
    await mutate<ActionEntry>(this.store, 'action', rowKey(key), (cur) =>
      cur ? { ...cur, status, outcome, finishedAt: now.toISOString() } : undefined);
  }

  async actions(): Promise<ActionEntry[]> {
    return (await this.store.list<ActionEntry>('action')).map((e) => e.value);
  }

  /** Records an action that a freeze or hold kept back (it may be planned and run later under the same key). */
  async recordWithheld(entry: Omit<ActionEntry, 'status' | 'startedAt'>, now: Date): Promise<void> {
    await mutate<ActionEntry>(this.store, 'action', rowKey(entry.key), (cur) =>
      cur && !['withheld', 'failed', 'skipped'].includes(cur.status) ? undefined : { ...entry, status: 'withheld', startedAt: now.toISOString() });
  }
}
