/**
 * The pump's contract with the receiver, against a hand-written fake of `subscribe/completeMessage/abandonMessage/close`
 * (the twin test covers the wire; this one covers ordering and failure paths the broker cannot easily provoke).
 */
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../../local/host/localHost.js';
import { messageBodyForHandler, ServiceBusPump } from '../../../local/host/serviceBusPump.js';
import type { RegisteredFunction } from '../../../local/host/functionsCore.js';
import { callsOf, recorder, resetRecorder } from '../../support/functionsFixture/recorder.js';
import { FIXTURE_ENTRY, KEY, logSink, waitFor } from './support.js';

type Handlers = Parameters<ServiceBusReceiver['subscribe']>[0];
type Options = Parameters<ServiceBusReceiver['subscribe']>[1];

class FakeReceiver {
  readonly events: string[] = [];
  handlers?: Handlers;
  options?: Options;
  receiveMode: 'peekLock' | 'receiveAndDelete' = 'peekLock';
  failComplete = false;
  constructor(readonly entityPath: string) {}
  subscribe(handlers: Handlers, options?: Options) {
    this.handlers = handlers;
    this.options = options;
    this.events.push('subscribe');
    return { close: async () => void this.events.push('subscription.close') };
  }
  async completeMessage(m: ServiceBusReceivedMessage) {
    this.events.push(`complete:${m.messageId}`);
    if (this.failComplete) throw new Error('lock lost');
  }
  async abandonMessage(m: ServiceBusReceivedMessage) {
    this.events.push(`abandon:${m.messageId}`);
  }
  async close() {
    this.events.push('close');
  }
  deliver(m: Partial<ServiceBusReceivedMessage>) {
    return this.handlers!.processMessage({ deliveryCount: 0, state: 'active', ...m } as ServiceBusReceivedMessage);
  }
}

const asReceiver = (f: FakeReceiver) => f as unknown as ServiceBusReceiver;

