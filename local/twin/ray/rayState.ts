/**
 * Ray's State API (`GET /api/v0/nodes`, `GET /api/v0/actors` on the dashboard, port 8265): the row shapes, the
 * query options and the answer envelope, as Ray 2.5x serves them. Shared by the Ray face and the tests.
 *
 * Sources (ray-project/ray): `python/ray/util/state/common.py` (`NodeState`, `ActorState`, `ListApiOptions`,
 * `ListApiResponse`, `DEFAULT_LIMIT` 100, `RAY_MAX_LIMIT_FROM_API_SERVER` 10 000),
 * `python/ray/dashboard/state_api_utils.py` (`options_from_req`, `do_filter`: filters are ANDed, the column
 * name is lower-cased and must be filterable, string values compare case-insensitively, booleans and integers
 * are converted from the query text), `python/ray/dashboard/optional_utils.py` (`rest_response`:
 * `{"result": <success>, "msg": <message>, "data": {"result": <ListApiResponse>}}`, 200 on success, 500 otherwise).
 */

/** `NodeState`; `start_time_ms`/`end_time_ms` are detail columns. */
export interface RayNodeState {
  node_id: string;
  node_ip: string;
  is_head_node: boolean;
  state: 'ALIVE' | 'DEAD';
  state_message: string | null;
  node_name: string;
  resources_total: Record<string, number>;
  labels: Record<string, string>;
  start_time_ms: number | null;
  end_time_ms: number | null;
}

/** `ActorState`; the fields after `ray_namespace` are detail columns. */
export interface RayActorState {
  actor_id: string;
  class_name: string;
  state: 'DEPENDENCIES_UNREADY' | 'PENDING_CREATION' | 'ALIVE' | 'RESTARTING' | 'DEAD';
  /** The driver's JobID as hex, the same form the Jobs API reports in `job_id`. */
  job_id: string;
  name: string;
  node_id: string | null;
  pid: number | null;
  ray_namespace: string | null;
  serialized_runtime_env: string | null;
  required_resources: Record<string, number> | null;
  death_cause: Record<string, unknown> | null;
  is_detached: boolean | null;
  placement_group_id: string | null;
  repr_name: string | null;
  num_restarts: number | null;
  num_restarts_due_to_lineage_reconstruction: number | null;
}

interface Column {
  readonly filterable: boolean;
  readonly detail: boolean;
}

/** Column metadata in declaration order (the order Ray's `list_columns` walks). */
export const NODE_COLUMNS: Readonly<Record<keyof RayNodeState, Column>> = {
  node_id: { filterable: true, detail: false },
  node_ip: { filterable: true, detail: false },
  is_head_node: { filterable: true, detail: false },
  state: { filterable: true, detail: false },
  state_message: { filterable: false, detail: false },
  node_name: { filterable: true, detail: false },
  resources_total: { filterable: false, detail: false },
  labels: { filterable: false, detail: false },
  start_time_ms: { filterable: false, detail: true },
  end_time_ms: { filterable: false, detail: true },
};

export const ACTOR_COLUMNS: Readonly<Record<keyof RayActorState, Column>> = {
  actor_id: { filterable: true, detail: false },
  class_name: { filterable: true, detail: false },
  state: { filterable: true, detail: false },
  job_id: { filterable: true, detail: false },
  name: { filterable: true, detail: false },
  node_id: { filterable: true, detail: false },
  pid: { filterable: true, detail: false },
  ray_namespace: { filterable: true, detail: false },
  serialized_runtime_env: { filterable: false, detail: true },
  required_resources: { filterable: false, detail: true },
  death_cause: { filterable: false, detail: true },
  is_detached: { filterable: false, detail: true },
  placement_group_id: { filterable: true, detail: true },
  repr_name: { filterable: true, detail: true },
  num_restarts: { filterable: false, detail: true },
  num_restarts_due_to_lineage_reconstruction: { filterable: false, detail: true },
};

export const RAY_STATE_DEFAULT_LIMIT = 100;
export const RAY_MAX_LIMIT_FROM_API_SERVER = 10_000;

export interface RayStateFilter {
  readonly key: string;
  readonly predicate: string;
  readonly value: string;
}

export interface RayListOptions {
  readonly limit: number;
  readonly detail: boolean;
  readonly filters: readonly RayStateFilter[];
}

/** `ListApiResponse` as JSON. */
export interface RayListApiResponse<Row> {
  total: number;
  num_after_truncation: number;
  num_filtered: number;
  result: Row[];
  partial_failure_warning: string;
  warnings: string[] | null;
}

