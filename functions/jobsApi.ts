/** `POST /api/jobs` (submit through the intake queue) and `GET /api/jobs/{id}` (follow a job). */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { submitJob } from '../shared/autopilot/submitJob.js';
import { authorize } from '../shared/http/authorization.js';
import { requireEntra } from '../shared/http/requireEntra.js';
import { problem, readJson } from '../shared/http/responses.js';
import { JobSpecError, MAX_JOB_SPEC_BYTES } from '../shared/jobs/jobSpec.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';


export async function submitJobHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  // Submitting spends GPUs: operators (and the users' own queue, which needs no HTTP at all).
  const auth = authorize(request.headers, 'Fleet.Operator', { requireEntra: requireEntra() });
  if (!auth.ok) return problem(auth.status, auth.error);
  const read = await readJson(request, MAX_JOB_SPEC_BYTES);
  if (!read.ok) return read.response;
  try {
    const outcome = await submitJob(read.body, await runtimePorts(invocationLogger(context)));
    if (outcome.status === 'conflict') return problem(409, outcome.detail, 'jobId');
    return { status: 202, headers: { location: `/api/jobs/${encodeURIComponent(outcome.jobId)}` }, jsonBody: { jobId: outcome.jobId, status: 'queued', repeat: outcome.repeat } };
  } catch (e) {
    if (e instanceof JobSpecError) return problem(400, e.message, e.field, { problems: e.problems });
    throw e;
  }
}

export async function getJobHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const auth = authorize(request.headers, 'Fleet.Reader', { requireEntra: requireEntra() });
  if (!auth.ok) return problem(auth.status, auth.error);
  const id = request.params.id ?? '';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(id)) return problem(404, `no job ${id.slice(0, 100)}`, 'id');
  const job = await (await runtimePorts(invocationLogger(context))).state.job(id);
  return job ? { status: 200, jsonBody: job } : problem(404, `no job ${id}`, 'id');
}

app.http('submitJob', { route: 'api/jobs', methods: ['POST'], authLevel: 'function', handler: submitJobHttp });
app.http('getJob', { route: 'api/jobs/{id}', methods: ['GET'], authLevel: 'function', handler: getJobHttp });
