/**
 * The local host's Service Bus pump against the project's Service Bus twin, through a real `ServiceBusClient`.
 */
import { ServiceBusClient, type ServiceBusReceiver } from '@azure/service-bus';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../../local/host/localHost.js';
import { startServiceBusTwin, type ServiceBusTwin } from '../../../local/twin/serviceBus/serviceBusTwin.js';
import { callsOf, resetRecorder } from '../../support/functionsFixture/recorder.js';
import { FIXTURE_ENTRY, KEY, logSink, waitFor } from './support.js';

const QUEUE = 'host-pump-jobs';
let twin: ServiceBusTwin;
let client: ServiceBusClient;
let host: LocalHost;
const receivers: ServiceBusReceiver[] = [];
const sink = logSink();

beforeAll(async () => {
  process.env.FIXTURE_QUEUE = QUEUE;
  twin = await startServiceBusTwin({ maxDeliveryCount: 2 });
  client = new ServiceBusClient(twin.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 5000 } });
  host = await startLocalHost({
    entry: FIXTURE_ENTRY,
    port: 0,
    functionKey: KEY,
    timers: false,
    log: sink.log,
    serviceBus: {
      receiverFor: (_connection, queueName) => {
        const r = client.createReceiver(queueName, { maxAutoLockRenewalDurationInMs: 0 });
        receivers.push(r);
        return r;
      },
    },
  });
});

afterAll(async () => {
  await host?.stop();
  await client?.close();
  await twin?.close();
});

beforeEach(() => resetRecorder());

const settled = () => twin.queue(QUEUE).messages().length === 0;

describe('Service Bus queue trigger on the twin', () => {
  it('pumps the configured queue (app setting resolved) with one receiver', () => {
    expect(receivers).toHaveLength(1);
    expect(receivers[0]!.entityPath).toBe(QUEUE);
    expect(receivers[0]!.receiveMode).toBe('peekLock');
  });

  it('passes a JSON body as an object with the host metadata, then completes the message', async () => {
    const sender = client.createSender(QUEUE);
    const before = Date.now();
    await sender.sendMessages({
      body: { jobId: 'j-1', gpus: 8 },
      messageId: 'j-1:0',
      correlationId: 'corr-1',
      contentType: 'application/json',
      subject: 'job-submit',
      applicationProperties: { TargetRegion: 'eastus2', attempt: 0 },
    });
    await sender.close();
    const [call] = await waitFor(() => callsOf('onJob').length === 1 && callsOf('onJob'), 10_000, 'onJob');
    expect(call!.input).toEqual({ jobId: 'j-1', gpus: 8 });
    const md = call!.triggerMetadata as Record<string, unknown>;
    expect(md).toMatchObject({
      messageId: 'j-1:0',
      deliveryCount: 1,
      correlationId: 'corr-1',
      contentType: 'application/json',
      subject: 'job-submit',
      label: 'job-submit',
      applicationProperties: { targetRegion: 'eastus2', attempt: 0 },
      sys: { methodName: 'onJob' },
    });
    expect(typeof md.sequenceNumber).toBe('number');
    expect(typeof md.enqueuedTimeUtc).toBe('string');
    expect(Date.parse(md.enqueuedTimeUtc as string)).toBeGreaterThanOrEqual(before - 1000);
    await waitFor(settled, 10_000, 'message completed');
    expect(twin.queue(QUEUE).deadLettered()).toHaveLength(0);
  });

  it('passes a non-JSON body as a string', async () => {
    const sender = client.createSender(QUEUE);
    await sender.sendMessages({ body: Buffer.from('plain words'), messageId: 'text-1' });
    await sender.sendMessages({ body: 'a string body', messageId: 'text-2' });
    await sender.close();
    await waitFor(() => callsOf('onJob').length === 2, 10_000, 'two messages');
    expect(callsOf('onJob').map((c) => c.input).sort()).toEqual(['a string body', 'plain words']);
    await waitFor(settled, 10_000, 'messages completed');
  });

  it('abandons when the handler throws, so the broker redelivers and finally dead-letters', async () => {
    const sender = client.createSender(QUEUE);
    await sender.sendMessages({ body: { jobId: 'bad', fail: true }, messageId: 'bad:0' });
    await sender.close();
    const dead = await waitFor(() => twin.queue(QUEUE).deadLettered().find((m) => m.messageId === 'bad:0'), 10_000, 'dead-lettered');
    expect(dead.reason).toBe('MaxDeliveryCountExceeded');
    const deliveries = callsOf('onJob').map((c) => (c.triggerMetadata as { deliveryCount: number }).deliveryCount);
    expect(deliveries).toEqual([1, 2]);
    expect(sink.records).toContainEqual(expect.objectContaining({ level: 'error', functionName: 'onJob', error: 'job handler failed on purpose' }));
  });
});
