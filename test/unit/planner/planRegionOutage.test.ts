import { describe, expect, it } from 'vitest';
import { applyIncident, healthyRegion } from '../../../shared/fleet/regionHealth.js';
import { planForSignal } from '../../../shared/planner/planForSignal.js';
import { planRegionOutage } from '../../../shared/planner/planRegionOutage.js';
import { cluster, NOW, outage, runningJob, snapshot } from '../../support/builders.js';

const east = [cluster('eastus2', 'a'), cluster('eastus2', 'b')];
const west = [cluster('westus3', 'a')];

describe('planRegionOutage', () => {
  it('marks the region impaired and stops then requeues each job running there, highest priority first', () => {
    const jobs = [
      runningJob('low', east[0]!, { spec: { jobId: 'low', entrypoint: 'x', gpus: 1, priority: 1 } }),
      runningJob('high', east[1]!, { spec: { jobId: 'high', entrypoint: 'x', gpus: 1, priority: 9 } }),
      runningJob('elsewhere', west[0]!),
    ];
    const plan = planRegionOutage(snapshot({ clusters: [...east, ...west], jobs }), outage(['eastus2']), NOW);
    expect(plan.actions.map((a) => a.key)).toEqual([
      'incident:eastus2:alert-eastus2:Fired',
      'stop:high-1', 'requeue:high:2',
      'stop:low-1', 'requeue:low:2',
    ]);
    const requeue = plan.actions.find((a) => a.key === 'requeue:high:2');
    expect(requeue).toMatchObject({ kind: 'requeueJob', fromAttempt: 1, toAttempt: 2, fromRegion: 'eastus2', excludeRegions: ['eastus2'] });
    expect(plan.reasons[0]).toContain('eastus2 healthy → impaired');
  });

  it('keeps regions a job was already moved away from in excludeRegions', () => {
    const job = runningJob('j', east[0]!, { attempt: 2, submissionId: 'j-2', excludeRegions: ['westus3'] });
    const plan = planRegionOutage(snapshot({ clusters: [...east, ...west], jobs: [job] }), outage(['eastus2']), NOW);
    expect(plan.actions.find((a) => a.kind === 'requeueJob')).toMatchObject({ toAttempt: 3, excludeRegions: ['eastus2', 'westus3'] });
  });

  it('ignores regions outside the fleet and says so', () => {
    const plan = planRegionOutage(snapshot({ clusters: west }), outage(['brazilsouth']), NOW);
    expect(plan.actions).toEqual([]);
    expect(plan.reasons).toEqual(['brazilsouth: not in the fleet; nothing to do']);
  });

  it('does nothing new for a signal already applied (a duplicate delivery)', () => {
    const signal = outage(['eastus2']);
    const applied = applyIncident(healthyRegion('eastus2', NOW.toISOString()), signal, NOW);
    if (!applied.changed) throw new Error('expected a change');
    const plan = planRegionOutage(snapshot({ clusters: east, health: new Map([['eastus2', applied.next]]) }), signal, NOW);
    expect(plan.actions).toEqual([]);
    expect(plan.reasons[0]).toMatch(/duplicate/);
  });

  it('a resolved incident makes the region recovering and moves nothing', () => {
    const active = applyIncident(healthyRegion('eastus2', NOW.toISOString()), outage(['eastus2']), NOW);
    if (!active.changed) throw new Error('expected a change');
    const later = new Date(NOW.getTime() + 60_000);
    const resolved = outage(['eastus2'], 'resolved', { observedAt: later.toISOString() });
    const plan = planRegionOutage(snapshot({ clusters: east, health: new Map([['eastus2', active.next]]) }), resolved, later);
    expect(plan.actions.map((a) => a.kind)).toEqual(['applyIncident']);
    expect(plan.reasons[0]).toContain('impaired → recovering');
  });

  it('an Active delivered after its Resolved (out of order) is stale and changes nothing', () => {
    const later = new Date(NOW.getTime() + 60_000);
    const active = applyIncident(healthyRegion('eastus2', NOW.toISOString()), outage(['eastus2']), NOW);
    if (!active.changed) throw new Error('expected a change');
    const resolved = applyIncident(active.next, outage(['eastus2'], 'resolved', { observedAt: later.toISOString() }), later);
    if (!resolved.changed) throw new Error('expected a change');
    const lateActive = outage(['eastus2'], 'active', { id: 'another-delivery:Fired' });
    const plan = planRegionOutage(snapshot({ clusters: east, health: new Map([['eastus2', resolved.next]]) }), lateActive, later);
    expect(plan.actions).toEqual([]);
    expect(plan.reasons[0]).toMatch(/stale/);
  });

  it('planForSignal explains kinds it does not act on yet', () => {
    const plan = planForSignal(snapshot({ clusters: east }), { kind: 'ignored', id: 'x', source: 'commonAlert', observedAt: NOW.toISOString(), reason: 'metric alert' }, NOW);
    expect(plan).toEqual({ trigger: ['x'], actions: [], reasons: ['ignored: metric alert'] });
  });
});
