/** `GET /api/actions`: the audit trail, newest first, with filters. */
import type { Ports } from '../executor/ports.js';
import type { ActionEntry } from '../state/fleetState.js';

export interface AuditQuery {
  readonly kind?: string;
  readonly status?: string;
  readonly since?: string;
  /** A signal id, 'reconcile', or an operator's id: the actions it caused. */
  readonly trigger?: string;
  readonly requestedBy?: string;
  readonly limit?: number;
}

export async function auditView(query: AuditQuery, ports: Ports): Promise<{ actions: ActionEntry[]; total: number }> {
  const since = query.since ? Date.parse(query.since) : undefined;
  const all = (await ports.state.actions())
    .filter((a) => !query.kind || a.kind === query.kind)
    .filter((a) => !query.status || a.status === query.status)
    .filter((a) => since === undefined || Date.parse(a.startedAt) >= since)
    .filter((a) => !query.trigger || a.trigger.includes(query.trigger))
    .filter((a) => !query.requestedBy || a.requestedBy === query.requestedBy)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.key.localeCompare(b.key));
  return { actions: all.slice(0, Math.min(Math.max(query.limit ?? 100, 1), 1000)), total: all.length };
}
