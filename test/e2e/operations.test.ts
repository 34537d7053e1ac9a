/**
 * The operator's side over HTTP on the local host: what-if, freeze (by hand and by itself), holds,
 * evacuate/restore, the audit trail, and Entra app-role authorisation of every operator route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/until.js';
import { startStack, type Stack } from '../../local/stack.js';

let stack: Stack;
const JOBS = 6;

const running = () => stack.world.allJobs().filter((j) => j.status === 'RUNNING' && !stack.world.isDown(stack.world.clusters.get(j.clusterId)!.region));
const regionOfJobs = (region: string) => running().filter((j) => stack.world.clusters.get(j.clusterId)!.region === region);
const fleet = async () => (await stack.api('/api/fleet')).body;
const principal = (roles: string[], id = '11111111-2222-3333-4444-555555555555') => Buffer.from(JSON.stringify({
  auth_typ: 'aad', name_typ: 'name', role_typ: 'roles',
  claims: [...roles.map((val) => ({ typ: 'roles', val })), { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: id }, { typ: 'name', val: 'Ops Person' }],
})).toString('base64');

async function call(path: string, init: { method?: string; body?: unknown; roles?: string[] } = {}) {
  const res = await fetch(`${stack.hostUrl}${path}`, {
    method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
    headers: { 'x-functions-key': stack.functionKey, 'content-type': 'application/json', ...(init.roles ? { 'x-ms-client-principal': principal(init.roles) } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) as any };
}

beforeAll(async () => {
  stack = await startStack({ port: 0, stepMs: 20, reconcileSchedule: '*/1 * * * * *', recoveryHoldDownSeconds: 1, waitBackoffSeconds: 1 });
  for (let i = 0; i < JOBS; i++) {
    await stack.api('/api/jobs', { body: { jobId: `ops-${i}`, entrypoint: 'python train.py', gpus: 1, checkpointPrefix: `runs/ops-${i}/`, runtimeEnv: { env_vars: { TOTAL_STEPS: '100000000', CHECKPOINT_EVERY: '10' } } } });
  }
  await until('jobs running', () => running().length === JOBS || undefined);
}, 60_000);
afterAll(async () => { delete process.env.AUTOPILOT_REQUIRE_ENTRA; await stack?.stop(); });

describe('what-if', () => {
  it('answers what it would do for an outage, and does nothing', async () => {
    const region = running()[0]!.clusterId && stack.world.clusters.get(running()[0]!.clusterId)!.region;
    const alert = (await import('../../local/twin/serviceHealthAlert.js')).serviceHealthAlertBody({ subscriptionId: '00000000-0000-0000-0000-00000000f1ee', trackingId: 'WHATIF-1', regions: [region === 'eastus2' ? 'East US 2' : region === 'westus3' ? 'West US 3' : 'Sweden Central'], stage: 'Active', at: new Date() });
    const before = await fleet();
    const res = await call('/api/plan', { body: alert });
    expect(res.status).toBe(200);
    expect(res.body.executed).toBe(false);
    const kinds = res.body.steps[0].plan.actions.map((a: { kind: string }) => a.kind);
    expect(kinds[0]).toBe('applyIncident');
    expect(kinds.filter((k: string) => k === 'requeueJob')).toHaveLength(regionOfJobs(region).length);
    expect((await fleet()).regions).toEqual(before.regions);
    expect((await call('/api/actions?kind=requeueJob')).body.total).toBe(0);
  });
});

