/** `GET /api/fleet`: regions with health, clusters, jobs by state. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { fleetView } from '../shared/autopilot/fleetView.js';
import { authorize } from '../shared/http/authorization.js';
import { requireEntra } from '../shared/http/requireEntra.js';
import { problem } from '../shared/http/responses.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';

export async function getFleet(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const auth = authorize(request.headers, 'Fleet.Reader', { requireEntra: requireEntra() });
  if (!auth.ok) return problem(auth.status, auth.error);
  return { status: 200, jsonBody: await fleetView(await runtimePorts(invocationLogger(context))) };
}

app.http('getFleet', { route: 'api/fleet', methods: ['GET'], authLevel: 'function', handler: getFleet });
