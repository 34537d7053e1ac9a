/**
 * Review of the capacity changes (bounded resize follow, growth asked for by waiting jobs, waking them when the
 * nodes land): each case is a bug found in review, pinned here on in-memory fakes.
 */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import { executePlan } from '../../../shared/executor/execute.js';
import type { ClusterSpec } from '../../../shared/fleet/types.js';
import type { PoolChange, PoolState } from '../../../shared/ports/nodePools.js';
import { fakePorts } from '../../support/fakes.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const FAMILY = 'standardNCADSA100v4Family';
const T0 = Date.parse('2026-11-28T12:00:00.000Z');
const cluster = (region: string): ClusterSpec => ({
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${region}`, name: `aks-${region}`, region, gpus: 0,
  rayEndpoint: `http://ray-${region}.invalid`, pools: [{ name: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', minCount: 0, maxCount: 10, spot: false, autoscale: false }],
});

function setup(count = 1) {
  let t = T0;
  const clusters = [cluster('eastus2')];
  const f = fakePorts(clusters, {}, () => new Date(t));
  for (const c of clusters) f.nodePools.add({ ref: { clusterId: c.id, pool: 'gpu' }, vmSize: 'Standard_NC24ads_A100_v4', count, autoscale: false, spot: false, provisioningState: 'Succeeded', eTag: 'e1' });
  f.quota.usage.set(`${SUB}|eastus2`, [{ name: FAMILY, used: count * 24, limit: 480 }, { name: 'cores', used: count * 24, limit: 1000 }]);
  const key = `${clusters[0]!.id}|gpu`;
  return {
    ...f, clusters, key, now: () => new Date(t), advance: (ms: number) => { t += ms; },
    /** ARM takes the PUT and keeps provisioning (as AKS does for minutes): the pool reports the new count, Scaling. */
    provisionSlowly() {
      f.nodePools.resize = async (current: PoolState, change: PoolChange) => {
        f.nodePools.puts.push({ ref: current.ref, change });
        const pool = f.nodePools.pools.get(key)!;
        if (pool.eTag !== current.eTag) return { ok: false, failure: { class: 'preconditionFailed', code: 'PreconditionFailed', message: 'eTag', statusCode: 412 } };
        const next: PoolState = { ...pool, count: change.kind === 'count' ? change.count : pool.count, provisioningState: 'Scaling', eTag: `${pool.eTag}+` };
        f.nodePools.pools.set(key, next);
        return { ok: true, pool: next };
      };
    },
    /** The operation ends: the nodes are there. */
    land() {
      const pool = f.nodePools.pools.get(key)!;
      f.nodePools.pools.set(key, { ...pool, provisioningState: 'Succeeded', eTag: `${pool.eTag}!` });
    },
  };
}