/** The dashboard's JSON envelope. */
export interface RayStateEnvelope<Row> {
  result: boolean;
  msg: string;
  data: { result: RayListApiResponse<Row> | null };
}

/** A request Ray refuses with a `ValueError` (answered 500 with `result: false`). */
export class RayStateError extends Error {}

/** Python's `bool(str)` conversion as `convert_string_to_type` does it. */
function toBool(text: string): boolean {
  const t = text.toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw new RayStateError(`Invalid value ${text} for type bool`);
}

/** `options_from_req`: `limit`, `detail`, repeated `filter_keys` / `filter_predicates` / `filter_values`. */
export function rayListOptions(query: URLSearchParams): RayListOptions {
  const limitText = query.get('limit');
  const limit = limitText === null ? RAY_STATE_DEFAULT_LIMIT : Number.parseInt(limitText, 10);
  if (!Number.isFinite(limit)) throw new RayStateError(`invalid literal for int() with base 10: '${limitText}'`);
  if (limit > RAY_MAX_LIMIT_FROM_API_SERVER) {
    throw new RayStateError(
      `Given limit ${limit} exceeds the supported limit ${RAY_MAX_LIMIT_FROM_API_SERVER}. Use a lower limit, or set the \`RAY_MAX_LIMIT_FROM_API_SERVER\` environment variable to a larger value.`,
    );
  }
  const detailText = query.get('detail');
  const detail = detailText === null ? false : toBool(detailText);
  const keys = query.getAll('filter_keys');
  const predicates = query.getAll('filter_predicates');
  const values = query.getAll('filter_values');
  if (keys.length !== values.length) throw new RayStateError('filter_keys and filter_values must have the same length');
  const filters: RayStateFilter[] = [];
  // zip() stops at the shortest list, as Ray's does.
  for (let i = 0; i < Math.min(keys.length, predicates.length); i++) {
    const predicate = predicates[i]!;
    if (predicate !== '=' && predicate !== '!=') {
      throw new RayStateError(`Unsupported filter predicate ${predicate} is given. Available predicates: =, !=.`);
    }
    filters.push({ key: keys[i]!, predicate, value: values[i]! });
  }
  return { limit, detail, filters };
}

function matches(row: Record<string, unknown>, filter: RayStateFilter): boolean {
  const key = filter.key.toLowerCase();
  if (!(key in row)) return false;
  const actual = row[key];
  if (filter.predicate === '=') {
    if (typeof actual === 'string') return actual.toLowerCase() === filter.value.toLowerCase();
    if (typeof actual === 'boolean') return actual === toBool(filter.value);
    if (typeof actual === 'number') return actual === Number(filter.value);
    return false;
  }
  if (typeof actual === 'string') return actual.toLowerCase() !== filter.value.toLowerCase();
  if (typeof actual === 'boolean') return actual !== toBool(filter.value);
  if (typeof actual === 'number') return actual !== Number(filter.value);
  return true; // None != "x" in Python
}

/** `do_filter` + `filter_fields` + the limit: the `ListApiResponse` for rows of one state type. */
export function listRayState<Row extends object>(
  rows: readonly Row[],
  columns: Readonly<Record<string, Column>>,
  options: RayListOptions,
): RayListApiResponse<Partial<Row>> {
  const filterable = Object.entries(columns).filter(([, c]) => c.filterable).map(([k]) => k);
  for (const f of options.filters) {
    if (!filterable.includes(f.key.toLowerCase())) {
      throw new RayStateError(
        `The given filter column ${f.key.toLowerCase()} is not supported. Enter filters with –-filter key=value or –-filter key!=value Supported filter columns: {${filterable.map((k) => `'${k}'`).join(', ')}}`,
      );
    }
  }
  const shown = Object.entries(columns).filter(([, c]) => options.detail || !c.detail).map(([k]) => k);
  const filtered = rows.filter((row) => options.filters.every((f) => matches(row as Record<string, unknown>, f)));
  const result = filtered.slice(0, Math.max(0, options.limit)).map((row) => {
    const out: Record<string, unknown> = {};
    for (const k of shown) out[k] = (row as Record<string, unknown>)[k] ?? null;
    return out as Partial<Row>;
  });
  return {
    total: rows.length,
    num_after_truncation: rows.length,
    num_filtered: filtered.length,
    result,
    partial_failure_warning: '',
    warnings: null,
  };
}
