import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvidence, healthyRegion } from '../../../shared/fleet/regionHealth.js';
import type { RegionHealth } from '../../../shared/fleet/types.js';
import { place } from '../../../shared/planner/placement.js';
import { planClusterHealth } from '../../../shared/planner/planClusterHealth.js';
import type { ResourceHealthSignal } from '../../../shared/signals/types.js';
import { cluster, NOW, runningJob, snapshot } from '../../support/builders.js';

const a = cluster('eastus2', 'a');
const b = cluster('eastus2', 'b');
const w = cluster('westus3', 'a');
const health = (c: { id: string }, status: ResourceHealthSignal['status'], id: string, at = NOW.toISOString()): ResourceHealthSignal =>
  ({ kind: 'resourceHealth', id, source: 'eventGrid', observedAt: at, resourceId: c.id, resourceType: 'Microsoft.ContainerService/managedClusters', status });

describe('region health from managed clusters (suspect and quorum)', () => {
  it('one cluster unavailable makes its region suspect: no new placements there, nothing moved', () => {
    const s = snapshot({ clusters: [a, b, w], jobs: [runningJob('j', a)] });
    const plan = planClusterHealth(s, health(a, 'unavailable', 'h1'), NOW);
    expect(plan.actions.map((x) => x.kind)).toEqual(['applyEvidence']);
    expect(plan.reasons[0]).toMatch(/eastus2 healthy → suspect/);
    const suspect = applyEvidence(healthyRegion('eastus2', NOW.toISOString()), health(a, 'unavailable', 'h1'), a.id, NOW);
    if (!suspect.changed) throw new Error('expected a change');
    const p = place(snapshot({ clusters: [a, b, w], health: new Map([['eastus2', suspect.next]]) }), { jobId: 'n', entrypoint: 'x', gpus: 1 });
    expect(p.placed && p.cluster.region).toBe('westus3');
  });

  it('a second, independent cluster impairs the region (quorum) and its jobs move', () => {
    const first = applyEvidence(healthyRegion('eastus2', NOW.toISOString()), health(a, 'unavailable', 'h1'), a.id, NOW);
    if (!first.changed) throw new Error('expected a change');
    const s = snapshot({ clusters: [a, b, w], jobs: [runningJob('j', a)], health: new Map([['eastus2', first.next]]) });
    const plan = planClusterHealth(s, health(b, 'unavailable', 'h2'), NOW);
    expect(plan.actions.map((x) => x.kind)).toEqual(['applyEvidence', 'stopRayJob', 'requeueJob']);
    expect(plan.reasons[0]).toMatch(/suspect → impaired: 2 independent signals/);
  });

  it('the same cluster twice is not a quorum, and an all-clear of the only bad cluster makes the region healthy again', () => {
    let h: RegionHealth = healthyRegion('eastus2', NOW.toISOString());
    for (const [sig, at] of [[health(a, 'unavailable', 'h1'), NOW], [health(a, 'unavailable', 'h1b', new Date(NOW.getTime() + 1000).toISOString()), NOW]] as const) {
      const o = applyEvidence(h, sig, a.id, at);
      if (o.changed) h = o.next;
    }
    expect(h.state).toBe('suspect');
    const clear = applyEvidence(h, health(a, 'available', 'h1c', new Date(NOW.getTime() + 2000).toISOString()), a.id, NOW);
    expect(clear.changed && clear.next.state).toBe('healthy');
  });

  it('node-level health does not touch region health', () => {
    const s = snapshot({ clusters: [a, b, w] });
    const node: ResourceHealthSignal = { ...health(a, 'unavailable', 'n1'), resourceId: '/subscriptions/s/resourceGroups/MC_rg_aks-eastus2-a_eastus2/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-1-vmss/virtualMachines/3', resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines' };
    expect(planClusterHealth(s, node, NOW).actions).toEqual([]);
  });

  it('property: a single noisy signal never fails a region over', () => {
    const clusters = [a, b, w];
    fc.assert(fc.property(
      fc.constantFrom(...clusters), fc.constantFrom<ResourceHealthSignal['status']>('unavailable', 'degraded', 'available', 'unknown'), fc.integer({ min: -3_600_000, max: 3_600_000 }),
      (c, status, offset) => {
        const s = snapshot({ clusters, jobs: clusters.map((x, i) => runningJob(`j${i}`, x)) });
        const plan = planClusterHealth(s, health(c, status, 'x', new Date(NOW.getTime() + offset).toISOString()), NOW);
        expect(plan.actions.filter((x) => x.kind === 'requeueJob' || x.kind === 'stopRayJob')).toEqual([]);
      },
    ), { numRuns: 300 });
  });
});
