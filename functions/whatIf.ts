/** `POST /api/plan`: what-if. Signal bodies in (any inbound kind), the plans out; nothing is executed. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { authorize } from '../shared/http/authorization.js';
import { problem, readJson } from '../shared/http/responses.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { whatIf } from '../shared/planner/whatIf.js';
import { runtimePorts } from '../shared/runtime.js';
import { requireEntra } from '../shared/http/requireEntra.js';
import { parseInboundBody } from '../shared/signals/parseInbound.js';
import { SignalParseError, type Signal } from '../shared/signals/types.js';

const MAX_PLAN_BYTES = 1024 * 1024;

export async function whatIfHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const auth = authorize(request.headers, 'Fleet.Reader', { requireEntra: requireEntra() });
  if (!auth.ok) return problem(auth.status, auth.error);
  const read = await readJson(request, MAX_PLAN_BYTES);
  if (!read.ok) return read.response;
  const ports = await runtimePorts(invocationLogger(context));
  const body = read.body as { bodies?: unknown };
  const bodies = body && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body.bodies) ? body.bodies : [read.body];
  const signals: Signal[] = [];
  for (const [i, b] of bodies.entries()) {
    try {
      const parsed = parseInboundBody(b, { fleet: { clusters: ports.fleet.clusters } });
      if (parsed.kind === 'signals') signals.push(...parsed.signals);
    } catch (e) {
      if (e instanceof SignalParseError) return problem(400, e.message, bodies.length > 1 ? `bodies[${i}].${e.field}` : e.field);
      throw e;
    }
  }
  const now = ports.clock.now();
  const steps = whatIf(await ports.state.snapshot(now), signals, now);
  return { status: 200, jsonBody: { executed: false, at: now.toISOString(), steps } };
}

app.http('whatIf', { route: 'api/plan', methods: ['POST'], authLevel: 'function', handler: whatIfHttp });
