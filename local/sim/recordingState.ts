/**
 * The autopilot's own state (FleetState over an in-memory entity store), with every action-log write also kept as
 * an event on the virtual timeline. The action log holds one row per action key and a later write replaces an
 * earlier one (a withheld action that later runs ends up `done`); the game day's figures and its report need the
 * whole story: when each action started, how it ended, and what was held back by budgets or a freeze.
 */
import type { EntityStore } from '../../shared/ports/entityStore.js';
import type { FleetSpec } from '../../shared/fleet/types.js';
import { FleetState, type ActionEntry } from '../../shared/state/fleetState.js';

export interface ActionEvent {
  readonly at: number;
  readonly key: string;
  readonly kind: string;
  /** begun: about to act; done/failed/skipped: how it ended; withheld: a guard kept it back. */
  readonly status: 'begun' | 'done' | 'failed' | 'skipped' | 'withheld';
  /** Why it was planned (begun, withheld) or what happened (done, failed, skipped). */
  readonly text: string;
}

export class RecordingFleetState extends FleetState {
  readonly events: ActionEvent[] = [];
  private readonly kinds = new Map<string, string>();

  constructor(store: EntityStore, fleet: FleetSpec) {
    super(store, fleet);
  }

  override async beginAction(entry: Omit<ActionEntry, 'status' | 'startedAt'>, now: Date): Promise<'new' | 'retry' | 'done' | 'inProgress'> {
    const verdict = await super.beginAction(entry, now);
    this.kinds.set(entry.key, entry.kind);
    if (verdict === 'new' || verdict === 'retry') this.events.push({ at: now.getTime(), key: entry.key, kind: entry.kind, status: 'begun', text: entry.reason });
    return verdict;
  }

  override async finishAction(key: string, status: 'done' | 'failed' | 'skipped', outcome: string, now: Date): Promise<void> {
    await super.finishAction(key, status, outcome, now);
    this.events.push({ at: now.getTime(), key, kind: this.kinds.get(key) ?? 'unknown', status, text: outcome });
  }

  override async recordWithheld(entry: Omit<ActionEntry, 'status' | 'startedAt'>, now: Date): Promise<void> {
    await super.recordWithheld(entry, now);
    this.kinds.set(entry.key, entry.kind);
    this.events.push({ at: now.getTime(), key: entry.key, kind: entry.kind, status: 'withheld', text: entry.reason });
  }
}
