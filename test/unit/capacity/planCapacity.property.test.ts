/**
 * Properties of the capacity plan over random fleets (regions × subscriptions × clusters × pools × families),
 * ledgers, reservations, capacity errors and demand:
 *  (a) no plan exceeds a family limit, the regional total, lowPriorityCores or a pool's maxCount;
 *  (b) two plans from the same ledger, the second seeing the first's reservations, never double-spend;
 *  (c) when demand exceeds headroom, the plan uses the headroom (to node granularity) and says why the rest waits;
 *  (d) planning again with the first plan's resizes applied (reservations, lastPutAt) resizes none of those pools.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RegionHealth } from '../../../shared/fleet/types.js';
import type { CapacityBlock } from '../../../shared/capacity/capacityErrors.js';
import { bucketKey, bucketRoom, bucketsFor, headroomVcpus, ledgerOf, reservedByBucket, type Reservation, type UsageRead } from '../../../shared/capacity/ledger.js';
import { planCapacity, type CapacityInput, type CapacityPlan, type CapacityPool, type WaitingJob } from '../../../shared/capacity/planCapacity.js';
import { DEFAULT_CATALOGUE, lookupVmSize } from '../../../shared/capacity/vmSizes.js';
import { clusterId, impaired, input, NOW, pool, usage } from './support.js';

const SIZES = ['Standard_ND96isr_H100_v5', 'Standard_NC24ads_A100_v4', 'Standard_NC96ads_A100_v4', 'Standard_NC64as_T4_v3', 'Standard_ND96asr_v4'];
const FAMILIES = [...new Set(SIZES.map((s) => lookupVmSize(DEFAULT_CATALOGUE, s)!.family))];
const REGIONS = ['eastus2', 'westus3', 'swedencentral'];
const SUBS = ['sub-1', 'sub-2'];
const GPU_TYPES = ['H100', 'A100', 'T4'];
const iso = (msFromNow: number) => new Date(NOW.getTime() + msFromNow).toISOString();
const RUNS = { numRuns: 300 };
/** `value` with probability p, else undefined. */
const maybe = <T>(arb: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: Math.round(p * 100), arbitrary: arb }, { weight: Math.round((1 - p) * 100), arbitrary: fc.constant(undefined) });
type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

const poolArb = fc.record({
  region: fc.constantFrom(...REGIONS), sub: fc.constantFrom(...SUBS), cluster: fc.constantFrom('a', 'b'), size: fc.constantFrom(...SIZES),
  count: fc.nat(6), room: fc.integer({ min: -2, max: 6 }), min: fc.nat(3), spot: fc.constantFrom(false, false, false, true), autoscale: fc.boolean(),
  state: fc.constantFrom('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Scaling', 'Failed'),
  lastPutAgoS: maybe(fc.nat(120), 0.25), idleAgoS: maybe(fc.nat(2400), 0.6),
  allocated: maybe(fc.nat(48), 0.3),
});

/** [used, limit]: mostly room left, sometimes full or over. */
const bucketArb = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.nat(1000), fc.nat(2000)).map(([used, extra]) => [used, used + extra] as [number, number]) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(2000), fc.nat(2000)) },
);
/** One usages read per subscription × region, each bucket present with probability 0.9. */
const usagesArb = fc.array(fc.record({
  present: fc.constantFrom(true, true, true, true, true, true, true, true, true, false), cores: maybe(bucketArb, 0.9), low: maybe(bucketArb, 0.9),
  families: fc.array(fc.tuple(maybe(bucketArb, 0.9), fc.boolean()), { minLength: FAMILIES.length, maxLength: FAMILIES.length }),
}), { minLength: REGIONS.length * SUBS.length, maxLength: REGIONS.length * SUBS.length });

const reservationArb = fc.record({
  region: fc.constantFrom(...REGIONS), sub: fc.constantFrom(...SUBS), family: fc.constantFrom(...FAMILIES), spot: fc.boolean(),
  vcpus: fc.nat(400), expiresInS: fc.integer({ min: -600, max: 1200 }),
});

const jobArb = fc.record({
  gpus: fc.integer({ min: 1, max: 24 }), priority: fc.nat(3), gpuType: maybe(fc.constantFrom(...GPU_TYPES), 0.4),
  allowed: maybe(fc.subarray(REGIONS, { minLength: 1 }), 0.25),
  exclude: maybe(fc.subarray(REGIONS, { minLength: 1, maxLength: 1 }), 0.25),
});

