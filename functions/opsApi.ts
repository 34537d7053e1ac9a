/**
 * The operator's HTTP API (DESIGN §7): freeze/unfreeze, holds, evacuate/restore a region, the audit
 * trail. Function keys at the host; Entra app roles here (Fleet.Reader < Fleet.Operator < Fleet.Admin).
 * Every refusal is a clear 401/403; every change is recorded with who asked.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { auditView } from '../shared/autopilot/auditView.js';
import { operatorDecide, operatorDrainCluster, operatorFreeze, operatorHold, operatorRegion, operatorScalePool } from '../shared/autopilot/operator.js';
import { authorize, type FleetRole } from '../shared/http/authorization.js';
import { requireEntra } from '../shared/http/requireEntra.js';
import { problem, readJson } from '../shared/http/responses.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';

const MAX_BODY = 16 * 1024;

/** Authorises, reads the JSON body (when there is one) and hands over the caller and ports. */
function route(role: FleetRole, handler: (ctx: { request: HttpRequest; body: Record<string, unknown>; by: string; ports: Awaited<ReturnType<typeof runtimePorts>> }) => Promise<HttpResponseInit>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const auth = authorize(request.headers, role, { requireEntra: requireEntra() });
    if (!auth.ok) return problem(auth.status, auth.error);
    let body: Record<string, unknown> = {};
    if (request.method === 'POST' && request.headers.get('content-length') !== '0') {
      const read = await readJson(request, MAX_BODY);
      if (!read.ok) return read.response;
      if (!read.body || typeof read.body !== 'object' || Array.isArray(read.body)) return problem(400, 'body must be a JSON object', 'body');
      body = read.body as Record<string, unknown>;
    }
    const ports = await runtimePorts(invocationLogger(context).with({ caller: auth.caller.id }));
    return handler({ request, body, by: auth.caller.name ? `${auth.caller.name} (${auth.caller.id})` : auth.caller.id, ports });
  };
}

const reasonOf = (body: Record<string, unknown>): string | undefined => (typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim() : undefined);

const freeze = route('Fleet.Operator', async ({ body, by, ports }) => {
  const reason = reasonOf(body);
  if (!reason) return problem(400, 'say why', 'reason');
  return { status: 200, jsonBody: { frozen: true, ...(await operatorFreeze(true, reason, by, ports)) } };
});

// Unfreezing hands control back to automation: the most trusted role only.
const unfreeze = route('Fleet.Admin', async ({ body, by, ports }) => {
  const reason = reasonOf(body);
  if (!reason) return problem(400, 'say why', 'reason');
  return { status: 200, jsonBody: { frozen: false, ...(await operatorFreeze(false, reason, by, ports)) } };
});

const listHolds = route('Fleet.Reader', async ({ ports }) => ({ status: 200, jsonBody: { holds: await ports.state.ops.holds(ports.clock.now()) } }));

const addHold = route('Fleet.Operator', async ({ body, by, ports }) => {
  const outcome = await operatorHold({ scope: body.scope as never, target: String(body.target ?? ''), minutes: Number(body.minutes), reason: String(body.reason ?? '') }, by, ports);
  return 'hold' in outcome ? { status: 201, jsonBody: outcome.hold } : problem(400, outcome.error, outcome.field);
});

const releaseHold = route('Fleet.Operator', async ({ request, ports }) => {
  const released = await ports.state.ops.releaseHold(request.params.id ?? '', ports.clock.now());
  return released ? { status: 200, jsonBody: { released: true } } : problem(404, `no active hold ${request.params.id}`, 'id');
});

const region = (stage: 'active' | 'resolved') => route('Fleet.Operator', async ({ request, body, by, ports }) => {
  const reason = reasonOf(body);
  if (!reason) return problem(400, 'say why', 'reason');
  const outcome = await operatorRegion(request.params.region ?? '', stage, reason, by, ports);
  if ('error' in outcome) return problem(404, outcome.error, 'region');
  return { status: 200, jsonBody: { reasons: outcome.plan.reasons, actions: outcome.results } };
});

const drainCluster = route('Fleet.Operator', async ({ body, by, ports }) => {
  const reason = reasonOf(body);
  if (!reason) return problem(400, 'say why', 'reason');
  if (typeof body.clusterId !== 'string') return problem(400, 'the ARM id of a cluster in the fleet', 'clusterId');
  const outcome = await operatorDrainCluster(body.clusterId, reason, by, ports);
  if ('error' in outcome) return problem(404, outcome.error, 'clusterId');
  return { status: 200, jsonBody: { reasons: outcome.plan.reasons, actions: outcome.results } };
});

