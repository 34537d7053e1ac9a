/**
 * fast-check properties of parseEventGridBody: whatever arrives, it returns a well-formed result or throws
 * SignalParseError (never anything else); a batch yields one signal per member; parsing the same body again
 * (a redelivery, a copy, its JSON text) yields identical signals, so the idempotency keys are stable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutate, mutationArb as mutationArb_ } from '../../../support/mutation.js';
import { SignalParseError, parseEventGridBody, type EventGridParse } from '../../../../shared/signals/index.js';
import {
  EUS2,
  FLEET,
  aksEvent,
  annotated,
  availabilityChanged,
  eventFixtureNames,
  fixture,
  mixedBatch,
  resourceEvent,
  scheduledEvent,
  toCloudEvent,
  validationEvent,
  vmssInstanceId,
} from './bodies.js';

const KINDS = new Set(['regionOutage', 'quotaPressure', 'resourceHealth', 'nodeNotReady', 'gpuFault', 'poolRollout', 'clusterLifecycle', 'ignored']);
const STATUSES = new Set(['available', 'unavailable', 'degraded', 'unknown']);

function parseOrError(body: unknown, withFleet = true): EventGridParse | SignalParseError {
  try {
    return parseEventGridBody(body, withFleet ? { fleet: FLEET } : undefined);
  } catch (e) {
    if (e instanceof SignalParseError) {
      expect(typeof e.field).toBe('string');
      expect(e.field.length).toBeGreaterThan(0);
      return e;
    }
    throw e;
  }
}

function check(r: EventGridParse): void {
  if (r.kind === 'validation') {
    expect(r.validationCode.length).toBeGreaterThan(0);
    expect(['eventGrid', 'cloudEvents']).toContain(r.schema);
    return;
  }
  expect(['eventGrid', 'cloudEvents']).toContain(r.schema);
  for (const s of r.signals) {
    expect(KINDS.has(s.kind)).toBe(true);
    expect(typeof s.id).toBe('string');
    expect(s.id.length).toBeGreaterThan(0);
    expect(['eventGrid', 'cloudEvents']).toContain(s.source);
    expect(new Date(s.observedAt).toISOString()).toBe(s.observedAt);
    switch (s.kind) {
      case 'resourceHealth':
        expect(STATUSES.has(s.status)).toBe(true);
        if (s.previousStatus !== undefined) expect(STATUSES.has(s.previousStatus)).toBe(true);
        expect(s.resourceId.length).toBeGreaterThan(0);
        break;
      case 'poolRollout':
        expect(['started', 'succeeded', 'failed']).toContain(s.phase);
        expect(s.pool.length).toBeGreaterThan(0);
        expect(s.clusterId.length).toBeGreaterThan(0);
        break;
      case 'clusterLifecycle':
        expect(s.clusterId.length).toBeGreaterThan(0);
        expect(s.event.length).toBeGreaterThan(0);
        break;
      case 'ignored':
        expect(s.reason.length).toBeGreaterThan(0);
        break;
      default:
        throw new Error(`unexpected kind ${s.kind}`);
    }
  }
}

const NODE_RG = 'MC_rg-gpu_aks-gpu-eus2_eastus2';
const builtEvents: Record<string, unknown>[] = [
  aksEvent('NodePoolRollingFailed', { nodePoolName: 'gpu1' }),
  aksEvent('NewKubernetesVersionAvailable', { latestSupportedKubernetesVersion: '1.31.2', latestStableKubernetesVersion: '1.30.6', lowestMinorKubernetesVersion: '1.29.10' }),
  availabilityChanged(vmssInstanceId(NODE_RG, 'aks-gpu1-12345678-vmss', 7), 'Unavailable', 'Available'),
  annotated(vmssInstanceId(NODE_RG, 'aks-gpu1-12345678-vmss', 8), 'VirtualMachinePreempted'),
  resourceEvent('CreatedOrUpdated', { id: `${EUS2.id}/agentPools/gpu1`, name: 'gpu1', type: 'Microsoft.ContainerService/managedClusters/agentPools', properties: { provisioningState: 'Succeeded', count: 2 } }),
  scheduledEvent({ description: 'KubernetesVersionEOLTwoWeeks', eventSource: 'EOLNotification', eventStatus: 'Scheduled', eventDetails: '{"kubernetesVersion":"1.29.0"}' }),
];

/** Valid bodies: the fixtures that are bodies, built events in both schemas, batches, a validation. */
const validBodies: unknown[] = [
  ...eventFixtureNames()
    .map((n) => fixture(n))
    .filter((b) => Array.isArray(b) || (typeof b === 'object' && b !== null && ('eventType' in b || 'specversion' in b))),
  ...builtEvents.map((e) => [e]),
  ...builtEvents.map(toCloudEvent),
  builtEvents,
  builtEvents.map(toCloudEvent),
  mixedBatch(24),
  [validationEvent('code-1')],
];

