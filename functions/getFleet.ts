/** `GET /api/fleet`: regions with health, clusters, jobs by state. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { fleetView } from '../shared/autopilot/fleetView.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';

export async function getFleet(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: await fleetView(await runtimePorts(invocationLogger(context))) };
}

app.http('getFleet', { route: 'fleet', methods: ['GET'], authLevel: 'function', handler: getFleet });
