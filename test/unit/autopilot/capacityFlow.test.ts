/** The capacity glue on in-memory fakes: reconcile grows pools for waiting jobs, and survives ARM trouble. */
import { describe, expect, it } from 'vitest';
import { admitJob } from '../../../shared/autopilot/admitJob.js';
import { handleSignals } from '../../../shared/autopilot/handleSignals.js';
import { reconcile } from '../../../shared/autopilot/reconcile.js';
import type { ClusterSpec } from '../../../shared/fleet/types.js';
import type { QuotaPressureSignal } from '../../../shared/signals/types.js';
import { fakePorts } from '../../support/fakes.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const FAMILY = 'standardNCADSA100v4Family';
const cluster = (region: string): ClusterSpec => ({
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${region}`, name: `aks-${region}`, region, gpus: 0,
  rayEndpoint: `http://ray-${region}.invalid`, pools: [{ name: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', minCount: 0, maxCount: 10, spot: false, autoscale: false }],
});

function setup(count = 1) {
  let t = Date.parse('2026-11-28T12:00:00.000Z');
  const clusters = [cluster('eastus2')];
  const f = fakePorts(clusters, {}, () => new Date(t));
  for (const c of clusters) f.nodePools.add({ ref: { clusterId: c.id, pool: 'gpu' }, vmSize: 'Standard_NC24ads_A100_v4', count, autoscale: false, spot: false, provisioningState: 'Succeeded', eTag: 'e1' });
  f.quota.usage.set(`${SUB}|eastus2`, [{ name: FAMILY, used: count * 24, limit: 480 }, { name: 'cores', used: count * 24, limit: 1000 }]);
  return { ...f, clusters, advance: (ms: number) => { t += ms; } };
}

