import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../../local/host/localHost.js';
import { callsOf, resetRecorder } from '../../support/functionsFixture/recorder.js';
import { FIXTURE_ENTRY, KEY, logSink } from './support.js';

let host: LocalHost;
const sink = logSink();

beforeAll(async () => {
  host = await startLocalHost({ entry: FIXTURE_ENTRY, port: 0, functionKey: KEY, timers: false, log: sink.log });
});
afterAll(async () => {
  await host?.stop();
});
beforeEach(() => {
  resetRecorder();
  sink.records.length = 0;
});

const webhook = (functionName = 'onPlatformEvent', auth = `code=${KEY}`) =>
  `${host.url}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(functionName)}${auth ? `&${auth}` : ''}`;

const post = (body: unknown, eventType: string | undefined, url = webhook()) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(eventType === undefined ? {} : { 'aeg-event-type': eventType }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const gridEvent = (id: string, data: Record<string, unknown> = {}) => ({
  id,
  topic: '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-1',
  subject: 'aks-1',
  eventType: 'Microsoft.ContainerService.NodePoolRollingFailed',
  eventTime: '2026-11-28T10:00:00.0000000Z',
  dataVersion: '1',
  metadataVersion: '1',
  data,
});

describe('Event Grid trigger webhook', () => {
  it('answers the Event Grid schema validation handshake', async () => {
    const res = await post(
      [
        {
          id: 'v1',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          subject: '',
          eventTime: '2026-11-28T10:00:00Z',
          dataVersion: '2',
          metadataVersion: '1',
          topic: '/subscriptions/0000',
          data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://example.invalid/validate' },
        },
      ],
      'SubscriptionValidation',
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(callsOf('onPlatformEvent')).toHaveLength(0);
  });

  it('answers a CloudEvent validation whose data is a JSON string, or an object', async () => {
    const asString = await post(
      { specversion: '1.0', type: 'Microsoft.EventGrid.SubscriptionValidationEvent', id: 'c1', source: 's', data: JSON.stringify({ validationCode: 'abc' }) },
      'SubscriptionValidation',
    );
    expect(await asString.json()).toEqual({ validationResponse: 'abc' });
    const asObject = await post(
      { specversion: '1.0', type: 'Microsoft.EventGrid.SubscriptionValidationEvent', id: 'c2', source: 's', data: { validationCode: 'def' } },
      'subscriptionvalidation',
    );
    expect(asObject.status).toBe(200);
    expect(await asObject.json()).toEqual({ validationResponse: 'def' });
  });

  it('400 for a validation event without a code', async () => {
    expect((await post([{ id: 'x', data: {} }], 'SubscriptionValidation')).status).toBe(400);
  });

  it('invokes the function once per event of a batch and answers 202', async () => {
    const events = [gridEvent('e1', { Pool: 'gpu1' }), gridEvent('e2'), gridEvent('e3')];
    const res = await post(events, 'Notification');
    expect(res.status).toBe(202);
    const calls = callsOf('onPlatformEvent');
    expect(calls.map((c) => (c.input as { id: string }).id).sort()).toEqual(['e1', 'e2', 'e3']);
    const first = calls.find((c) => (c.input as { id: string }).id === 'e1')!;
    expect(first.input).toEqual(events[0]);
    // binding data { data } camel-cased like the library does, plus sys
    expect(first.triggerMetadata).toMatchObject({ data: { pool: 'gpu1' }, sys: { methodName: 'onPlatformEvent' } });
    expect(new Set(calls.map((c) => c.invocationId)).size).toBe(3);
  });

  it('accepts a single CloudEvent object', async () => {
    const cloudEvent = { specversion: '1.0', type: 'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged', id: 'ce-1', source: '/subscriptions/0000', time: '2026-11-28T10:00:00Z', data: { x: 1 } };
    const res = await post(cloudEvent, 'Notification');
    expect(res.status).toBe(202);
    expect(callsOf('onPlatformEvent').map((c) => c.input)).toEqual([cloudEvent]);
  });

  it('500 when any invocation fails, after invoking every event', async () => {
    const res = await post([gridEvent('ok-1'), gridEvent('bad', { fail: true }), gridEvent('ok-2')], 'Notification');
    expect(res.status).toBe(500);
    expect(await res.text()).not.toMatch(/on purpose/);
    expect(callsOf('onPlatformEvent')).toHaveLength(3);
    expect(sink.records).toContainEqual(expect.objectContaining({ level: 'error', functionName: 'onPlatformEvent', error: 'event handler failed on purpose' }));
  });

  it('400 when aeg-event-type is missing or unknown, or the body is not JSON', async () => {
    expect((await post([gridEvent('e')], undefined)).status).toBe(400);
    expect((await post([gridEvent('e')], 'Bogus')).status).toBe(400);
    expect((await post('not json', 'Notification')).status).toBe(400);
    expect((await post('42', 'Notification')).status).toBe(400);
    expect(callsOf('onPlatformEvent')).toHaveLength(0);
  });

  it('202 for Unsubscribe and SubscriptionDeletion', async () => {
    expect((await post([], 'Unsubscribe')).status).toBe(202);
    expect((await post([], 'SubscriptionDeletion')).status).toBe(202);
    expect(callsOf('onPlatformEvent')).toHaveLength(0);
  });

  it('404 for an unknown function, or one that is not Event Grid-triggered', async () => {
    const unknown = await post([gridEvent('e')], 'Notification', webhook('nope'));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("cannot find function: 'nope'");
    expect((await post([gridEvent('e')], 'Notification', webhook('things'))).status).toBe(404);
    expect((await post([gridEvent('e')], 'Notification', `${host.url}/runtime/webhooks/eventgrid?code=${KEY}`)).status).toBe(404);
  });

  it('needs the system key (code or x-functions-key)', async () => {
    expect((await post([gridEvent('e')], 'Notification', webhook('onPlatformEvent', ''))).status).toBe(401);
    expect((await post([gridEvent('e')], 'Notification', webhook('onPlatformEvent', 'code=nope'))).status).toBe(401);
    const viaHeader = await fetch(webhook('onPlatformEvent', ''), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification', 'x-functions-key': KEY },
      body: JSON.stringify([gridEvent('h1')]),
    });
    expect(viaHeader.status).toBe(202);
    expect(callsOf('onPlatformEvent')).toHaveLength(1);
  });

  it('answers the CloudEvents OPTIONS handshake', async () => {
    const us = await fetch(webhook(), { method: 'OPTIONS', headers: { 'webhook-request-origin': 'eventgrid.azure.us' } });
    expect(us.status).toBe(200);
    expect(us.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.us');
    const none = await fetch(webhook(), { method: 'OPTIONS' });
    expect(none.status).toBe(200);
    expect(none.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('405 for other methods', async () => {
    expect((await fetch(webhook())).status).toBe(405);
  });
});