const blockArb = fc.record({
  region: fc.constantFrom(...REGIONS), family: fc.constantFrom(...FAMILIES, 'cores', 'lowPriorityCores'),
  errorClass: fc.constantFrom('quotaExceeded' as const, 'capacityUnavailable' as const), untilS: fc.integer({ min: -60, max: 600 }),
});

const fleetArb = fc.record({
  pools: fc.array(poolArb, { minLength: 1, maxLength: 10 }),
  usages: usagesArb,
  reservations: fc.array(reservationArb, { maxLength: 4 }),
  blocks: fc.array(blockArb, { maxLength: 2 }),
  impaired: maybe(fc.constantFrom(...REGIONS), 0.15),
  allocated: fc.array(fc.nat(40), { minLength: 6, maxLength: 6 }),
  jobs: fc.array(jobArb, { maxLength: 16 }),
  jobs2: fc.array(jobArb, { maxLength: 16 }),
}).map(build);

type Fleet = { inp: CapacityInput; waiting2: WaitingJob[] };

function build(g: {
  pools: Of<typeof poolArb>[]; usages: Of<typeof usagesArb>; reservations: Of<typeof reservationArb>[];
  blocks: Of<typeof blockArb>[]; impaired: string | undefined; allocated: number[]; jobs: Of<typeof jobArb>[]; jobs2: Of<typeof jobArb>[];
}): Fleet {
  const pools: CapacityPool[] = g.pools.map((p, i) => pool({
    region: p.region, sub: p.sub, cluster: p.cluster, name: `p${i}`, vmSize: p.size, count: p.count,
    maxCount: Math.max(0, p.count + p.room), minCount: Math.min(p.min, Math.max(0, p.count + p.room)),
    spot: p.spot, autoscale: p.autoscale, provisioningState: p.state,
    ...(p.lastPutAgoS !== undefined ? { lastPutAt: iso(-p.lastPutAgoS * 1000) } : {}),
    ...(p.idleAgoS !== undefined ? { idleSince: iso(-p.idleAgoS * 1000) } : {}),
    ...(p.allocated !== undefined ? { allocatedGpus: p.allocated } : {}),
  }));
  const places = REGIONS.flatMap((region) => SUBS.map((sub) => ({ region, sub })));
  const reads: UsageRead[] = g.usages.flatMap((u, i) => (!u.present ? [] : [{
    subscriptionId: places[i]!.sub, region: places[i]!.region, readAt: iso(-(i + 1) * 1000),
    usages: [
      ...(u.cores ? [usage('cores', u.cores[0], u.cores[1])] : []),
      ...(u.low ? [usage('lowPriorityCores', u.low[0], u.low[1])] : []),
      ...u.families.flatMap(([b, upper], f) => (b ? [usage(upper ? FAMILIES[f]!.toUpperCase() : FAMILIES[f]!, b[0], b[1])] : [])),
    ],
  }]));
  const reservations: Reservation[] = g.reservations.map((r, i) => ({
    key: `old-${i}`, subscriptionId: r.sub, region: r.region, family: r.family, spot: r.spot, vcpus: r.vcpus, expiresAt: iso(r.expiresInS * 1000),
  }));
  const blocks: CapacityBlock[] = g.blocks.map((b) => ({ scope: 'regionFamily', region: b.region, family: b.family, errorClass: b.errorClass, code: 'X', reason: 'x', until: iso(b.untilS * 1000) }));
  const clusterIds = REGIONS.flatMap((r) => SUBS.map((s) => [r, s] as const)).flatMap(([r, s]) => ['a', 'b'].map((c) => clusterId(r, c, s)));
  const allocatedGpus = new Map(clusterIds.map((id, i) => [id, g.allocated[i % g.allocated.length]!]));
  const jobsOf = (js: Of<typeof jobArb>[], prefix: string): WaitingJob[] => js.map((j, i) => ({
    jobId: `${prefix}${i}`, gpus: j.gpus, priority: j.priority,
    ...(j.gpuType ? { gpuType: j.gpuType } : {}), ...(j.allowed ? { allowedRegions: j.allowed } : {}), ...(j.exclude ? { excludeRegions: j.exclude } : {}),
  }));
  const health = new Map<string, RegionHealth>(g.impaired ? [[g.impaired, impaired(g.impaired)]] : []);
  return {
    inp: input({ pools, reads, reservations, blocks, health, allocatedGpus, waiting: jobsOf(g.jobs, 'j') }),
    waiting2: jobsOf(g.jobs2, 'k'),
  };
}

