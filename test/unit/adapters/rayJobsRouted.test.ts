/**
 * `HttpRayJobs` through a router, with a scripted fetch (no network): jobsOnNodes over the Ray State API envelope,
 * the 401 → fresh credentials → one retry, the API server's own 404, and route failures.
 */
import { describe, expect, it } from 'vitest';
import { HttpRayJobs } from '../../../shared/adapters/ray/httpRayJobs.js';
import type { RayFetch, RayRoute, RayRouter } from '../../../shared/adapters/ray/rayRoutes.js';

const BASE = 'https://aks-a:443/api/v1/namespaces/ray/services/ray-head-svc:8265/proxy';
type Reply = { status: number; body: unknown };
type Handler = (url: URL, init: Parameters<RayFetch>[1]) => Reply;

/** A router whose one route answers from `handler`; `refreshed` hands out the next token. */
function routed(handler: Handler) {
  const seen: Array<{ url: string; authorization: string | undefined }> = [];
  let tokens = 0;
  const route = (): RayRoute => {
    const token = `token-${++tokens}`;
    const fetch: RayFetch = async (url, init) => {
      seen.push({ url, authorization: init.headers['authorization'] });
      const reply = handler(new URL(url), init);
      return { status: reply.status, text: async () => (typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)) };
    };
    return { baseUrl: BASE, headers: { authorization: `Bearer ${token}` }, fetch, refreshed: async () => route() };
  };
  const router: RayRouter = { route: async () => route() };
  return { ray: new HttpRayJobs({ router }), seen };
}

const envelope = (rows: unknown[], extra: Record<string, unknown> = {}) => ({
  result: true, msg: '', data: { result: { total: rows.length, num_after_truncation: rows.length, num_filtered: rows.length, result: rows, partial_failure_warning: '', warnings: null, ...extra } },
});
const NODE_A = 'a'.repeat(56);
const NODE_B = 'b'.repeat(56);
const NODES = [
  { node_id: NODE_A, node_ip: '10.244.3.17', is_head_node: false, state: 'ALIVE', node_name: '10.244.3.17' },
  { node_id: NODE_B, node_ip: '10.244.4.9', is_head_node: false, state: 'ALIVE', node_name: '10.244.4.9' },
  { node_id: 'c'.repeat(56), node_ip: '10.244.1.12', is_head_node: true, state: 'ALIVE', node_name: '10.244.1.12' },
];
const ACTORS: Record<string, unknown[]> = {
  [NODE_A]: [{ actor_id: '1'.repeat(32), class_name: 'RayTrainWorker', state: 'ALIVE', job_id: '03000000', node_id: NODE_A, pid: 4312 }],
  [NODE_B]: [{ actor_id: '2'.repeat(32), class_name: 'RayTrainWorker', state: 'ALIVE', job_id: '05000000', node_id: NODE_B, pid: 77 }],
};
const job = (submission_id: string, job_id: string, status: string, driverIp = '10.244.1.12') => ({
  type: 'SUBMISSION', job_id, submission_id, status, driver_info: { id: job_id, node_ip_address: driverIp, pid: '1' }, entrypoint: 'python train.py',
});
const JOBS = [
  job('job-a-1', '03000000', 'RUNNING'),
  job('job-b-1', '05000000', 'RUNNING'),
  job('job-old-1', '02000000', 'SUCCEEDED'),
  job('job-driver-1', '06000000', 'RUNNING', '10.244.3.17'),
  { type: 'DRIVER', job_id: '01000000', submission_id: null, status: 'RUNNING', driver_info: { id: '01000000', node_ip_address: '10.244.3.17', pid: '2' } },
];

function stateApi(url: URL): Reply {
  const path = url.pathname.slice(new URL(BASE).pathname.length);
  if (path === '/api/v0/nodes') return { status: 200, body: envelope(NODES) };
  if (path === '/api/v0/actors') {
    const keys = url.searchParams.getAll('filter_keys');
    const values = url.searchParams.getAll('filter_values');
    const nodeId = values[keys.indexOf('node_id')]!;
    expect(url.searchParams.getAll('filter_predicates')).toEqual(['=', '=']);
    expect(values[keys.indexOf('state')]).toBe('ALIVE');
    return { status: 200, body: envelope(ACTORS[nodeId] ?? []) };
  }
  if (path === '/api/jobs/') return { status: 200, body: JOBS };
  return { status: 404, body: 'Not Found' };
}

