/**
 * The Log Analytics side of the Monitor face: `POST /v1/workspaces/{id}/query` with `{ query, timespan }`, answered
 * as `{ tables: [{ name: 'PrimaryResult', columns: [{ name, type }], rows }] }` (learn.microsoft.com/azure/
 * azure-monitor/logs/api/response-format).
 *
 * It does not interpret KQL. It knows one query: the autopilot's node readiness query, recognised by its marker line,
 * a `let clusterIds = dynamic([...]);` line of string literals, and a body identical to the one below, and it
 * answers it with what that KQL means over the node records. Any other text is a 400 `BadArgumentError`, the body
 * Azure sends for a query it cannot run. The body is a copy, not an import of the adapter's: changing the adapter's
 * query must be a conscious change here too, where its meaning is modelled.
 */
import { inventoryStatus, latestPerNode, type MonitorNodeSource } from './nodeSource.js';

export const NODE_READINESS_MARKER = '// autopilot:node-readiness v1';
const NODE_READINESS_BODY = [
  'KubeNodeInventory',
  '| where ClusterId in~ (clusterIds)',
  '| summarize arg_max(TimeGenerated, Status) by Cluster = tolower(ClusterId), Computer',
  '| project Cluster, Computer, Ready = set_has_element(split(Status, ","), "Ready"), TimeGenerated',
].join('\n');

const LET_CLUSTER_IDS = /^let clusterIds = dynamic\(\[((?:"(?:[^"\\]|\\.)*"(?:, "(?:[^"\\]|\\.)*")*)?)\]\);$/;
const STRING_LITERAL = /"((?:[^"\\]|\\.)*)"/g;

export interface FaceReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Azure's error for a query it will not run (400, `BadArgumentError`), with our reason in the inner error. */
export function badArgument(innerCode: string, innerMessage: string): FaceReply {
  return { status: 400, body: { error: { message: 'The request had some invalid properties', code: 'BadArgumentError', innererror: { code: innerCode, message: innerMessage } } } };
}

/** `PT<n>M`, `PT<n>H`, `P<n>D`: the durations the adapter sends (the API also takes intervals; the twin does not). */
function durationMs(timespan: unknown): number | undefined {
  if (typeof timespan !== 'string') return undefined;
  const m = /^P(?:T(\d+)([MH])|(\d+)D)$/.exec(timespan);
  if (!m) return undefined;
  if (m[3]) return Number(m[3]) * 86_400_000;
  return Number(m[1]) * (m[2] === 'H' ? 3_600_000 : 60_000);
}

/** The cluster ids of a recognised query, or the reason it is not one. */
export function recogniseNodeReadiness(query: string): { ok: true; clusterIds: string[] } | { ok: false; reason: string } {
  const [marker, letLine, ...rest] = query.split('\n');
  if (marker !== NODE_READINESS_MARKER) {
    return { ok: false, reason: `The Monitor twin does not interpret KQL: it answers only queries that start with '${NODE_READINESS_MARKER}'.` };
  }
  const m = LET_CLUSTER_IDS.exec(letLine ?? '');
  if (!m) return { ok: false, reason: 'The second line must be: let clusterIds = dynamic(["<AKS resource id>", …]);' };
  if (rest.join('\n') !== NODE_READINESS_BODY) {
    return { ok: false, reason: `The body of '${NODE_READINESS_MARKER}' differs from the one the twin knows; update local/twin/monitor/logsAnswer.ts with the query.` };
  }
  const clusterIds = [...(m[1] ?? '').matchAll(STRING_LITERAL)].map((s) => s[1]!.replace(/\\(.)/g, '$1'));
  return { ok: true, clusterIds };
}

export function answerLogsQuery(source: MonitorNodeSource, body: unknown, nowMs: number, options: { partial?: boolean } = {}): FaceReply {
  const request = typeof body === 'object' && body !== null ? body as { query?: unknown; timespan?: unknown } : {};
  if (typeof request.query !== 'string' || request.query === '') return badArgument('QueryValidationError', "The request body must have a non-empty 'query'.");
  const windowMs = request.timespan === undefined ? undefined : durationMs(request.timespan);
  if (request.timespan !== undefined && windowMs === undefined) {
    return badArgument('QueryValidationError', `The Monitor twin understands a timespan of PT<n>M, PT<n>H or P<n>D, got ${JSON.stringify(request.timespan)}.`);
  }
  const recognised = recogniseNodeReadiness(request.query);
  if (!recognised.ok) return badArgument('SyntaxError', recognised.reason);

  const wanted = new Set(recognised.clusterIds.map((id) => id.toLowerCase()));
  const since = windowMs === undefined ? -Infinity : nowMs - windowMs;
  const inWindow = source.nodes().filter((r) => wanted.has(r.clusterId.toLowerCase()) && Date.parse(r.at) >= since && Date.parse(r.at) <= nowMs);
  let rows = latestPerNode(inWindow)
    .sort((a, b) => a.clusterId.localeCompare(b.clusterId) || a.node.localeCompare(b.node))
    .map((r) => [r.clusterId.toLowerCase(), r.node, inventoryStatus(r).split(',').includes('Ready'), new Date(r.at).toISOString()]);
  const table = (rs: unknown[][]) => ({
    name: 'PrimaryResult',
    columns: [{ name: 'Cluster', type: 'string' }, { name: 'Computer', type: 'string' }, { name: 'Ready', type: 'bool' }, { name: 'TimeGenerated', type: 'datetime' }],
    rows: rs,
  });
  if (!options.partial) return { status: 200, body: { tables: [table(rows)] } };
  // A non-fatal error: 200, some rows, and an `error` with code PartialError (response-format doc). The detail
  // text imitates a result-size limit; the adapter must not use any of these rows.
  rows = rows.slice(0, Math.ceil(rows.length / 2));
  return {
    status: 200,
    body: {
      tables: [table(rows)],
      error: {
        code: 'PartialError', message: 'There were some errors when processing your query.',
        details: [{ code: 'EngineError', message: 'Something went wrong processing your query on the server.', innererror: { code: '-2133196797', message: 'Query execution has exceeded the allowed limits (80DA0003): the results of this query exceed the set limit.' } }],
      },
    },
  };
}
