import { describe, expect, it } from 'vitest';
import type { RegionHealth } from '../../../shared/fleet/types.js';
import { applyGuards } from '../../../shared/planner/guards.js';
import { planRegionOutage } from '../../../shared/planner/planRegionOutage.js';
import type { FleetSnapshot } from '../../../shared/planner/snapshot.js';
import { cluster, NOW, outage, runningJob, snapshot } from '../../support/builders.js';

const east = cluster('eastus2', 'a');
const west = cluster('westus3', 'a');
const impaired = (region: string, since = NOW.toISOString()): RegionHealth => ({ region, state: 'impaired', since, reason: 'incident', incidents: {} });
const base = (over: Partial<FleetSnapshot> = {}) => snapshot({ clusters: [east, west], jobs: [runningJob('e', east), runningJob('w', west)], ...over } as Parameters<typeof snapshot>[0]);
const guarded = (s: FleetSnapshot, regions: string[]) => applyGuards(planRegionOutage(s, outage(regions), NOW), s, NOW);
const kinds = (p: { actions: readonly { kind: string }[] }) => p.actions.map((a) => a.kind);

describe('guards on automatic plans', () => {
  it('while frozen, nothing disruptive runs; the incident is still recorded and the rest is withheld with why', () => {
    const p = guarded(base({ ops: { freeze: { frozen: true, reason: 'two regions down', since: NOW.toISOString(), by: 'autopilot' }, holds: [] } }), ['eastus2']);
    expect(kinds(p)).toEqual(['applyIncident']);
    expect(p.withheld?.map((w) => w.why)).toEqual(['frozen: two regions down', 'frozen: two regions down']);
  });

  it('a second region impaired within the window freezes, and its jobs stay', () => {
    const p = guarded(base({ health: new Map([['eastus2', impaired('eastus2', new Date(NOW.getTime() - 60_000).toISOString())]]) }), ['westus3']);
    expect(kinds(p)).toEqual(['applyIncident', 'freeze']);
    expect(p.withheld?.map((w) => w.key)).toEqual(expect.arrayContaining(['stop:w-1', 'requeue:w:2']));
    expect(kinds(p).filter((k) => k === 'requeueJob')).toEqual([]);
  });

  it('never drains the last region that is not impaired', () => {
    const s = base({ health: new Map([['eastus2', impaired('eastus2', new Date(NOW.getTime() - 3_600_000).toISOString())]]) });
    const p = guarded(s, ['westus3']);
    expect(p.withheld?.some((w) => /no other region takes work now/.test(w.why))).toBe(true);
    expect(kinds(p).filter((k) => k === 'requeueJob')).toEqual([]);
  });

  it('one automatic failover per region per window: a new episode within it waits for an operator', () => {
    const earlier = { region: 'eastus2', episode: new Date(NOW.getTime() - 20 * 60_000).toISOString(), at: new Date(NOW.getTime() - 19 * 60_000).toISOString() };
    const p = guarded(base({ ops: { freeze: { frozen: false, reason: '', since: NOW.toISOString(), by: 'autopilot' }, holds: [], failovers: [earlier] } }), ['eastus2']);
    expect(p.withheld?.map((w) => w.key)).toEqual(['stop:e-1', 'requeue:e:2']);
    expect(p.withheld?.[0]?.why).toMatch(/already failed over/);
    // The same episode may finish moving its work.
    const same = base({ health: new Map([['eastus2', impaired('eastus2', earlier.episode)]]), ops: { freeze: { frozen: false, reason: '', since: NOW.toISOString(), by: 'autopilot' }, holds: [], failovers: [earlier] } });
    const finishing = applyGuards({ trigger: ['reconcile'], actions: [{ kind: 'requeueJob', key: 'requeue:e:2', jobId: 'e', fromAttempt: 1, toAttempt: 2, fromRegion: 'eastus2', excludeRegions: ['eastus2'], reason: '' }], reasons: [] }, same, NOW);
    expect(kinds(finishing)).toEqual(['requeueJob']);
  });

  it('holds keep automation off a region, but an operator\'s own plan passes', () => {
    const hold = { id: 'h', scope: 'region' as const, target: 'eastus2', until: new Date(NOW.getTime() + 60_000).toISOString(), reason: 'maintenance', by: 'ops', createdAt: NOW.toISOString() };
    const s = base({ ops: { freeze: { frozen: false, reason: '', since: NOW.toISOString(), by: 'autopilot' }, holds: [hold] } });
    expect(kinds(guarded(s, ['eastus2']))).toEqual(['applyIncident']);
    const operator = applyGuards({ ...planRegionOutage(s, outage(['eastus2']), NOW), requestedBy: 'ops-person' }, s, NOW);
    expect(kinds(operator)).toEqual(['applyIncident', 'stopRayJob', 'requeueJob']);
  });
});

describe('self-freeze and hold-down edge cases', () => {
  it('a Resolved (or a repeat) never trips the freeze, and regions an operator evacuated do not count', async () => {
    const { afterHealthChange } = await import('../../../shared/planner/afterHealthChange.js');
    const opImpaired: RegionHealth = { ...impaired('eastus2'), incidents: { 'OPERATOR-eastus2': { stage: 'active', at: NOW.toISOString(), signalId: 'op' } } };
    const s = base({ health: new Map([['eastus2', opImpaired]]) });
    const next = new Map(s.health).set('westus3', impaired('westus3'));
    expect(afterHealthChange(s, next, NOW, 'sig', 'test').actions.map((a) => a.kind)).not.toContain('freeze');
    const both = base({ health: new Map([['eastus2', impaired('eastus2')], ['westus3', impaired('westus3')]]) });
    expect(afterHealthChange(both, both.health, NOW, 'repeat', 'test').actions.map((a) => a.kind)).not.toContain('freeze');
  });

  it('a recovering region keeps its hold-down through a blip', async () => {
    const { applyEvidence } = await import('../../../shared/fleet/regionHealth.js');
    const recovering: RegionHealth = { region: 'eastus2', state: 'recovering', since: NOW.toISOString(), reason: 'holding down', incidents: {} };
    const sig = (status: 'unavailable' | 'available', id: string, at: number) => ({ kind: 'resourceHealth' as const, id, source: 'eventGrid' as const, observedAt: new Date(NOW.getTime() + at).toISOString(), resourceId: east.id, resourceType: 'Microsoft.ContainerService/managedClusters', status });
    const down = applyEvidence(recovering, sig('unavailable', 'u', 1000), east.id, new Date(NOW.getTime() + 1000));
    if (!down.changed) throw new Error('expected a change');
    expect(down.next).toMatchObject({ state: 'recovering', since: NOW.toISOString() });
    const up = applyEvidence(down.next, sig('available', 'a', 2000), east.id, new Date(NOW.getTime() + 2000));
    expect(up.changed && up.next).toMatchObject({ state: 'recovering', since: NOW.toISOString() });
  });
});