describe('freeze, holds, operator evacuation, audit', () => {
  let holdRegion = '';
  it('a hold keeps automation off a region: its jobs are not moved, and the audit says why', async () => {
    // The region with the most jobs (placement spreads them; under load the spread varies).
    const region = ['eastus2', 'swedencentral', 'westus3'].sort((x, y) => regionOfJobs(y).length - regionOfJobs(x).length)[0]!;
    holdRegion = region;
    expect(regionOfJobs(region).length).toBeGreaterThan(0);
    const held = await call('/api/ops/holds', { body: { scope: 'region', target: region, minutes: 30, reason: 'maintenance window' } });
    expect(held.status).toBe(201);
    const onHold = regionOfJobs(region).map((j) => j.jobId);
    stack.world.regionDown(region);
    await stack.serviceHealth([region], 'Active', 'HOLD-1');
    await new Promise((r) => setTimeout(r, 1500)); // reconcile passes too
    expect(stack.world.allJobs().filter((j) => onHold.includes(j.jobId) && j.attempt > 1)).toEqual([]);
    const withheld = (await call('/api/actions?status=withheld')).body.actions;
    expect(withheld.some((a: { reason: string }) => /on hold .* maintenance window/.test(a.reason))).toBe(true);
    // Releasing the hold lets reconcile move them (held back, not dropped).
    expect((await call(`/api/ops/holds/${held.body.id}`, { method: 'DELETE' })).status).toBe(200);
    await until('held jobs moved after release', () => onHold.every((id) => running().some((j) => j.jobId === id && j.attempt === 2)) || undefined);
    stack.world.regionUp(region);
    await stack.serviceHealth([region], 'Resolved', 'HOLD-1');
  });

  it('two regions impaired within minutes freeze the autopilot; an admin unfreezes and reconcile catches up', async () => {
    await until('the held region recovered', async () => (await fleet()).regions.find((r: { region: string }) => r.region === holdRegion).health !== 'impaired' || undefined);
    const [a, b] = ['eastus2', 'swedencentral', 'westus3'].filter((r) => r !== holdRegion).sort((x, y) => regionOfJobs(x).length - regionOfJobs(y).length);
    if (!a || !b) throw new Error('need two regions');
    const inB = regionOfJobs(b).map((j) => j.jobId);
    stack.world.regionDown(a);
    await stack.serviceHealth([a], 'Active', 'FREEZE-A');
    stack.world.regionDown(b);
    const second = await stack.serviceHealth([b], 'Active', 'FREEZE-B');
    expect(second.status).toBe(200);
    const view = await fleet();
    expect(view.freeze).toMatchObject({ frozen: true, by: 'autopilot' });
    expect(view.freeze.reason).toContain(`${[a, b].sort().join(' and ')} impaired`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(stack.world.allJobs().filter((j) => inB.includes(j.jobId) && j.attempt > 2)).toEqual([]);
    // Unfreezing is for admins.
    process.env.AUTOPILOT_REQUIRE_ENTRA = 'true';
    expect((await call('/api/ops/unfreeze', { body: { reason: 'checked' }, roles: ['Fleet.Operator'] })).status).toBe(403);
    expect((await call('/api/ops/unfreeze', { body: { reason: 'view confirmed by the on-call' }, roles: ['Fleet.Admin'] })).status).toBe(200);
    delete process.env.AUTOPILOT_REQUIRE_ENTRA;
    expect((await fleet()).freeze.frozen).toBe(false);
    // Held back, not dropped: reconcile now moves what the freeze kept in place.
    await until('frozen region evacuated after unfreeze', () => inB.every((id) => running().some((j) => j.jobId === id && stack.world.clusters.get(j.clusterId)!.region !== b)) || undefined);
    for (const r of [a, b]) { stack.world.regionUp(r); await stack.serviceHealth([r], 'Resolved', r === a ? 'FREEZE-A' : 'FREEZE-B'); }
  });

  it('an operator evacuates and restores a region; the audit trail names them', async () => {
    await until('regions healthy again', async () => (await fleet()).regions.every((r: { health: string }) => r.health === 'healthy') || undefined, 30_000);
    await until('all jobs running', () => running().length === JOBS || undefined);
    const region = running().map((j) => stack.world.clusters.get(j.clusterId)!.region).sort()[0]!;
    const moving = regionOfJobs(region).map((j) => j.jobId);
    process.env.AUTOPILOT_REQUIRE_ENTRA = 'true';
    const res = await call(`/api/ops/regions/${region}/evacuate`, { body: { reason: 'suspected network partition' }, roles: ['Fleet.Operator'] });
    delete process.env.AUTOPILOT_REQUIRE_ENTRA;
    expect(res.status).toBe(200);
    await until('evacuated jobs running elsewhere', () => moving.every((id) => running().some((j) => j.jobId === id && stack.world.clusters.get(j.clusterId)!.region !== region)) || undefined);
    const audit = (await call('/api/actions?kind=requeueJob')).body.actions;
    expect(audit.some((a: { requestedBy: string; policyVersion: string }) => a.requestedBy.includes('11111111-2222-3333-4444-555555555555') && /^[0-9a-f]{12}$/.test(a.policyVersion))).toBe(true);
    expect((await call(`/api/ops/regions/${region}/restore`, { body: { reason: 'partition healed' } })).status).toBe(200);
    expect((await fleet()).regions.find((r: { region: string }) => r.region === region).health).toBe('recovering');
  });
});

describe('drain a cluster, scale a pool', () => {
  it('an operator drains a cluster: its jobs resume elsewhere and do not come back to it', async () => {
    await until('all jobs running', () => running().length === JOBS || undefined, 30_000);
    const busiest = [...stack.world.clusters.keys()].sort((x, y) => running().filter((j) => j.clusterId === y).length - running().filter((j) => j.clusterId === x).length)[0]!;
    const moving = running().filter((j) => j.clusterId === busiest).map((j) => j.jobId);
    expect(moving.length).toBeGreaterThan(0);
    const res = await call('/api/ops/clusters/drain', { body: { clusterId: busiest, reason: 'kernel upgrade' } });
    expect(res.status).toBe(200);
    await until('drained jobs running on other clusters', () => moving.every((id) => running().some((j) => j.jobId === id && j.clusterId !== busiest)) || undefined);
    expect(running().filter((j) => j.clusterId === busiest)).toEqual([]);
  });

  it('an operator scales a pool through ARM', async () => {
    const pool = stack.arm.pools()[0]!;
    const res = await call('/api/ops/pools/scale', { body: { clusterId: pool.clusterId, pool: pool.pool, count: pool.count + 1, reason: 'more room for a launch' } });
    expect(res.status).toBe(200);
    await until('pool grown', () => stack.arm.pool(pool.clusterId, pool.pool)!.count === pool.count + 1 || undefined);
    const bad = await call('/api/ops/pools/scale', { body: { clusterId: pool.clusterId, pool: pool.pool, minCount: 1, maxCount: 3, reason: 'wrong kind of change' } });
    expect(bad).toMatchObject({ status: 400, body: { field: 'count' } });
  });
});

describe('authorisation of operator routes', () => {
  const routes: Array<{ path: string; method: string; body?: unknown; role: string }> = [
    { path: '/api/fleet', method: 'GET', role: 'Fleet.Reader' },
    { path: '/api/actions', method: 'GET', role: 'Fleet.Reader' },
    { path: '/api/ops/holds', method: 'GET', role: 'Fleet.Reader' },
    { path: '/api/plan', method: 'POST', body: { bodies: [] }, role: 'Fleet.Reader' },
    { path: '/api/jobs', method: 'POST', body: { jobId: 'auth-probe', entrypoint: 'x', gpus: 1 }, role: 'Fleet.Operator' },
    { path: '/api/ops/freeze', method: 'POST', body: { reason: 'probe' }, role: 'Fleet.Operator' },
    { path: '/api/ops/holds', method: 'POST', body: { scope: 'region', target: 'eastus2', minutes: 1, reason: 'probe' }, role: 'Fleet.Operator' },
    { path: '/api/ops/regions/nowhere/evacuate', method: 'POST', body: { reason: 'probe' }, role: 'Fleet.Operator' },
    { path: '/api/ops/approvals', method: 'GET', role: 'Fleet.Reader' },
    { path: '/api/ops/approvals/approval-nope/approve', method: 'POST', body: {}, role: 'Fleet.Operator' },
    { path: '/api/ops/approvals/approval-nope/reject', method: 'POST', body: {}, role: 'Fleet.Operator' },
    { path: '/api/ops/clusters/drain', method: 'POST', body: { clusterId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.ContainerService/managedClusters/nope', reason: 'probe' }, role: 'Fleet.Operator' },
    { path: '/api/ops/pools/scale', method: 'POST', body: { clusterId: 'nope', pool: 'gpu', count: 1, reason: 'probe' }, role: 'Fleet.Operator' },
    { path: '/api/ops/unfreeze', method: 'POST', body: { reason: 'probe' }, role: 'Fleet.Admin' },
  ];
  const order = ['Fleet.Reader', 'Fleet.Operator', 'Fleet.Admin'];

  it.each(routes)('$method $path needs $role', async ({ path, method, body, role }) => {
    process.env.AUTOPILOT_REQUIRE_ENTRA = 'true';
    try {
      const anonymous = await fetch(`${stack.hostUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      expect(anonymous.status).toBe(401); // no function key
      expect((await call(path, { method, ...(body ? { body } : {}) })).status).toBe(401); // key but no principal
      for (const r of order) {
        const res = await call(path, { method, ...(body ? { body } : {}), roles: [r] });
        if (order.indexOf(r) < order.indexOf(role)) {
          expect(res.status, `${r}`).toBe(403);
          expect(res.body.error).toContain(role);
        } else {
          expect([200, 201, 202, 400, 404], `${r}: ${JSON.stringify(res.body)}`).toContain(res.status);
        }
      }
    } finally {
      delete process.env.AUTOPILOT_REQUIRE_ENTRA;
      await call('/api/ops/unfreeze', { body: { reason: 'probe over' } });
    }
  });
});
