/**
 * Alert storm, in process on a virtual clock: 10,000 distinct quota alerts across 20 regions, each
 * delivered 3 times and shuffled, while 400 jobs wait for GPUs and reconcile runs every virtual second.
 * Reports ARM PUTs per pool per minute (target ≤ 1) and duplicate effects (target 0): every delivery
 * beyond the first of an alert must change nothing.
 */
import { MemoryEntityStore } from '../shared/adapters/storage/memoryEntityStore.js';
import { handleSignals } from '../shared/autopilot/handleSignals.js';
import { reconcile } from '../shared/autopilot/reconcile.js';
import { DEFAULT_CATALOGUE } from '../shared/capacity/vmSizes.js';
import type { Ports } from '../shared/executor/ports.js';
import { DEFAULT_POLICY, type ClusterSpec, type FleetSpec, type JobRecord } from '../shared/fleet/types.js';
import { silentLogger } from '../shared/observability/logger.js';
import type { NodePools, PoolChange, PoolRef, PoolResult, PoolState } from '../shared/ports/nodePools.js';
import { parseAlertBody } from '../shared/signals/index.js';
import { FleetState } from '../shared/state/fleetState.js';
import { quotaAlertBody } from '../local/twin/quotaAlert.js';

const SUB = '00000000-0000-0000-0000-00000000b0b0';
const FAMILY = 'standardNCADSA100v4Family';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

class CountingPools implements NodePools {
  readonly pools = new Map<string, PoolState>();
  readonly puts: Array<{ key: string; at: number }> = [];
  constructor(private readonly now: () => number) {}
  async get(ref: PoolRef): Promise<PoolResult> { const p = this.pools.get(`${ref.clusterId}|${ref.pool}`); return p ? { ok: true, pool: p } : { ok: false, failure: { class: 'notFound', code: 'NotFound', message: '' } }; }
  async resize(current: PoolState, change: PoolChange): Promise<PoolResult> {
    const key = `${current.ref.clusterId}|${current.ref.pool}`;
    this.puts.push({ key, at: this.now() });
    const next = change.kind === 'count' ? { ...current, count: change.count, eTag: `${current.eTag}+` } : current;
    this.pools.set(key, next);
    return { ok: true, pool: next };
  }
}