const mutationArb = mutationArb_([
      '',
      '1.0',
      '0001-01-01T00:00:00',
      '2024-04-16T22:17:12.1032748',
      '/subscriptions/x/resourceGroups<rg>/providers/Microsoft.ContainerService/managedClusters/c',
      'Microsoft.EventGrid.SubscriptionValidationEvent',
      'Microsoft.ContainerService.NodePoolRollingFailed',
      'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
      vmssInstanceId('MC_a_b_c_eastus', 'aks-p-1-vmss', 99),
      '{"',
      '[]',
      '__proto__',
      'toString',
]);

describe('parseEventGridBody never throws anything but SignalParseError', () => {
  it('random JSON values, and their text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const body of [v, JSON.stringify(v)]) {
          const r = parseOrError(body);
          if (!(r instanceof SignalParseError)) check(r);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('random objects that claim a schema, alone and in arrays', () => {
    const claimed = fc.oneof(
      fc.record({ specversion: fc.constantFrom('1.0', '0.3', 1), id: fc.jsonValue(), source: fc.jsonValue(), type: fc.jsonValue(), time: fc.jsonValue(), data: fc.jsonValue({ maxDepth: 4 }) }, { requiredKeys: ['specversion'] }),
      fc.record({ eventType: fc.jsonValue(), id: fc.jsonValue(), eventTime: fc.jsonValue(), topic: fc.jsonValue(), subject: fc.jsonValue(), data: fc.jsonValue({ maxDepth: 4 }) }, { requiredKeys: ['eventType'] }),
    );
    fc.assert(
      fc.property(claimed, fc.array(claimed, { maxLength: 5 }), (one, many) => {
        for (const body of [one, many]) {
          const r = parseOrError(body);
          if (!(r instanceof SignalParseError)) {
            check(r);
            if (r.kind === 'signals' && Array.isArray(body)) expect(r.signals).toHaveLength(body.length);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary JavaScript values (not only JSON)', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true, withMap: true, withDate: true, withTypedArray: true }), (v) => {
        const r = parseOrError(v);
        if (!(r instanceof SignalParseError)) check(r);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid bodies: never another error; a redelivery (a copy, or the JSON text) parses identically', () => {
    fc.assert(
      fc.property(fc.nat({ max: validBodies.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (i, mutations, withFleet) => {
        const body = mutate(validBodies[i], mutations);
        const r = parseOrError(body, withFleet);
        if (r instanceof SignalParseError) {
          expect((parseOrError(structuredClone(body), withFleet) as SignalParseError).field).toBe(r.field);
          return;
        }
        check(r);
        if (r.kind === 'signals' && Array.isArray(body)) expect(r.signals).toHaveLength(body.length);
        expect(parseOrError(structuredClone(body), withFleet)).toEqual(r);
        // Its JSON text parses like the JSON value it denotes (a mutant may hold NaN, which JSON cannot).
        const text = JSON.stringify(body);
        if (text !== undefined) expect(parseOrError(text, withFleet)).toEqual(parseOrError(JSON.parse(text), withFleet));
      }),
      { numRuns: 2000 },
    );
  });

  it('every valid body parses, and keys each signal by its event id', () => {
    for (const b of validBodies) {
      const r = parseOrError(b);
      expect(r).not.toBeInstanceOf(SignalParseError);
      if (!(r instanceof SignalParseError) && r.kind === 'signals') {
        const events = Array.isArray(b) ? b : [b];
        expect(r.signals.map((s) => s.id)).toEqual(events.map((e) => (e as { id: string }).id));
      }
    }
  });
});

describe('batches', () => {
  it('a batch of valid events mixed with junk: one signal per member, valid ones keyed by their id, in order', () => {
    const member = fc.oneof(
      fc.constantFrom(...builtEvents).map((e) => ({ e, valid: true })),
      fc.constantFrom(...builtEvents).map((e) => ({ e: toCloudEvent(e), valid: true })),
      fc.jsonValue({ maxDepth: 2 }).map((e) => ({ e, valid: false })),
    );
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 12 }), fc.array(fc.uuid(), { minLength: 12, maxLength: 12 }), (members, ids) => {
        const body = members.map((m, i) => (m.valid ? { ...(m.e as object), id: ids[i] } : m.e));
        const r = parseOrError(body);
        if (!members.some((m) => m.valid)) return; // junk only: refused or not, checked above
        expect(r).not.toBeInstanceOf(SignalParseError);
        const s = (r as Extract<EventGridParse, { kind: 'signals' }>).signals;
        expect(s).toHaveLength(body.length);
        members.forEach((m, i) => {
          if (m.valid) {
            expect(s[i]?.id).toBe(ids[i]);
            expect(s[i]?.kind).not.toBe('ignored');
          }
        });
        check(r as EventGridParse);
      }),
      { numRuns: 500 },
    );
  });
});