describe('a waiting job woken when the nodes land, that still does not fit', () => {
  it('waits on the redelivery already scheduled: no second backoff chain, and the wake does not count as a wait', async () => {
    const f = setup(1);
    f.provisionSlowly();
    await reconcile(f.ports); // observe the pool and quota
    expect(await admitJob({ jobId: 'w', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    expect(f.nodePools.puts.map((p) => p.change)).toEqual([{ kind: 'count', count: 3 }]);
    // A job submitted while the nodes are provisioning is placed on them first (placement counts ARM's new count).
    expect(await admitJob({ jobId: 'late', entrypoint: 'x', gpus: 2 }, f.ports)).toMatchObject({ result: 'running' });
    const [backoff] = f.queue.drain();
    expect(backoff).toMatchObject({ messageId: 'w:1:wait1' });
    f.advance(2_000); // before the backoff redelivery is due (5 s)
    f.land();
    await reconcile(f.ports); // settles the scale-up and wakes w
    const [wake] = f.queue.drain().filter((m) => m.messageId.startsWith('w:'));
    expect(wake).toMatchObject({ messageId: 'w:1:ready:1' });
    expect(await admitJob(wake!.message, f.ports)).toMatchObject({ result: 'waiting' });
    // The wake found no room: the redelivery scheduled before it carries on alone.
    expect(f.queue.drain().filter((m) => m.messageId.startsWith('w:'))).toEqual([]);
    expect((await f.ports.state.job('w'))!.waits).toBe(1);
    // That redelivery waits again, and schedules the next one: one chain.
    f.advance(3_000);
    expect(await admitJob(backoff!.message, f.ports)).toMatchObject({ result: 'waiting' });
    expect(f.queue.drain().filter((m) => m.messageId.startsWith('w:')).map((m) => m.messageId)).toEqual(['w:1:wait2']);
    expect((await f.ports.state.job('w'))!.waits).toBe(2);
  });
});

/** Holds the first pool read (a resize's read before its PUT) until released: another planner runs meanwhile. */
function holdFirstRead(f: ReturnType<typeof setup>) {
  const get = f.nodePools.get.bind(f.nodePools);
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const hit = new Promise<void>((r) => { reached = r; });
  let first = true;
  f.nodePools.get = async (ref) => {
    const read = await get(ref);
    if (first) { first = false; reached(); await gate; }
    return read;
  };
  return { hit, release: () => release() };
}

describe('two planners growing one pool at once', () => {
  it('one PUT: a resize planned before another PUT to its pool is stale, even when its own read was before that PUT', async () => {
    const f = setup(1);
    await reconcile(f.ports);
    const held = holdFirstRead(f);
    // a waits; its admission plans 1 → 2 and reads the pool, then is slow to send the PUT.
    const a = admitJob({ jobId: 'a', entrypoint: 'x', gpus: 2 }, f.ports);
    await held.hit;
    // b waits too; its admission plans on top of a's reservation (a different resize: another key) and PUTs.
    expect(await admitJob({ jobId: 'b', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    expect(f.nodePools.puts).toHaveLength(1);
    held.release();
    expect(await a).toMatchObject({ result: 'waiting' });
    // a's resize must not PUT as well (AKS: one per pool per minute; its eTag is stale anyway: a 412 at best).
    expect(f.nodePools.puts).toHaveLength(1);
    const live = (await f.ports.state.capacity.reservations()).filter((r) => Date.parse(r.expiresAt) > f.now().getTime() && !r.settledAt);
    expect(live.map((r) => r.targetCount)).toEqual([]); // b's settled (the fake lands at once); a's given back
  });
});

describe('a reconcile pass that observes the pool while a resize is about to PUT', () => {
  it('does not release that resize\'s reservation (its nodes are coming)', async () => {
    const f = setup(1);
    f.provisionSlowly();
    await reconcile(f.ports);
    // An earlier PUT to the pool, long done.
    await f.ports.state.capacity.mutatePool(f.clusters[0]!.id, 'gpu', (cur) => ({ ...cur, lastPutAt: new Date(f.now().getTime() - 5 * 60_000).toISOString() }));
    const held = holdFirstRead(f);
    const a = admitJob({ jobId: 'a', entrypoint: 'x', gpus: 3 }, f.ports);
    await held.hit; // reserved and read; the PUT is next
    await reconcile(f.ports); // sees the pool at rest below the reservation's target
    held.release();
    await a;
    expect(f.nodePools.puts.map((p) => p.change)).toEqual([{ kind: 'count', count: 3 }]);
    const live = (await f.ports.state.capacity.reservations()).filter((r) => Date.parse(r.expiresAt) > f.now().getTime() && !r.settledAt);
    expect(live).toEqual([expect.objectContaining({ targetCount: 3, jobs: ['a'] })]);
  });
});

describe('a resize whose follow ends with the pool Failed', () => {
  it('is a failure: quota given back, the capacity error blocked, nobody woken', async () => {
    const f = setup(1);
    await reconcile(f.ports);
    // The follow stopped; the GET that reports the pool found the operation had just failed.
    f.nodePools.resize = async (current, change) => {
      f.nodePools.puts.push({ ref: current.ref, change });
      const failed: PoolState = { ...current, provisioningState: 'Failed', eTag: 'e2',
        provisioningError: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: 'Allocation failed in zone 1.' } };
      f.nodePools.pools.set(f.key, failed);
      return { ok: true, pool: failed };
    };
    expect(await admitJob({ jobId: 'w', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    expect(f.nodePools.puts).toHaveLength(1);
    const reservations = await f.ports.state.capacity.reservations();
    expect(reservations).toHaveLength(1);
    expect(reservations[0]!.settledAt).toBeUndefined();
    expect(Date.parse(reservations[0]!.expiresAt)).toBeLessThanOrEqual(f.now().getTime());
    expect(await f.ports.state.capacity.blocks(f.now())).toEqual([expect.objectContaining({ scope: 'regionFamily', region: 'eastus2', code: 'ZonalAllocationFailed' })]);
    expect(f.queue.drain().map((m) => m.messageId)).toEqual(['w:1:wait1']);
  });
});

describe('a capacity failure ARM reports after a follow that broke off', () => {
  it('is blocked when reconcile sees it, even though the pool was already Failed (an older failure) before the PUT', async () => {
    const f = setup(1);
    // An older failure, its block long expired: the pool still says Failed.
    const old = f.nodePools.pools.get(f.key)!;
    f.nodePools.pools.set(f.key, { ...old, provisioningState: 'Failed', eTag: 'e0',
      provisioningError: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: 'Allocation failed in zone 2 (yesterday).' } });
    await reconcile(f.ports);
    // ARM takes the PUT; a status poll fails (500) and the follow gives up: no clear answer.
    f.nodePools.resize = async (current, change) => {
      f.nodePools.puts.push({ ref: current.ref, change });
      f.nodePools.pools.set(f.key, { ...current, count: 3, provisioningState: 'Scaling', eTag: 'e1', provisioningError: undefined });
      return { ok: false, failure: { class: 'transient', code: 'InternalServerError', message: 'poll failed', statusCode: 500 } };
    };
    expect(await admitJob({ jobId: 'w', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    expect(f.nodePools.puts).toHaveLength(1);
    // The operation fails later, with nobody following it.
    f.nodePools.pools.set(f.key, { ...old, provisioningState: 'Failed', eTag: 'e2',
      provisioningError: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: 'Allocation failed in zone 1.' } });
    f.advance(40_000);
    await reconcile(f.ports);
    expect(await f.ports.state.capacity.blocks(f.now())).toEqual([expect.objectContaining({ scope: 'regionFamily', region: 'eastus2', code: 'ZonalAllocationFailed' })]);
    // Not a PUT a minute into the same failure.
    f.advance(30_000);
    await reconcile(f.ports);
    expect(f.nodePools.puts).toHaveLength(1);
  });
});

describe('the cost of a waiting delivery', () => {
  it('reads every job record once (for placement), not a second time to ask for capacity', async () => {
    const f = setup(1);
    await reconcile(f.ports);
    const list = f.store.list.bind(f.store);
    let jobLists = 0;
    f.store.list = (async (partition: string) => {
      if (partition === 'job') jobLists++;
      return list(partition);
    }) as typeof f.store.list;
    expect(await admitJob({ jobId: 'w', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    expect(f.nodePools.puts).toHaveLength(1); // it did ask for capacity
    expect(jobLists).toBe(1);
  });
});

describe('a replacement and a resize for waiting jobs that want the same growth', () => {
  // A node of the pool failed and its 1-GPU job waits: planCapacity (the job) and planReplacement (the node) both plan
  // the pool 8 → 9 from the same state, so the same resize key, but as two actions (resizePool and replace:<key>).
  async function twoActions() {
    const f = setup(8);
    f.provisionSlowly();
    await reconcile(f.ports);
    const c = f.clusters[0]!;
    const key = `resize:${c.id}/gpu:8->9:after:none`;
    const base = {
      key, clusterId: c.id, region: 'eastus2', subscriptionId: SUB, pool: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', direction: 'up' as const,
      nodes: 1, change: { kind: 'count' as const, count: 9 }, mode: 'count' as const, from: 8, to: 9,
    };
    const reservation = (jobs: string[]) => ({ key, subscriptionId: SUB, region: 'eastus2', family: FAMILY, spot: false, vcpus: 24,
      expiresAt: new Date(T0 + 20 * 60_000).toISOString(), clusterId: c.id, pool: 'gpu', fromCount: 8, targetCount: 9, nodes: 1, jobs });
    const forJob = { ...base, jobs: ['j'], reservation: reservation(['j']), reason: 'grow for j' };
    const forNode = { ...base, jobs: [], reservation: reservation([]), reason: 'replace n0' };
    await f.ports.state.mutateNode(c.id, 'n0', () => ({ clusterId: c.id, region: 'eastus2', node: 'n0', pool: 'gpu', cause: 'gpuFault', openedAt: f.now().toISOString(),
      lastAt: f.now().toISOString(), bad: true, flaps: 0, replace: true, detail: 'XID 79', signals: [] }) as never);
    return {
      f, c, key,
      resize: { kind: 'resizePool' as const, key, decision: forJob, reason: forJob.reason },
      replace: { kind: 'replaceNode' as const, key: `replace:${key}`, clusterId: c.id, node: 'n0', openedAt: f.now().toISOString(), decision: forNode, reason: forNode.reason },
    };
  }
  /** The operation ends; reconcile passes later (a pending replacement is finished after 2 min). */
  async function landAndFinish(f: ReturnType<typeof setup>) {
    f.land();
    f.advance(3 * 60_000);
    await reconcile(f.ports);
  }
  const live = async (f: ReturnType<typeof setup>) => (await f.ports.state.capacity.reservations()).filter((r) => Date.parse(r.expiresAt) > f.now().getTime() && !r.settledAt);

  it('side by side in one plan: one PUT, the reservation they share is kept, and the node counts as replaced', async () => {
    const { f, c, resize, replace } = await twoActions();
    await executePlan({ trigger: ['reconcile'], actions: [resize, replace], reasons: [] }, f.ports);
    expect(f.nodePools.puts).toHaveLength(1);
    expect(await live(f)).toEqual([expect.objectContaining({ targetCount: 9 })]);
    await landAndFinish(f);
    expect(f.nodePools.puts).toHaveLength(1);
    expect((await f.ports.state.node(c.id, 'n0'))!.replacement).toMatchObject({ outcome: expect.stringMatching(/moved on/) });
    expect((await f.ports.state.node(c.id, 'n0'))!.replacement!.pending).toBeUndefined();
  });

  it('one after the other: the second finds the same resize sent, and does not ask for another node later', async () => {
    const { f, c, resize, replace } = await twoActions();
    await executePlan({ trigger: ['waiting:j'], actions: [resize], reasons: [] }, f.ports);
    await executePlan({ trigger: ['n0'], actions: [replace], reasons: [] }, f.ports);
    expect(f.nodePools.puts).toHaveLength(1);
    expect(await live(f)).toEqual([expect.objectContaining({ targetCount: 9 })]);
    await landAndFinish(f);
    expect(f.nodePools.puts).toHaveLength(1);
    expect((await f.ports.state.node(c.id, 'n0'))!.replacement).toMatchObject({ outcome: expect.stringMatching(/moved on/) });
    expect((await f.ports.state.node(c.id, 'n0'))!.replacement!.pending).toBeUndefined();
  });

  it('when the PUT of the other action did not take, the replacement is sent from its own decision', async () => {
    const { f, c, resize, replace } = await twoActions();
    const resizeFn = f.nodePools.resize;
    f.nodePools.resize = async (current, change) => {
      f.nodePools.puts.push({ ref: current.ref, change });
      return { ok: false, failure: { class: 'throttled', code: 'Throttled', message: 'retry in 60 s', statusCode: 429, retryAfterMs: 60_000 } };
    };
    await executePlan({ trigger: ['waiting:j'], actions: [resize], reasons: [] }, f.ports);
    f.nodePools.resize = resizeFn;
    await executePlan({ trigger: ['n0'], actions: [replace], reasons: [] }, f.ports);
    expect(f.nodePools.puts).toHaveLength(1); // not within the minute of the throttled one
    f.advance(3 * 60_000);
    await reconcile(f.ports);
    expect(f.nodePools.puts.map((p) => p.change)).toEqual([{ kind: 'count', count: 9 }, { kind: 'count', count: 9 }]);
    expect((await f.ports.state.node(c.id, 'n0'))!.replacement).toMatchObject({ outcome: expect.stringMatching(/8 → 9 nodes accepted/) });
  });
});

describe('an async capacity failure in a region where another family is already blocked for the same error', () => {
  it('blocks this family too (not taken for the other family\'s block)', async () => {
    const f = setup(1);
    f.provisionSlowly();
    await reconcile(f.ports);
    // H100s are out in eastus2 (ZonalAllocationFailed) for a while.
    await f.ports.state.capacity.recordBlock({ scope: 'regionFamily', region: 'eastus2', family: 'standardNDSH100v5Family', subscriptionId: SUB, errorClass: 'capacityUnavailable',
      code: 'ZonalAllocationFailed', until: new Date(T0 + 15 * 60_000).toISOString(), reason: 'H100 out' }, f.now());
    expect(await admitJob({ jobId: 'w', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    expect(f.nodePools.puts).toHaveLength(1);
    // The A100 scale-up fails later with the same code.
    const pool = f.nodePools.pools.get(f.key)!;
    f.nodePools.pools.set(f.key, { ...pool, count: 1, provisioningState: 'Failed', eTag: 'e9',
      provisioningError: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: 'Allocation failed in zone 1.' } });
    f.advance(31_000);
    await reconcile(f.ports);
    const blocks = await f.ports.state.capacity.blocks(f.now());
    expect(blocks.map((b) => (b.scope === 'regionFamily' ? b.family : b.pool).toLowerCase()).sort()).toEqual([FAMILY.toLowerCase(), 'standardndsh100v5family'].sort());
  });
});