/** vCPUs the plans' reservations take per bucket key. */
function spentByBucket(reservations: readonly Reservation[]): Map<string, number> {
  const spent = new Map<string, number>();
  for (const r of reservations) for (const name of bucketsFor(r)) {
    const k = bucketKey(r.subscriptionId, r.region, name);
    spent.set(k, (spent.get(k) ?? 0) + r.vcpus);
  }
  return spent;
}

/** Every bucket the new reservations draw on has room for all of them, on top of usage and earlier live reservations. */
function expectWithinQuota(inp: CapacityInput, newReservations: readonly Reservation[]) {
  const reserved = reservedByBucket(inp.ledger, inp.reservations, NOW);
  for (const r of newReservations) for (const name of bucketsFor(r)) {
    const room = bucketRoom(inp.ledger, r.subscriptionId, r.region, name, reserved);
    const spent = spentByBucket(newReservations).get(bucketKey(r.subscriptionId, r.region, name))!;
    expect(room.known, `${name} in ${r.region} was never read`).toBe(true);
    expect(spent, `${name} in ${r.region}/${r.subscriptionId}`).toBeLessThanOrEqual(room.remaining);
  }
}

function expectPoolRules(inp: CapacityInput, plan: CapacityPlan) {
  const seen = new Set<string>();
  for (const r of plan.resizes) {
    const key = `${r.clusterId}/${r.pool}`;
    expect(seen.has(key), `${key} resized twice in one plan`).toBe(false);
    seen.add(key);
    const p = inp.pools.find((x) => x.clusterId === r.clusterId && x.spec.name === r.pool)!;
    const obs = p.observed!;
    const size = lookupVmSize(inp.catalogue, p.spec.vmSize)!;
    expect(obs.provisioningState).toMatch(/^(Succeeded|Failed)$/);
    if (p.lastPutAt) expect(NOW.getTime() - Date.parse(p.lastPutAt)).toBeGreaterThanOrEqual(60_000);
    if (r.mode === 'count') expect(p.spec.autoscale).toBe(false);
    else expect(p.spec.autoscale).toBe(true);
    if (r.direction === 'up') {
      expect(inp.health.has(r.region)).toBe(false);
      expect(r.reservation!.vcpus).toBe(r.nodes * size.vcpus);
      expect(r.nodes).toBeGreaterThan(0);
      if (r.mode === 'count') expect(r.to).toBeLessThanOrEqual(p.spec.maxCount);
      else {
        expect(r.toRange.minCount).toBeLessThanOrEqual(p.spec.maxCount);
        expect(r.toRange.maxCount).toBeLessThanOrEqual(Math.max(p.spec.maxCount, r.fromRange.maxCount));
        expect(r.toRange.minCount).toBeGreaterThanOrEqual(r.fromRange.minCount);
      }
    } else {
      const used = p.allocatedGpus ?? Math.min(obs.count * size.gpus, inp.allocatedGpus.get(p.clusterId) ?? 0);
      const to = r.mode === 'count' ? r.to : r.toRange.minCount;
      expect(to).toBeGreaterThanOrEqual(p.spec.minCount);
      expect(to * size.gpus).toBeGreaterThanOrEqual(Math.min(used, obs.count * size.gpus));
      expect(r.reservation).toBeUndefined();
    }
  }
  expect(plan.reservations).toEqual(plan.resizes.filter((r) => r.direction === 'up').map((r) => r.reservation));
  // Every waiting job is either covered or says why it waits.
  expect(plan.covered.length + plan.unserved.length).toBe(inp.waiting.length);
  for (const u of plan.unserved) expect(u.why.length).toBeGreaterThan(0);
}

