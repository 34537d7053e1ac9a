/**
 * The Ray State API (dashboard `/api/v0/...`, `ray-project/ray` `python/ray/dashboard/modules/state/state_head.py`,
 * `state_api_utils.py`): list endpoints answer `rest_response(..., convert_google_style=False)`, i.e.
 * `{"result": true, "msg": "", "data": {"result": ListApiResponse}}` where `ListApiResponse`
 * (`python/ray/util/state/common.py`) is `{total, num_after_truncation, num_filtered, result: [rows], …}`; rows keep
 * their snake_case columns (`NodeState.node_id`, `node_ip`; `ActorState.actor_id`, `state`, `job_id`, `node_id`).
 * Filters are repeated `filter_keys`/`filter_predicates`/`filter_values` triples, ANDed; `limit` defaults to 100 and
 * may go up to `RAY_MAX_LIMIT_FROM_API_SERVER` (10,000).
 */

/** Rows per list call: Ray's own ceiling, so a busy cluster is never cut at the default 100. */
export const STATE_LIST_LIMIT = 10_000;

export type StateFilter = readonly [key: string, predicate: '=' | '!=', value: string];

/** `/api/v0/<resource>?limit=…&filter_keys=…&filter_predicates=…&filter_values=…` */
export function stateListPath(resource: 'nodes' | 'actors', filters: readonly StateFilter[] = []): string {
  const query = new URLSearchParams({ limit: String(STATE_LIST_LIMIT) });
  for (const [key, predicate, value] of filters) {
    query.append('filter_keys', key);
    query.append('filter_predicates', predicate);
    query.append('filter_values', value);
  }
  return `/api/v0/${resource}?${query.toString()}`;
}

export type StateRows = { readonly ok: true; readonly rows: readonly Record<string, unknown>[] } | { readonly ok: false; readonly problem: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The rows of a list answer, or why it cannot be trusted (an error envelope, another shape, rows cut at the limit). */
export function stateRows(body: unknown): StateRows {
  if (!isRecord(body)) return { ok: false, problem: 'not a State API envelope' };
  if (body['result'] !== true) return { ok: false, problem: `Ray State API error: ${typeof body['msg'] === 'string' && body['msg'] ? body['msg'] : 'result is not true'}` };
  const data = body['data'];
  const list = isRecord(data) ? data['result'] : undefined;
  if (!isRecord(list) || !Array.isArray(list['result'])) return { ok: false, problem: 'no data.result.result list in the State API envelope' };
  const rows = list['result'].filter(isRecord);
  const filtered = list['num_filtered'];
  // Rows missing past the limit would be jobs we never stop: refuse rather than answer short.
  if (typeof filtered === 'number' && filtered > rows.length) {
    return { ok: false, problem: `the State API returned ${rows.length} of ${filtered} rows (limit ${STATE_LIST_LIMIT})` };
  }
  return { ok: true, rows };
}

export const stringColumn = (row: Record<string, unknown>, column: string): string | undefined => {
  const v = row[column];
  return typeof v === 'string' && v ? v : undefined;
};
