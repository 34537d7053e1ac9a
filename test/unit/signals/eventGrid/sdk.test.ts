/**
 * `@azure/eventgrid` (v5.12) as an oracle for the hand-read envelope, and the evidence for not using its
 * deserializer at run time (shared/signals/eventGrid/envelope.ts explains the choice). If the SDK changes
 * behaviour these tests say so.
 */
import { EventGridDeserializer, isSystemEvent, type KnownSystemEventTypes } from '@azure/eventgrid';
import { describe, expect, it } from 'vitest';
import { HANDLED_EVENT_TYPES, parseEventGridBody, type Signal } from '../../../../shared/signals/index.js';
import { EUS2, aksEvent, eventFixtureNames, fixture, toCloudEvent } from './bodies.js';

const sdk = new EventGridDeserializer();

const egFixtures = eventFixtureNames().filter((n) => {
  const raw = fixture(n);
  const first = Array.isArray(raw) ? raw[0] : raw;
  return typeof first === 'object' && first !== null && 'eventType' in first;
});

function signalsOf(body: unknown): Signal[] {
  const r = parseEventGridBody(body);
  if (r.kind !== 'signals') throw new Error('expected signals');
  return r.signals;
}

describe('the envelope agrees with EventGridDeserializer', () => {
  it('there are Event Grid fixtures to compare', () => {
    expect(egFixtures.length).toBe(14);
  });

  it.each(egFixtures.filter((n) => !n.includes('subscription-validation')))('%s: id and event time', async (name) => {
    const raw = fixture(name);
    const events = await sdk.deserializeEventGridEvents(JSON.stringify(raw));
    const signals = signalsOf(raw);
    expect(signals.map((s) => [s.id, s.observedAt])).toEqual(events.map((e) => [e.id, e.eventTime.toISOString()]));
  });

  it.each(egFixtures.filter((n) => !n.includes('subscription-validation')))('%s: as a CloudEvent too', async (name) => {
    const raw = fixture(name);
    const ces = (Array.isArray(raw) ? raw : [raw]).map((e) => toCloudEvent(e as Record<string, unknown>));
    const events = await sdk.deserializeCloudEvents(JSON.stringify(ces));
    expect(signalsOf(ces).map((s) => [s.id, s.observedAt])).toEqual(events.map((e) => [e.id, e.time?.toISOString()]));
  });

  it('isSystemEvent picks the same handled type as the dispatcher, for every fixture event', async () => {
    for (const name of egFixtures) {
      const raw = fixture(name);
      for (const e of await sdk.deserializeEventGridEvents(JSON.stringify(raw))) {
        if (e.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent') continue;
        const matched = HANDLED_EVENT_TYPES.filter((t) => isSystemEvent(t, e));
        const signal = signalsOf([raw].flat()).find((s) => s.id === e.id);
        // Handled by the dispatcher ⇔ the SDK guard says it is one of the handled system events.
        const handledByUs = signal !== undefined && !(signal.kind === 'ignored' && signal.reason.includes('event type not used'));
        expect(matched.length === 1, name).toBe(handledByUs);
      }
    }
  });

  it('every handled type name is one the SDK knows (compile-time; checked here at run time too)', () => {
    for (const t of HANDLED_EVENT_TYPES) {
      expect(isSystemEvent(t as KnownSystemEventTypes, { eventType: t } as never)).toBe(true);
    }
    expect(HANDLED_EVENT_TYPES).toHaveLength(11);
  });
});

describe('why the deserializer is not used at run time', () => {
  it('it accepts the real quirks: dataVersion "" and 7-digit fractions', async () => {
    const [e] = await sdk.deserializeEventGridEvents(JSON.stringify(fixture('eventgrid-envelope-blobcreated.json')));
    expect(e?.dataVersion).toBe('');
    expect(e?.eventTime.toISOString()).toBe('2017-06-26T18:41:00.958Z');
  });

  it('one bad member rejects the whole batch (we keep the good events)', async () => {
    const good = aksEvent('NodePoolRollingFailed', { nodePoolName: 'gpu1' }, EUS2, { id: 'good' });
    const bad = { ...good, id: 'bad' } as Record<string, unknown>;
    delete bad.eventType;
    await expect(sdk.deserializeEventGridEvents(JSON.stringify([good, bad]))).rejects.toThrow(/eventType/);
    expect(signalsOf([good, bad]).map((s) => s.kind)).toEqual(['poolRollout', 'ignored']);
  });

  it('CloudEvents data held as JSON text comes back as an object of characters (we parse it)', async () => {
    const ce = { specversion: '1.0', type: 'Microsoft.EventGrid.SubscriptionValidationEvent', source: '/x', id: '1', time: '2025-05-01T10:00:00Z', data: '{"validationCode":"abc"}' };
    const [e] = await sdk.deserializeCloudEvents(ce);
    expect((e?.data as Record<string, unknown>)['0']).toBe('{');
    expect(parseEventGridBody(ce)).toEqual({ kind: 'validation', validationCode: 'abc', schema: 'cloudEvents' });
  });

  it('an unparsable time is a silent Invalid Date (we refuse the event instead)', async () => {
    const e = { ...aksEvent('NodePoolRollingFailed', { nodePoolName: 'gpu1' }), eventTime: 'yesterday' };
    const [d] = await sdk.deserializeEventGridEvents(JSON.stringify([e]));
    expect(Number.isNaN(d?.eventTime.getTime())).toBe(true);
    expect(() => parseEventGridBody([e])).toThrow(/\[0\]\.eventTime/);
  });

  it('it is asynchronous', () => {
    expect(sdk.deserializeEventGridEvents('[]')).toBeInstanceOf(Promise);
  });
});