describe('capacity through reconcile', () => {
  it('grows the pool for a job that waits, within quota, with one PUT', async () => {
    const f = setup(1);
    await reconcile(f.ports); // observe the pool and quota
    expect(await admitJob({ jobId: 'j', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    await reconcile(f.ports);
    expect(f.nodePools.puts).toEqual([{ ref: { clusterId: f.clusters[0]!.id, pool: 'gpu' }, change: { kind: 'count', count: 3 } }]);
    f.advance(1000);
    await reconcile(f.ports);
    expect(f.nodePools.puts).toHaveLength(1); // no second PUT within the minute
    expect(await admitJob(f.queue.drain()[0]!.message, f.ports)).toMatchObject({ result: 'running' });
  });

  it('a failed read before the PUT is retried on the next pass, not marked done', async () => {
    const f = setup(1);
    await reconcile(f.ports);
    const get = f.nodePools.get.bind(f.nodePools);
    let fail = 1;
    f.nodePools.get = async (ref) => (f.nodePools.puts.length === 0 && ref.pool === 'gpu' && (await f.ports.state.capacity.reservations()).length > 0 && fail-- > 0
      ? { ok: false, failure: { class: 'transient', code: 'InternalServerError', message: 'boom', statusCode: 500 } } : get(ref));
    // The waiting job asks for capacity at once; the read before the PUT fails.
    await admitJob({ jobId: 'j', entrypoint: 'x', gpus: 2 }, f.ports);
    expect(f.nodePools.puts).toHaveLength(0);
    f.advance(1000);
    await reconcile(f.ports);
    expect(f.nodePools.puts).toHaveLength(1);
  });

  it('a capacity error blocks the family even when the quota read afterwards fails, and gives the quota back', async () => {
    const f = setup(1);
    await reconcile(f.ports);
    f.nodePools.resize = async (current, change) => {
      f.nodePools.puts.push({ ref: current.ref, change });
      return { ok: false, failure: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: 'Allocation failed' } };
    };
    f.quota.usages = async () => { throw new Error('429 Throttled'); };
    await admitJob({ jobId: 'j', entrypoint: 'x', gpus: 2 }, f.ports); // waits, and asks for capacity at once
    expect(f.nodePools.puts).toHaveLength(1);
    const snap = await f.ports.state.snapshot(new Date('2026-11-28T12:00:00.000Z'));
    expect(snap.capacity!.blocks).toMatchObject([{ scope: 'regionFamily', region: 'eastus2', code: 'ZonalAllocationFailed' }]);
    expect(snap.capacity!.reservations.every((r) => Date.parse(r.expiresAt) <= Date.parse('2026-11-28T12:00:00.000Z'))).toBe(true);
  });

  it('a shrink is called off when a job was admitted meanwhile', async () => {
    const f = setup(4);
    await reconcile(f.ports);
    // The pool is idle past its cool-down; a job lands on it just as the shrink starts.
    f.advance(11 * 60_000);
    const snapshot = f.ports.state.snapshot.bind(f.ports.state);
    let admitted = false;
    f.ports.state.snapshot = async (now) => {
      const s = await snapshot(now);
      if (!admitted && s.capacity?.pools.some((p) => p.shrinkingTo !== undefined)) {
        admitted = true;
        await f.ports.state.mutateLedger(f.clusters[0]!.id, (cur) => ({ ...cur, allocations: { ...cur.allocations, 'late-1': 2 } }));
        return snapshot(now);
      }
      return s;
    };
    await reconcile(f.ports);
    expect(admitted).toBe(true);
    expect(f.nodePools.puts).toEqual([]);
  });

  it('a quota alert whose quota read fails is still processed', async () => {
    const f = setup(1);
    f.quota.usages = async () => { throw new Error('403 AuthorizationFailed'); };
    const signal: QuotaPressureSignal = { kind: 'quotaPressure', id: 'q1:Fired', source: 'commonAlert', observedAt: '2026-11-28T12:00:00.000Z', region: 'eastus2', family: FAMILY, usagePercent: 95, subscriptionId: SUB, stage: 'active' };
    const [outcome] = await handleSignals([signal], f.ports);
    expect(outcome!.status).toBe('processed');
    expect(outcome!.actions[0]!.outcome).toMatch(/quota read failed/);
  });
});

describe('a resize that fails after ARM accepted it', () => {
  it('is blocked once when reconcile sees the pool at rest as Failed, and the reservation is given back', async () => {
    const f = setup(1);
    await reconcile(f.ports);
    expect(await admitJob({ jobId: 'j', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    await reconcile(f.ports);
    expect(f.nodePools.puts).toHaveLength(1);
    // Azure: the operation went on and failed later, with nobody following it.
    const key = `${f.clusters[0]!.id}|gpu`;
    const pool = f.nodePools.pools.get(key)!;
    f.nodePools.pools.set(key, { ...pool, count: 1, provisioningState: 'Failed', eTag: 'e9',
      provisioningError: { class: 'capacityUnavailable', code: 'ZonalAllocationFailed', message: 'Allocation failed in zone 1.' } });
    f.advance(31_000);
    await reconcile(f.ports);
    const blocks = await f.ports.state.capacity.blocks(new Date('2026-11-28T12:00:31.000Z'));
    expect(blocks).toEqual([expect.objectContaining({ scope: 'regionFamily', region: 'eastus2', code: 'ZonalAllocationFailed' })]);
    f.advance(1000);
    await reconcile(f.ports);
    expect(await f.ports.state.capacity.blocks(new Date('2026-11-28T12:00:32.000Z'))).toHaveLength(1); // not blocked again
    expect((await f.ports.state.capacity.reservations()).filter((r) => !r.settledAt && !('releasedAt' in r && r.releasedAt))).toHaveLength(0);
  });
});

describe('a job that waits for capacity', () => {
  it('asks for the nodes at once (not at the next reconcile pass) and is sent again as soon as they are there', async () => {
    const f = setup(1);
    await reconcile(f.ports); // observe the pool and quota
    expect(await admitJob({ jobId: 'w', entrypoint: 'x', gpus: 3 }, f.ports)).toMatchObject({ result: 'waiting' });
    // The PUT went out from the admission itself; the fake pool settles at once, so the job is woken right away.
    expect(f.nodePools.puts.map((p) => p.change)).toEqual([{ kind: 'count', count: 3 }]);
    const sent = f.queue.drain();
    expect(sent.map((m) => m.messageId)).toEqual(['w:1:wait1', 'w:1:ready:1']);
    expect(sent[1]!.notBefore).toBeUndefined();
    expect(await admitJob(sent[1]!.message, f.ports)).toMatchObject({ result: 'running' });
    // The backoff redelivery arrives later and changes nothing.
    expect(await admitJob(sent[0]!.message, f.ports)).not.toMatchObject({ result: 'waiting' });
    expect(f.nodePools.puts).toHaveLength(1);
  });
});
