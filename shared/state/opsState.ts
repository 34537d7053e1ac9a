/**
 * The operator's levers in the state Table: the freeze (one row) and time-limited holds (partition
 * `hold`). Automation reads them before every plan; every change records who made it and why.
 */
import type { EntityStore } from '../ports/entityStore.js';
import { mutate } from './mutate.js';

export interface Freeze {
  readonly frozen: boolean;
  readonly reason: string;
  readonly since: string;
  /** 'autopilot' when it froze itself; otherwise the operator's principal. */
  readonly by: string;
}

export type HoldScope = 'region' | 'cluster' | 'pool';

export interface Hold {
  readonly id: string;
  readonly scope: HoldScope;
  /** A region name, a cluster's ARM id, or `<clusterId>|<pool>`. */
  readonly target: string;
  readonly until: string;
  readonly reason: string;
  readonly by: string;
  readonly createdAt: string;
  readonly releasedAt?: string;
}

/** A region's work was moved out during one impairment episode (identified by when it became impaired). */
export interface Failover {
  readonly region: string;
  /** The region health `since` of the episode. */
  readonly episode: string;
  readonly at: string;
}

export interface Approval {
  readonly id: string;
  readonly status: 'pending' | 'approved' | 'rejected';
  /** The plan's actions as planned (JSON): they re-check their conditions when they run. */
  readonly actions: readonly unknown[];
  readonly gpus: number;
  readonly reason: string;
  readonly trigger: readonly string[];
  readonly requestedAt: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
}

/** GPUs of running work an automatic move interrupted. */
export interface Disruption {
  readonly region: string;
  readonly gpus: number;
  readonly at: string;
  readonly key: string;
}

export const NOT_FROZEN: Freeze = { frozen: false, reason: 'never frozen', since: '1970-01-01T00:00:00.000Z', by: 'autopilot' };

export class OpsState {
  constructor(private readonly store: EntityStore) {}

  async freeze(): Promise<Freeze> {
    return (await this.store.get<Freeze>('ops', 'freeze'))?.value ?? NOT_FROZEN;
  }

  /** Returns true when it changed something (freezing a frozen autopilot keeps the first reason). */
  async setFrozen(frozen: boolean, reason: string, by: string, now: Date): Promise<boolean> {
    const { changed } = await mutate<Freeze>(this.store, 'ops', 'freeze', (cur) =>
      (cur?.frozen ?? false) === frozen ? undefined : { frozen, reason, by, since: now.toISOString() });
    return changed;
  }

  /** Holds in force at `now`. */
  async holds(now: Date): Promise<Hold[]> {
    return (await this.store.list<Hold>('hold')).map((e) => e.value)
      .filter((h) => !h.releasedAt && Date.parse(h.until) > now.getTime());
  }

  async failovers(now: Date, windowMs: number): Promise<Failover[]> {
    return (await this.store.list<Failover>('failover')).map((e) => e.value).filter((f) => now.getTime() - Date.parse(f.at) < windowMs);
  }

  async recordFailover(region: string, episode: string, now: Date): Promise<void> {
    await this.store.create('failover', `${region}|${episode}`, { region, episode, at: now.toISOString() } satisfies Failover);
  }

  async approvals(): Promise<Approval[]> {
    return (await this.store.list<Approval>('approval')).map((e) => e.value).sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  }

  async approval(id: string): Promise<Approval | undefined> {
    return (await this.store.get<Approval>('approval', id))?.value;
  }

  /** Create-once by id: the same moves planned again (reconcile) ask once. */
  async requestApproval(approval: Approval): Promise<'created' | 'exists'> {
    return this.store.create('approval', approval.id, approval);
  }

  /** pending → approved/rejected, once. Returns the approval as decided, or undefined if it was not pending. */
  async decide(id: string, status: 'approved' | 'rejected', by: string, now: Date): Promise<Approval | undefined> {
    const { changed, value } = await mutate<Approval>(this.store, 'approval', id, (cur) =>
      cur && cur.status === 'pending' ? { ...cur, status, decidedBy: by, decidedAt: now.toISOString() } : undefined);
    return changed ? value : undefined;
  }

  /**
   * Spends from the disruption budget if it allows (under the row's ETag, so two workers cannot both take
   * the last GPUs). Returns undefined when taken, or why not. The first disruption in a window always fits.
   */
  async spendBudget(d: Disruption, limits: { region: number; fleet: number; windowMs: number }, now: Date): Promise<string | undefined> {
    let refusal: string | undefined;
    await mutate<{ items: Disruption[] }>(this.store, 'ops', 'disruptions', (cur) => {
      const items = (cur?.items ?? []).filter((x) => now.getTime() - Date.parse(x.at) < limits.windowMs);
      if (items.some((x) => x.key === d.key)) { refusal = undefined; return undefined; }
      const region = items.filter((x) => x.region === d.region).reduce((n, x) => n + x.gpus, 0);
      const fleet = items.reduce((n, x) => n + x.gpus, 0);
      const minutes = Math.round(limits.windowMs / 60_000);
      // The first disruption of a window always fits, whatever its size: a budget that rounds below one job (a
      // small region, a region whose idle pools shrank) would otherwise keep that job in place forever.
      if (region > 0 && region + d.gpus > limits.region) { refusal = `budget: ${region} of ${limits.region} GPUs of ${d.region} already interrupted in ${minutes} min`; return undefined; }
      if (fleet > 0 && fleet + d.gpus > limits.fleet) { refusal = `budget: ${fleet} of ${limits.fleet} fleet GPUs already interrupted in ${minutes} min`; return undefined; }
      refusal = undefined;
      return { items: [...items, d] };
    });
    return refusal;
  }

  async addHold(hold: Hold): Promise<'created' | 'exists'> {
    return this.store.create('hold', hold.id, hold);
  }

  async releaseHold(id: string, now: Date): Promise<boolean> {
    const { changed } = await mutate<Hold>(this.store, 'hold', id, (cur) => cur && !cur.releasedAt ? { ...cur, releasedAt: now.toISOString() } : undefined);
    return changed;
  }
}

/** Is this region, cluster or pool under a hold? Returns the hold, for the reason. */
export function holdOn(holds: readonly Hold[], where: { region?: string; clusterId?: string; pool?: string }): Hold | undefined {
  return holds.find((h) =>
    (h.scope === 'region' && h.target === where.region) ||
    (h.scope === 'cluster' && where.clusterId !== undefined && h.target.toLowerCase() === where.clusterId.toLowerCase()) ||
    (h.scope === 'pool' && where.clusterId !== undefined && where.pool !== undefined && h.target.toLowerCase() === `${where.clusterId}|${where.pool}`.toLowerCase()));
}
