/**
 * The Ray face's State API (`GET /api/v0/nodes`, `GET /api/v0/actors`) on the wire: Ray's envelope, its query
 * parameters (limit, detail, repeated filter triples with `=` and `!=`) and its refusals, against seeded rows
 * and against the twin's world (a job's actors on the Ray nodes of its worker pods).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryRayBackend } from '../../local/twin/ray/rayBackend.js';
import { startRayJobsFace, type RayJobsFace } from '../../local/twin/ray/rayJobsFace.js';
import type { RayActorState, RayNodeState } from '../../local/twin/ray/rayState.js';
import { FleetWorld } from '../../local/twin/world.js';

const NODE_A = 'a'.repeat(56);
const NODE_B = 'b'.repeat(56);
const HEAD = 'c'.repeat(56);

const node = (id: string, ip: string, extra: Partial<RayNodeState> = {}): RayNodeState => ({
  node_id: id, node_ip: ip, is_head_node: false, state: 'ALIVE', state_message: null, node_name: ip,
  resources_total: { CPU: 24, GPU: 1 }, labels: { 'ray.io/node_id': id }, start_time_ms: 1763633702123, end_time_ms: null, ...extra,
});

const actor = (id: string, nodeId: string, jobId: string, state: RayActorState['state'] = 'ALIVE'): RayActorState => ({
  actor_id: id, class_name: 'RayTrainWorker', state, job_id: jobId, name: '', node_id: nodeId, pid: 4242, ray_namespace: 'ns-1',
  serialized_runtime_env: '{}', required_resources: { GPU: 1 }, death_cause: null, is_detached: false, placement_group_id: null,
  repr_name: '', num_restarts: 0, num_restarts_due_to_lineage_reconstruction: 0,
});

let face: RayJobsFace | undefined;

afterEach(async () => {
  await face?.close();
  face = undefined;
});

async function get(path: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${face!.url}${path}`);
  return { status: res.status, body: await res.json() };
}

const filter = (...triples: Array<[string, string, string]>): string =>
  triples.map(([k, p, v]) => `filter_keys=${encodeURIComponent(k)}&filter_predicates=${encodeURIComponent(p)}&filter_values=${encodeURIComponent(v)}`).join('&');

describe('Ray State API on the Ray face', () => {
  async function seeded(): Promise<void> {
    const backend = new InMemoryRayBackend();
    backend.seedNode(node(HEAD, '10.244.0.2', { is_head_node: true }));
    backend.seedNode(node(NODE_A, '10.244.1.2'));
    backend.seedNode(node(NODE_B, '10.244.2.2', { state: 'DEAD', state_message: 'Unexpected termination', end_time_ms: 1763633800000 }));
    backend.seedActor(actor('1'.repeat(24) + '01000000', NODE_A, '01000000'));
    backend.seedActor(actor('2'.repeat(24) + '02000000', NODE_A, '02000000', 'DEAD'));
    backend.seedActor(actor('3'.repeat(24) + '02000000', NODE_B, '02000000'));
    face = await startRayJobsFace(backend);
  }

  it('lists nodes in Ray\'s envelope with the base columns, and the detail columns on request', async () => {
    await seeded();
    const { status, body } = await get('/api/v0/nodes');
    expect(status).toBe(200);
    expect(body).toMatchObject({ result: true, msg: '', data: { result: { total: 3, num_after_truncation: 3, num_filtered: 3, partial_failure_warning: '', warnings: null } } });
    const row = body.data.result.result.find((r: RayNodeState) => r.node_id === NODE_A);
    expect(Object.keys(row).sort()).toEqual(['is_head_node', 'labels', 'node_id', 'node_ip', 'node_name', 'resources_total', 'state', 'state_message']);
    const detail = await get('/api/v0/nodes?detail=true');
    expect(detail.body.data.result.result.find((r: RayNodeState) => r.node_id === NODE_B)).toMatchObject({ end_time_ms: 1763633800000, start_time_ms: 1763633702123 });
  });

  it('filters with repeated triples (ANDed, strings case-insensitive, booleans from text) and limits', async () => {
    await seeded();
    const byIp = await get(`/api/v0/nodes?${filter(['node_ip', '=', '10.244.1.2'])}`);
    expect(byIp.body.data.result.result.map((r: RayNodeState) => r.node_id)).toEqual([NODE_A]);
    const workers = await get(`/api/v0/nodes?${filter(['is_head_node', '=', 'false'], ['state', '=', 'alive'])}`);
    expect(workers.body.data.result).toMatchObject({ total: 3, num_filtered: 1, result: [{ node_id: NODE_A }] });
    const aliveOnA = await get(`/api/v0/actors?${filter(['node_id', '=', NODE_A], ['state', '!=', 'DEAD'])}`);
    expect(aliveOnA.body.data.result.result).toEqual([expect.objectContaining({ job_id: '01000000', state: 'ALIVE', class_name: 'RayTrainWorker' })]);
    expect(Object.keys(aliveOnA.body.data.result.result[0]).sort()).toEqual(['actor_id', 'class_name', 'job_id', 'name', 'node_id', 'pid', 'ray_namespace', 'state']);
    const limited = await get(`/api/v0/actors?limit=1&${filter(['job_id', '=', '02000000'])}`);
    expect(limited.body.data.result).toMatchObject({ total: 3, num_filtered: 2 });
    expect(limited.body.data.result.result).toHaveLength(1);
  });

  it('refuses a column that cannot be filtered, an unknown predicate and a limit over 10 000 as Ray does (500, result false)', async () => {
    await seeded();
    const column = await get(`/api/v0/nodes?${filter(['resources_total', '=', 'x'])}`);
    expect(column.status).toBe(500);
    expect(column.body).toMatchObject({ result: false, data: { result: null } });
    expect(column.body.msg).toContain('The given filter column resources_total is not supported.');
    const predicate = await get(`/api/v0/actors?${filter(['state', '>', 'ALIVE'])}`);
    expect(predicate.body.msg).toBe('Unsupported filter predicate > is given. Available predicates: =, !=.');
    const limit = await get('/api/v0/actors?limit=10001');
    expect(limit.status).toBe(500);
    expect(limit.body.msg).toContain('Given limit 10001 exceeds the supported limit 10000.');
    const post = await fetch(`${face!.url}/api/v0/nodes`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('shows the world\'s worker pods as Ray nodes and a running job\'s actors under its driver job id', async () => {
    const id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a';
    const world = new FleetWorld([{ name: 'eastus2', displayName: 'East US 2' }], [{ id, name: 'aks-a', region: 'eastus2', gpus: 2 }], { write: async () => {} }, () => 1_763_633_702_000);
    face = await startRayJobsFace(world.backend(id));
    const submitted = await fetch(`${face.url}/api/jobs/`, { method: 'POST', body: JSON.stringify({ entrypoint: 'python train.py', submission_id: 'w-1', entrypoint_num_gpus: 2 }) });
    expect(submitted.status).toBe(200);
    world.tick();
    const job = (await (await fetch(`${face.url}/api/jobs/w-1`)).json()) as { job_id: string };
    const nodes = await get(`/api/v0/nodes?${filter(['is_head_node', '=', 'False'])}`);
    const ips = nodes.body.data.result.result.map((r: RayNodeState) => r.node_ip).sort();
    expect(ips).toEqual(world.kube(id).workerPods().map((p) => p.ip).sort());
    const actors = await get(`/api/v0/actors?${filter(['job_id', '=', job.job_id])}`);
    expect(actors.body.data.result.result.map((a: RayActorState) => a.node_id).sort()).toEqual(nodes.body.data.result.result.map((r: RayNodeState) => r.node_id).sort());
    world.stopJob(id, 'w-1');
    const after = await get(`/api/v0/actors?${filter(['job_id', '=', job.job_id], ['state', '=', 'ALIVE'])}`);
    expect(after.body.data.result.result).toEqual([]);
  });
});