const scalePool = route('Fleet.Operator', async ({ body, by, ports }) => {
  const reason = reasonOf(body);
  if (!reason) return problem(400, 'say why', 'reason');
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  const outcome = await operatorScalePool({ clusterId: String(body.clusterId ?? ''), pool: String(body.pool ?? ''), ...(body.count !== undefined ? { count: num(body.count)! } : {}),
    ...(body.minCount !== undefined ? { minCount: num(body.minCount)! } : {}), ...(body.maxCount !== undefined ? { maxCount: num(body.maxCount)! } : {}), reason }, by, ports);
  if ('error' in outcome) return problem(400, outcome.error, outcome.field);
  return { status: 200, jsonBody: { reasons: outcome.plan.reasons, actions: outcome.results } };
});

const listApprovals = route('Fleet.Reader', async ({ ports }) => ({ status: 200, jsonBody: { approvals: await ports.state.ops.approvals() } }));

const decide = (decision: 'approved' | 'rejected') => route('Fleet.Operator', async ({ request, by, ports }) => {
  // Approved moves run as a person's decision, past the freeze: while frozen that is an admin's call.
  if (decision === 'approved' && (await ports.state.ops.freeze()).frozen) {
    const admin = authorize(request.headers, 'Fleet.Admin', { requireEntra: requireEntra() });
    if (!admin.ok) return problem(admin.status, `the autopilot is frozen: approving needs Fleet.Admin; ${admin.error}`);
  }
  const outcome = await operatorDecide(request.params.id ?? '', decision, by, ports);
  if ('error' in outcome) return problem(outcome.status, outcome.error, 'id');
  return { status: 200, jsonBody: { status: decision, actions: outcome.results } };
});

const actions = route('Fleet.Reader', async ({ request, ports }) => {
  const q = request.query;
  const limit = q.get('limit');
  return { status: 200, jsonBody: await auditView({
    ...(q.get('kind') ? { kind: q.get('kind')! } : {}), ...(q.get('status') ? { status: q.get('status')! } : {}),
    ...(q.get('since') ? { since: q.get('since')! } : {}), ...(q.get('trigger') ? { trigger: q.get('trigger')! } : {}),
    ...(q.get('requestedBy') ? { requestedBy: q.get('requestedBy')! } : {}), ...(limit ? { limit: Number(limit) } : {}),
  }, ports) };
});

app.http('opsFreeze', { route: 'api/ops/freeze', methods: ['POST'], authLevel: 'function', handler: freeze });
app.http('opsUnfreeze', { route: 'api/ops/unfreeze', methods: ['POST'], authLevel: 'function', handler: unfreeze });
app.http('opsListHolds', { route: 'api/ops/holds', methods: ['GET'], authLevel: 'function', handler: listHolds });
app.http('opsAddHold', { route: 'api/ops/holds', methods: ['POST'], authLevel: 'function', handler: addHold });
app.http('opsReleaseHold', { route: 'api/ops/holds/{id}', methods: ['DELETE'], authLevel: 'function', handler: releaseHold });
app.http('opsEvacuateRegion', { route: 'api/ops/regions/{region}/evacuate', methods: ['POST'], authLevel: 'function', handler: region('active') });
app.http('opsRestoreRegion', { route: 'api/ops/regions/{region}/restore', methods: ['POST'], authLevel: 'function', handler: region('resolved') });
app.http('opsDrainCluster', { route: 'api/ops/clusters/drain', methods: ['POST'], authLevel: 'function', handler: drainCluster });
app.http('opsScalePool', { route: 'api/ops/pools/scale', methods: ['POST'], authLevel: 'function', handler: scalePool });
app.http('opsListApprovals', { route: 'api/ops/approvals', methods: ['GET'], authLevel: 'function', handler: listApprovals });
app.http('opsApprove', { route: 'api/ops/approvals/{id}/approve', methods: ['POST'], authLevel: 'function', handler: decide('approved') });
app.http('opsReject', { route: 'api/ops/approvals/{id}/reject', methods: ['POST'], authLevel: 'function', handler: decide('rejected') });
app.http('getActions', { route: 'api/actions', methods: ['GET'], authLevel: 'function', handler: actions });