describe('planCapacity properties', () => {
  it('(a) never exceeds a family limit, the regional total, lowPriorityCores or a pool\'s max', () => {
    fc.assert(fc.property(fleetArb, ({ inp }) => {
      const plan = planCapacity(inp, NOW);
      expectWithinQuota(inp, plan.reservations);
      expectPoolRules(inp, plan);
    }), RUNS);
  });

  it('(b) two plans from one ledger, the second seeing the first\'s reservations, never double-spend', () => {
    fc.assert(fc.property(fleetArb, fc.boolean(), ({ inp, waiting2 }, sameDemand) => {
      const first = planCapacity(inp, NOW);
      const second = planCapacity({ ...inp, waiting: sameDemand ? inp.waiting : waiting2, reservations: [...inp.reservations, ...first.reservations] }, NOW);
      expectWithinQuota(inp, [...first.reservations, ...second.reservations]);
    }), RUNS);
  });

  it('(c) partial fill: uses the headroom to node granularity and says why the rest waits', () => {
    const arb = fc.record({
      size: fc.constantFrom(...SIZES), spot: fc.boolean(), pools: fc.integer({ min: 1, max: 3 }), counts: fc.array(fc.nat(3), { minLength: 3, maxLength: 3 }),
      family: fc.tuple(fc.nat(1000), fc.nat(2000)), cores: fc.tuple(fc.nat(1000), fc.nat(2000)), low: fc.tuple(fc.nat(1000), fc.nat(2000)),
      jobs: fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.nat(3)), { minLength: 1, maxLength: 60 }),
    });
    fc.assert(fc.property(arb, (g) => {
      const size = lookupVmSize(DEFAULT_CATALOGUE, g.size)!;
      const pools = Array.from({ length: g.pools }, (_, i) => pool({ cluster: `c${i}`, vmSize: g.size, count: g.counts[i]!, maxCount: 1000, spot: g.spot, allocatedGpus: g.counts[i]! * size.gpus }));
      const reads = [{ subscriptionId: 'sub-1', region: 'westus3', readAt: NOW.toISOString(), usages: [usage(size.family, ...g.family), usage('cores', ...g.cores), usage('lowPriorityCores', ...g.low)] }];
      const waiting = g.jobs.map(([gpus, priority], i) => ({ jobId: `j${i}`, gpus: Math.min(gpus, size.gpus), priority }));
      const inp = input({ pools, reads, waiting });
      const headroom = headroomVcpus(ledgerOf(reads), { subscriptionId: 'sub-1', region: 'westus3', family: size.family, spot: g.spot }, [], NOW).vcpus;
      const plan = planCapacity(inp, NOW);
      const used = plan.reservations.reduce((s, r) => s + r.vcpus, 0);
      expect(used).toBeLessThanOrEqual(headroom);
      if (plan.unserved.length > 0) {
        expect(headroom - used).toBeLessThan(size.vcpus); // nothing left that could buy another node
        for (const u of plan.unserved) expect(u.why).toMatch(/headroom \d+ vCPU in /);
      } else {
        expect(plan.covered.map((c) => c.jobId).sort()).toEqual(waiting.map((w) => w.jobId).sort());
      }
      // Served jobs fit on the nodes the plan adds.
      const demand = plan.covered.reduce((s, c) => s + waiting.find((w) => w.jobId === c.jobId)!.gpus, 0);
      expect(demand).toBeLessThanOrEqual(plan.resizes.reduce((s, r) => s + r.nodes, 0) * size.gpus);
    }), RUNS);
  });

  it('(d) the same signals twice: with the first plan applied, planning again asks for nothing new', () => {
    fc.assert(fc.property(fleetArb, fc.boolean(), fc.constantFrom('Scaling', 'Succeeded'), fc.nat(59_999), ({ inp }, countsMoved, state, laterMs) => {
      const first = planCapacity(inp, NOW);
      const resized = new Map(first.resizes.map((r) => [`${r.clusterId}/${r.pool}`, r]));
      const pools = inp.pools.map((p): CapacityPool => {
        const r = resized.get(`${p.clusterId}/${p.spec.name}`);
        if (!r) return p;
        const observed = !countsMoved ? p.observed! : r.mode === 'count'
          ? { ...p.observed!, count: r.to, provisioningState: state }
          : { ...p.observed!, minCount: r.toRange.minCount, maxCount: r.toRange.maxCount, provisioningState: state };
        return { ...p, observed, lastPutAt: NOW.toISOString() };
      });
      const applied = { ...inp, pools, reservations: [...inp.reservations, ...first.reservations] };
      // The same instant: nothing new at all.
      const again = planCapacity(applied, NOW);
      expect(again.resizes).toEqual([]);
      expectWithinQuota(inp, [...first.reservations, ...again.reservations]);
      // Within the minute: none of the same pools again.
      const later = planCapacity(applied, new Date(NOW.getTime() + laterMs));
      for (const r of later.resizes) expect(resized.has(`${r.clusterId}/${r.pool}`), `${r.pool} resized twice within a minute`).toBe(false);
    }), RUNS);
  });
});