describe('jobsOnNodes', () => {
  it('node IPs → Ray nodes → alive actors → their jobs, plus jobs whose driver runs there, only those still running', async () => {
    const { ray, seen } = routed(stateApi);
    expect(await ray.jobsOnNodes('aks-service-proxy:x', ['10.244.3.17'])).toEqual(['job-a-1', 'job-driver-1']);
    expect(seen.map((s) => new URL(s.url).pathname.replace(new URL(BASE).pathname, ''))).toEqual(['/api/v0/nodes', '/api/v0/actors', '/api/jobs/']);
    expect(new URL(seen[0]!.url).searchParams.get('limit')).toBe('10000');
    expect(await ray.jobsOnNodes('aks-service-proxy:x', ['10.244.3.17', '10.244.4.9'])).toEqual(['job-a-1', 'job-b-1', 'job-driver-1']);
  });

  it('no IPs: nothing asked; IPs without a Ray node: only drivers there count', async () => {
    const { ray, seen } = routed(stateApi);
    expect(await ray.jobsOnNodes('aks-service-proxy:x', [])).toEqual([]);
    expect(seen).toHaveLength(0);
    expect(await ray.jobsOnNodes('aks-service-proxy:x', ['10.244.9.9'])).toEqual([]);
  });

  it('an error envelope or rows cut at the limit is an error, not a short answer; no answer is unreachable', async () => {
    const failing = routed((url) => (url.pathname.endsWith('/nodes') ? { status: 500, body: { result: false, msg: 'Failed to retrieve nodes: GCS timed out', data: {} } } : stateApi(url)));
    await expect(failing.ray.jobsOnNodes('x', ['10.244.3.17'])).rejects.toThrow(/GCS timed out/);
    const truncated = routed((url) => (url.pathname.endsWith('/nodes') ? { status: 200, body: envelope(NODES, { num_filtered: 12_000 }) } : stateApi(url)));
    await expect(truncated.ray.jobsOnNodes('x', ['10.244.3.17'])).rejects.toThrow(/3 of 12000 rows/);
    const error200 = routed((url) => (url.pathname.endsWith('/nodes') ? { status: 200, body: { result: false, msg: 'Max number of in-progress requests=100 reached', data: {} } } : stateApi(url)));
    await expect(error200.ray.jobsOnNodes('x', ['10.244.3.17'])).rejects.toThrow(/in-progress requests/);
    const down = routed((url) => (url.pathname.endsWith('/actors') ? { status: 503, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', code: 503, message: 'no endpoints available for service "ray-head-svc"' }) } : stateApi(url)));
    expect(await down.ray.jobsOnNodes('x', ['10.244.3.17'])).toBe('unreachable');
  });
});

describe('routes', () => {
  it('a 401 gets fresh credentials and is retried once; a second 401 is an error', async () => {
    let calls = 0;
    const once = routed((url) => (++calls === 1 ? { status: 401, body: '{"kind":"Status","code":401,"reason":"Unauthorized"}' } : stateApi(url)));
    expect(await once.ray.list('x')).toHaveLength(4);
    expect(once.seen.map((s) => s.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);

    const always = routed(() => ({ status: 401, body: '{"kind":"Status","code":401,"reason":"Unauthorized"}' }));
    await expect(always.ray.get('x', 'job-a-1')).rejects.toMatchObject({ status: 401 });
    expect(always.seen).toHaveLength(2);
  });

  it("the API server's own 404 (no such Service) is unreachable, Ray's 404 is notFound", async () => {
    const noService = routed(() => ({ status: 404, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'services "ray-head-svc" not found', reason: 'NotFound', code: 404 } }));
    expect(await noService.ray.get('x', 'job-a-1')).toBe('unreachable');
    expect(await noService.ray.stop('x', 'job-a-1')).toBe('unreachable');
    await expect(noService.ray.submit('x', { entrypoint: 'python train.py', submissionId: 'job-a-2' })).rejects.toMatchObject({ retryable: true, status: 404 });
    const noJob = routed(() => ({ status: 404, body: 'Job job-a-1 does not exist' }));
    expect(await noJob.ray.get('x', 'job-a-1')).toBe('notFound');
  });

  it('a route that cannot be resolved now is unreachable; one that can never work throws', async () => {
    const later = new HttpRayJobs({ router: { route: async () => { throw Object.assign(new Error('ARM throttled'), { retryable: true }); } } });
    expect(await later.get('x', 'job-a-1')).toBe('unreachable');
    expect(await later.jobsOnNodes('x', ['10.0.0.1'])).toBe('unreachable');
    await expect(later.submit('x', { entrypoint: 'e', submissionId: 's' })).rejects.toMatchObject({ retryable: true, status: 0 });
    const never = new HttpRayJobs({ router: { route: async () => { throw Object.assign(new Error('not a managed cluster id'), { retryable: false }); } } });
    await expect(never.get('x', 'job-a-1')).rejects.toThrow('not a managed cluster id');
  });

  it('without a router, a service-proxy reference is refused rather than sent anywhere', async () => {
    const plain = new HttpRayJobs();
    await expect(plain.get('aks-service-proxy:/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a/namespaces/ray/services/ray-head-svc:8265', 'j')).rejects.toThrow(/must be http/);
  });
});