export async function alertStormBench(): Promise<string[]> {
  const random = rng(7);
  let clock = Date.parse('2026-11-28T12:00:00.000Z');
  const now = () => new Date(clock);
  const regions = ['eastus', 'eastus2', 'westus2', 'westus3', 'centralus', 'southcentralus', 'northcentralus', 'canadacentral', 'brazilsouth', 'northeurope',
    'westeurope', 'swedencentral', 'uksouth', 'francecentral', 'germanywestcentral', 'switzerlandnorth', 'japaneast', 'koreacentral', 'australiaeast', 'southeastasia'];
  const clusters: ClusterSpec[] = regions.flatMap((region) => [0, 1].map((i) => ({
    id: `/subscriptions/${SUB}/resourceGroups/rg-${region}/providers/Microsoft.ContainerService/managedClusters/aks-${region}-${i}`,
    name: `aks-${region}-${i}`, region, gpus: 0, rayEndpoint: `http://ray-${region}-${i}.invalid`,
    pools: [{ name: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', minCount: 0, maxCount: 50, spot: false, autoscale: false }],
  })));
  const fleet: FleetSpec = { regions, clusters, catalogue: DEFAULT_CATALOGUE, policy: { ...DEFAULT_POLICY, quotaRefreshMs: 60_000 } };
  const store = new MemoryEntityStore();
  const nodePools = new CountingPools(() => clock);
  for (const c of clusters) nodePools.pools.set(`${c.id}|gpu`, { ref: { clusterId: c.id, pool: 'gpu' }, vmSize: 'Standard_NC24ads_A100_v4', count: 2, autoscale: false, spot: false, provisioningState: 'Succeeded', eTag: 'e0' });
  let quotaReads = 0;
  const ports: Ports = {
    fleet, state: new FleetState(store, fleet), clock: { now }, log: silentLogger,
    ray: { submit: async () => 'submitted', stop: async () => 'notFound', get: async () => 'notFound', list: async () => [], jobsOnNodes: async () => [] },
    checkpoints: { latestComplete: async () => undefined },
    queue: { send: async () => {} },
    nodePools,
    // Quota alerts never touch nodes: any call here is a bug the bench should surface.
    kube: new Proxy({} as Ports['kube'], { get: (_t, name) => () => Promise.reject(new Error(`alert storm bench: unexpected Kubernetes call ${String(name)}`)) }),
    quota: { usages: async () => { quotaReads++; return [{ name: FAMILY, used: 0, limit: 100_000 }, { name: 'cores', used: 0, limit: 100_000 }]; } },
  };
  // 400 jobs waiting for GPUs: every reconcile pass wants to grow pools.
  for (let i = 0; i < 400; i++) {
    const job: JobRecord = { jobId: `w${i}`, spec: { jobId: `w${i}`, entrypoint: 'x', gpus: 1 }, state: 'waiting', attempt: 1, excludeRegions: [], waits: 1, updatedAt: now().toISOString(), history: [] };
    await store.create('job', job.jobId, job);
  }
  // 10,000 distinct quota alerts, each delivered three times, shuffled.
  const deliveries: unknown[] = [];
  for (let i = 0; i < 10_000; i++) {
    const body = quotaAlertBody({ subscriptionId: SUB, region: regions[Math.floor(random() * regions.length)]!, family: FAMILY, used: Math.floor(random() * 900), limit: 1000, stage: random() < 0.7 ? 'Fired' : 'Resolved', at: new Date(clock - i * 1000) });
    deliveries.push(body, body, body);
  }
  for (let i = deliveries.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]]; }

  const t0 = performance.now();
  const statuses = new Map<string, number>();
  const kinds = new Map<string, number>();
  const firstSeen = new Set<string>();
  let duplicateEffects = 0;
  let lastReconcile = clock;
  for (const body of deliveries) {
    clock += 10; // 30,000 deliveries over 5 virtual minutes: a 100 deliveries/s storm
    for (const outcome of await handleSignals(parseAlertBody(body), ports)) {
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
      kinds.set(outcome.kind, (kinds.get(outcome.kind) ?? 0) + 1);
      if (firstSeen.has(outcome.id) && outcome.actions.some((a) => a.status === 'done')) duplicateEffects++;
      firstSeen.add(outcome.id);
    }
    if (clock - lastReconcile >= 1000) { lastReconcile = clock; await reconcile(ports); }
  }
  const wallMs = performance.now() - t0;

  // The most PUTs any pool saw within any 60 s window.
  const byPool = new Map<string, number[]>();
  for (const p of nodePools.puts) byPool.set(p.key, [...(byPool.get(p.key) ?? []), p.at]);
  let worst = 0;
  for (const times of byPool.values()) {
    for (let i = 0; i < times.length; i++) worst = Math.max(worst, times.filter((t) => t >= times[i]! && t < times[i]! + 60_000).length);
  }
  return [
    `alert storm (in process, virtual clock; 10,000 quota alerts × 3 deliveries shuffled over 5 virtual minutes, 20 regions, 40 pools, 400 waiting jobs, reconcile every second):`,
    `  ARM PUTs: ${nodePools.puts.length} in all; at most ${worst} per pool in any minute (target ≤ 1)`,
    `  deliveries: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); duplicate effects: ${duplicateEffects} (target 0); quota reads ${quotaReads}`,
    `  wall time ${(wallMs / 1000).toFixed(1)} s (${Math.round(deliveries.length / (wallMs / 1000))} deliveries/s through record → plan → execute)`,
  ];
}