describe('Service Bus pump (fake receiver)', () => {
  let host: LocalHost | undefined;
  let fake: FakeReceiver;
  const sink = logSink();
  const start = async (extra: Partial<Parameters<typeof startLocalHost>[0]> = {}) => {
    host = await startLocalHost({
      entry: FIXTURE_ENTRY,
      port: 0,
      functionKey: KEY,
      timers: false,
      log: sink.log,
      serviceBus: { receiverFor: (_c, q) => asReceiver((fake = new FakeReceiver(q))) },
      ...extra,
    });
  };

  beforeEach(() => {
    resetRecorder();
    sink.records.length = 0;
  });
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  it('subscribes with maxConcurrentCalls 16 by default and settlement left to the host', async () => {
    await start();
    expect(fake.options).toMatchObject({ autoCompleteMessages: false, maxConcurrentCalls: 16 });
  });

  it('takes maxConcurrentCalls from host.json, and the explicit option over it', async () => {
    await start({ hostJson: { extensions: { serviceBus: { maxConcurrentCalls: 3 } } } });
    expect(fake.options?.maxConcurrentCalls).toBe(3);
    await host!.stop();
    await start({ hostJson: { extensions: { serviceBus: { maxConcurrentCalls: 3 } } }, maxConcurrentCalls: 5 });
    expect(fake.options?.maxConcurrentCalls).toBe(5);
  });

  it('completes on success, abandons on failure', async () => {
    await start();
    await fake.deliver({ messageId: 'ok', body: { jobId: 'a' } });
    await fake.deliver({ messageId: 'bad', body: { jobId: 'b', fail: true } });
    expect(fake.events.filter((e) => e.includes(':'))).toEqual(['complete:ok', 'abandon:bad']);
    expect(callsOf('onJob')).toHaveLength(2);
    // AMQP delivery-count 0 on the first delivery is reported as 1, as the .NET-based host does
    expect(callsOf('onJob')[0]!.triggerMetadata).toMatchObject({ messageId: 'ok', deliveryCount: 1 });
  });

  it('settles nothing when host.json turns autoCompleteMessages off', async () => {
    await start({ hostJson: { extensions: { serviceBus: { autoCompleteMessages: false } } } });
    await fake.deliver({ messageId: 'ok', body: {} });
    await fake.deliver({ messageId: 'bad', body: { fail: true } });
    expect(fake.events.filter((e) => e.includes(':'))).toEqual([]);
  });

  it('logs broker errors and keeps pumping; a failed settlement is logged, not thrown', async () => {
    await start();
    await fake.handlers!.processError({ error: new Error('connection lost'), errorSource: 'receive', entityPath: 'fixture-jobs', fullyQualifiedNamespace: 'x', identifier: 'r' });
    expect(sink.records).toContainEqual(expect.objectContaining({ level: 'error', functionName: 'onJob', errorSource: 'receive', error: 'connection lost' }));
    fake.failComplete = true;
    await expect(fake.deliver({ messageId: 'm1', body: {} })).resolves.toBeUndefined();
    expect(sink.records).toContainEqual(expect.objectContaining({ level: 'warning', functionName: 'onJob', error: 'lock lost' }));
    expect(callsOf('onJob')).toHaveLength(1);
  });

  it('stop() closes the subscription, waits for the handler in flight and its settlement, then closes the receiver', async () => {
    await start();
    let release!: () => void;
    recorder().jobGate = new Promise<void>((r) => (release = r));
    const delivery = fake.deliver({ messageId: 'slow', body: {} });
    await waitFor(() => callsOf('onJob').length === 1, 5_000, 'handler started');
    let stopped = false;
    const stopping = host!.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false);
    expect(fake.events).toEqual(['subscribe', 'subscription.close']);
    release();
    await Promise.all([stopping, delivery]);
    expect(fake.events).toEqual(['subscribe', 'subscription.close', 'complete:slow', 'close']);
    host = undefined;
  });

  it('refuses a receiver that is not peekLock, and trigger options it cannot honour', () => {
    const fn = (binding: Record<string, unknown>): RegisteredFunction => ({
      metadata: { name: 'f', bindings: { m: { type: 'serviceBusTrigger', direction: 'in', connection: 'c', queueName: 'q', ...binding } } },
      handler: () => {},
    });
    const opts = (mode: 'peekLock' | 'receiveAndDelete') => ({
      receiverFor: (_c: string, q: string) => {
        const f = new FakeReceiver(q);
        f.receiveMode = mode;
        return asReceiver(f);
      },
      maxConcurrentCalls: 1,
      autoCompleteMessages: true,
      log: () => {},
    });
    expect(() => new ServiceBusPump([fn({})], opts('receiveAndDelete'))).toThrow(/peekLock/);
    expect(() => new ServiceBusPump([fn({ cardinality: 'many' })], opts('peekLock'))).toThrow(/cardinality/);
    expect(() => new ServiceBusPump([fn({ isSessionsEnabled: true })], opts('peekLock'))).toThrow(/session/);
    expect(() => new ServiceBusPump([fn({ topicName: 't', subscriptionName: 's' })], opts('peekLock'))).toThrow(/topics/);
    expect(new ServiceBusPump([fn({})], opts('peekLock')).functionNames).toEqual(['f']);
  });
});

describe('message body as the handler sees it', () => {
  it.each([
    [{ a: 1 }, { a: 1 }],
    [{ at: new Date('2026-01-01T00:00:00Z') }, { at: '2026-01-01T00:00:00.000Z' }],
    [Buffer.from('{"b":2}'), { b: 2 }],
    [Buffer.from('not json'), 'not json'],
    ['text', 'text'],
    ['42', 42],
    [7, 7],
    [[1, 'x'], [1, 'x']],
  ] as const)('%j → %j', (body, expected) => {
    expect(messageBodyForHandler(body)).toEqual(expected);
  });
});
