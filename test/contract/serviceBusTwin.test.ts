/**
 * The Service Bus twin, driven through the real `@azure/service-bus` client: if the SDK accepts it
 * and sees Azure's semantics, the local host and the adapters can rely on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusReceiver, type ServiceBusReceiverOptions } from '@azure/service-bus';
import type { TokenCredential } from '@azure/core-auth';
import { startServiceBusTwin, type ServiceBusTwin } from '../../local/twin/serviceBus/serviceBusTwin.js';
import { createServiceBusClient } from '../../shared/adapters/serviceBus/serviceBusClientFactory.js';
import { ServiceBusJobQueue } from '../../shared/adapters/serviceBus/serviceBusJobQueue.js';
import { messageIdOf, type JobMessage } from '../../shared/jobs/jobSpec.js';

const retryOptions = { maxRetries: 0, timeoutInMs: 5000 };
/** A static fake; tests never touch a real credential. */
const credential: TokenCredential = { getToken: async () => ({ token: 'fake', expiresOnTimestamp: Date.now() + 3_600_000 }) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let twin: ServiceBusTwin;
let client: ServiceBusClient;
/** Short locks and max delivery count 2, for expiry and dead-lettering. */
let fastTwin: ServiceBusTwin;
let fastClient: ServiceBusClient;
const receivers: ServiceBusReceiver[] = [];

beforeAll(async () => {
  twin = await startServiceBusTwin();
  fastTwin = await startServiceBusTwin({ lockDurationMs: 300, maxDeliveryCount: 2 });
  client = new ServiceBusClient(twin.connectionString, { retryOptions });
  fastClient = new ServiceBusClient(fastTwin.connectionString, { retryOptions });
});

afterAll(async () => {
  for (const r of receivers) await r.close();
  await client?.close();
  await fastClient?.close();
  await twin?.close();
  await fastTwin?.close();
});

/** Peek-lock receiver without auto lock renewal, so the twin's lock timers are what counts. */
function receiver(c: ServiceBusClient, queue: string, opts: ServiceBusReceiverOptions = {}): ServiceBusReceiver {
  const r = c.createReceiver(queue, { maxAutoLockRenewalDurationInMs: 0, ...opts });
  receivers.push(r);
  return r;
}

async function receiveOne(r: ServiceBusReceiver, maxWaitTimeInMs = 2000): Promise<ServiceBusReceivedMessage> {
  const [m] = await r.receiveMessages(1, { maxWaitTimeInMs });
  expect(m, 'a message').toBeDefined();
  return m!;
}

describe('Service Bus twin through @azure/service-bus', () => {
  it('sends, receives under a lock and completes', async () => {
    const sender = client.createSender('basic');
    const before = Date.now();
    await sender.sendMessages({ body: { jobId: 'j1', gpus: 8 }, messageId: 'm1', subject: 'job-submit', applicationProperties: { attempt: 1 } });
    const r = receiver(client, 'basic');
    const m = await receiveOne(r);
    expect(m.body).toEqual({ jobId: 'j1', gpus: 8 });
    expect(m.messageId).toBe('m1');
    expect(m.subject).toBe('job-submit');
    expect(m.applicationProperties).toEqual({ attempt: 1 });
    expect(m.deliveryCount).toBe(0);
    expect(m.lockToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.lockedUntilUtc!.getTime()).toBeGreaterThanOrEqual(before + 29_000);
    expect(twin.queue('basic').locked()).toBe(1);
    expect(twin.queue('basic').messages()).toMatchObject([{ messageId: 'm1', body: { jobId: 'j1', gpus: 8 }, state: 'locked' }]);

    await r.completeMessage(m);
    expect(twin.queue('basic').messages()).toEqual([]);
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 200 })).toEqual([]);
    expect(twin.ops).toContain('complete:basic:m1');
    await sender.close();
  });

  it('redelivers an abandoned message with deliveryCount 1 and the modified properties', async () => {
    await client.createSender('abandon').sendMessages({ body: 'payload', messageId: 'a1' });
    const r = receiver(client, 'abandon');
    const first = await receiveOne(r);
    await r.abandonMessage(first, { lastError: 'NoCapacity' });
    const again = await receiveOne(r);
    expect(again.messageId).toBe('a1');
    expect(again.body).toBe('payload');
    expect(again.deliveryCount).toBe(1);
    expect(again.applicationProperties).toMatchObject({ lastError: 'NoCapacity' });
    await r.completeMessage(again);
  });

  it('dead-letters with reason and description, readable from the dead-letter sub-queue', async () => {
    await client.createSender('dlq').sendMessages({ body: { jobId: 'j2' }, messageId: 'd1' });
    const r = receiver(client, 'dlq');
    await r.deadLetterMessage(await receiveOne(r), { deadLetterReason: 'NoHealthyRegion', deadLetterErrorDescription: 'every region impaired' });
    expect(twin.queue('dlq').messages()).toEqual([]);
    expect(twin.queue('dlq').deadLettered()).toEqual([{ messageId: 'd1', body: { jobId: 'j2' }, reason: 'NoHealthyRegion', description: 'every region impaired' }]);

    const dlq = receiver(client, 'dlq', { subQueueType: 'deadLetter' });
    const dead = await receiveOne(dlq);
    expect(dead.messageId).toBe('d1');
    expect(dead.body).toEqual({ jobId: 'j2' });
    expect(dead.deadLetterReason).toBe('NoHealthyRegion');
    expect(dead.deadLetterErrorDescription).toBe('every region impaired');
    await dlq.completeMessage(dead);
    expect(twin.queue('dlq').deadLettered()).toEqual([]);
  });

  it('holds messages scheduled with scheduleMessages until their time, and cancels for real', async () => {
    const sender = client.createSender('sched');
    const at = new Date(Date.now() + 500);
    await sender.scheduleMessages({ body: 'later', messageId: 's1' }, at);
    const [cancelled] = await sender.scheduleMessages({ body: 'never', messageId: 's2' }, at);
    expect(twin.queue('sched').scheduled()).toBe(2);
    await sender.cancelScheduledMessages(cancelled!);
    expect(twin.queue('sched').scheduled()).toBe(1);

    expect(twin.queue('sched').active()).toBe(0);
    const r = receiver(client, 'sched');
    const m = await receiveOne(r); // a receiver already waiting gets it no earlier than its time
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 5);
    expect(m.messageId).toBe('s1');
    expect(m.body).toBe('later');
    await r.completeMessage(m);
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 200 })).toEqual([]); // s2 stayed cancelled
    expect(twin.queue('sched').messages()).toEqual([]);
    await sender.close();
  });

  it('holds a plain send with scheduledEnqueueTimeUtc until its time', async () => {
    const at = new Date(Date.now() + 400);
    await client.createSender('sched2').sendMessages({ body: { n: 1 }, messageId: 'p1', scheduledEnqueueTimeUtc: at });
    expect(twin.queue('sched2').scheduled()).toBe(1);
    expect(twin.queue('sched2').active()).toBe(0);
    const r = receiver(client, 'sched2');
    const m = await receiveOne(r);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 5);
    expect(m.body).toEqual({ n: 1 });
    expect(m.scheduledEnqueueTimeUtc?.getTime()).toBe(at.getTime());
    await r.completeMessage(m);
  });

  it('drops a repeated message id inside the duplicate window, plain and scheduled', async () => {
    const sender = client.createSender('dup');
    await sender.sendMessages({ body: 1, messageId: 'job-7:1' });
    await sender.sendMessages({ body: 2, messageId: 'job-7:1' });                                 // plain after plain
    await sender.scheduleMessages({ body: 3, messageId: 'job-7:1' }, new Date(Date.now() + 50)); // scheduled after plain
    await sender.scheduleMessages({ body: 4, messageId: 'job-7:2' }, new Date(Date.now() + 60_000));
    await sender.sendMessages({ body: 5, messageId: 'job-7:2', scheduledEnqueueTimeUtc: new Date(Date.now() + 60_000) }); // scheduled after scheduled
    expect(twin.queue('dup').messages().map((m) => [m.messageId, m.body, m.state])).toEqual([
      ['job-7:1', 1, 'active'],
      ['job-7:2', 4, 'scheduled'],
    ]);
    expect(twin.ops.filter((o) => o.startsWith('duplicate:dup:'))).toHaveLength(3);

    const r = receiver(client, 'dup');
    await r.completeMessage(await receiveOne(r));
    await sender.sendMessages({ body: 6, messageId: 'job-7:1' }); // completed, still in the window
    expect(twin.queue('dup').active()).toBe(0);
    await sender.close();
  });

  it('redelivers a message whose lock expired and refuses to settle the stale copy', async () => {
    await fastClient.createSender('expiry').sendMessages({ body: 'x', messageId: 'e1' });
    const r = receiver(fastClient, 'expiry');
    const first = await receiveOne(r);
    expect(first.lockedUntilUtc!.getTime() - Date.now()).toBeLessThanOrEqual(300);
    expect(fastTwin.queue('expiry').locked()).toBe(1);
    await sleep(450);
    expect(fastTwin.queue('expiry').locked()).toBe(0);
    const again = await receiveOne(r);
    expect(again.messageId).toBe('e1');
    expect(again.deliveryCount).toBe(1);
    await expect(r.completeMessage(first)).rejects.toMatchObject({ code: 'MessageLockLost' });
    await r.completeMessage(again);
    expect(fastTwin.queue('expiry').messages()).toEqual([]);
  });

  it('dead-letters with MaxDeliveryCountExceeded after maxDeliveryCount deliveries', async () => {
    await fastClient.createSender('poison').sendMessages({ body: { bad: true }, messageId: 'x1' });
    const r = receiver(fastClient, 'poison');
    await r.abandonMessage(await receiveOne(r));
    const second = await receiveOne(r);
    expect(second.deliveryCount).toBe(1);
    await r.abandonMessage(second);
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 150 })).toEqual([]);

    const dead = await receiveOne(receiver(fastClient, 'poison', { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' }));
    expect(dead.messageId).toBe('x1');
    expect(dead.body).toEqual({ bad: true });
    expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(fastTwin.queue('poison').deadLettered()).toEqual([]);
  });

  it('accepts a batch of 10 as one transfer and delivers them in order', async () => {
    const sender = client.createSender('batch');
    const batch = await sender.createMessageBatch();
    for (let i = 0; i < 10; i++) expect(batch.tryAddMessage({ body: { i }, messageId: `b${i}` })).toBe(true);
    await sender.sendMessages(batch);
    await sender.sendMessages([{ body: { i: 10 }, messageId: 'b10' }, { body: { i: 11 }, messageId: 'b11' }]);
    expect(twin.queue('batch').active()).toBe(12);

    const r = receiver(client, 'batch', { receiveMode: 'receiveAndDelete' });
    const got = await r.receiveMessages(12, { maxWaitTimeInMs: 2000 });
    expect(got.map((m) => (m.body as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(twin.queue('batch').messages()).toEqual([]);
    await sender.close();
  });

  it('locks only as many messages as the receiver asked for; peeks and renews locks', async () => {
    const sender = client.createSender('credit');
    await sender.sendMessages([1, 2, 3].map((n) => ({ body: n, messageId: `c${n}` })));
    const r = receiver(client, 'credit');
    const m = await receiveOne(r);
    expect(twin.queue('credit').locked()).toBe(1);
    expect(twin.queue('credit').active()).toBe(2);

    const peeked = await r.peekMessages(3);
    expect(peeked.map((p) => p.messageId)).toEqual(['c1', 'c2', 'c3']);
    expect(twin.queue('credit').locked()).toBe(1);

    const before = m.lockedUntilUtc!.getTime();
    await sleep(20);
    const renewed = await r.renewMessageLock(m);
    expect(renewed.getTime()).toBeGreaterThan(before);
    await r.completeMessage(m);
    await sender.close();
  });

  it('defers, then receives the deferred message by sequence number and settles it over $management', async () => {
    await client.createSender('defer').sendMessages({ body: 'later', messageId: 'f1' });
    const r = receiver(client, 'defer');
    const m = await receiveOne(r);
    await r.deferMessage(m);
    expect(twin.queue('defer').messages()).toMatchObject([{ messageId: 'f1', state: 'deferred' }]);
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 150 })).toEqual([]);
    const [back] = await r.receiveDeferredMessages(m.sequenceNumber!);
    expect(back).toMatchObject({ messageId: 'f1', body: 'later' });
    await r.completeMessage(back!);
    expect(twin.queue('defer').messages()).toEqual([]);
    expect(twin.ops).toContain('update-disposition:defer');
  });

  it('follows an injected clock: schedules, locks and the duplicate window catch up on the next receive', async () => {
    let now = Date.now();
    const clocked = await startServiceBusTwin({ now: () => now });
    const c = new ServiceBusClient(clocked.connectionString, { retryOptions });
    try {
      const sender = c.createSender('clock');
      await sender.sendMessages({ body: 'a', messageId: 'k1', scheduledEnqueueTimeUtc: new Date(now + 60_000) });
      const r = receiver(c, 'clock');
      expect(await r.receiveMessages(1, { maxWaitTimeInMs: 100 })).toEqual([]);
      now += 61_000;
      const m = await receiveOne(r);
      expect(m.messageId).toBe('k1');
      now += 31_000; // past the 30 s lock
      const again = await receiveOne(r);
      expect(again.deliveryCount).toBe(1);
      await r.completeMessage(again);
      await sender.sendMessages({ body: 'b', messageId: 'k1' });
      expect(clocked.queue('clock').active()).toBe(0); // still inside the 10 min window
      now += 10 * 60_000;
      await sender.sendMessages({ body: 'c', messageId: 'k1' });
      expect(clocked.queue('clock').active()).toBe(1);
    } finally {
      await c.close();
      await clocked.close();
    }
  });

  it('keeps one peek-lock link going past 2048 deliveries (rhea\'s session window)', async () => {
    const sender = client.createSender('long');
    const total = 2100;
    for (let i = 0; i < total; i += 300) {
      await sender.sendMessages(Array.from({ length: Math.min(300, total - i) }, (_, k) => ({ body: i + k })));
    }
    const r = receiver(client, 'long');
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stalled after ${n} messages`)), 4000);
      const sub = r.subscribe({
        processMessage: async () => { if (++n === total) { clearTimeout(timer); void sub.close().then(resolve); } },
        processError: async (args) => reject(args.error),
      }, { maxConcurrentCalls: 200 });
    });
    await sleep(50);
    expect(twin.queue('long').messages()).toEqual([]);
    await sender.close();
  });

  it('feeds subscribe() handlers and completes after them', async () => {
    await client.createSender('sub').sendMessages([{ body: 'a', messageId: 's-a' }, { body: 'b', messageId: 's-b' }]);
    const r = receiver(client, 'sub', { maxAutoLockRenewalDurationInMs: 30_000 });
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const sub = r.subscribe({
        processMessage: async (m) => { seen.push(m.body); if (seen.length === 2) void sub.close().then(resolve); },
        processError: async (args) => reject(args.error),
      });
    });
    expect(seen).toEqual(['a', 'b']);
    await sleep(50); // auto-complete runs after the handler returns
    expect(twin.queue('sub').messages()).toEqual([]);
  });
});

describe('ServiceBusJobQueue and the client factory', () => {
  const job: JobMessage = { jobId: 'llama-ft', entrypoint: 'python train.py', gpus: 16, regions: ['eastus2'] };

  it('sends the job with its deterministic message id; a repeated send is dropped', async () => {
    const sb = createServiceBusClient({ fullyQualifiedNamespace: twin.endpoint, credential, emulator: true, options: { retryOptions } });
    const queue = new ServiceBusJobQueue(sb, 'jobs');
    try {
      await queue.send(job, { messageId: messageIdOf(job.jobId, 1) });
      await queue.send(job, { messageId: messageIdOf(job.jobId, 1) });
      const requeue: JobMessage = { ...job, attempt: 2, excludeRegions: ['eastus2'], requeueReason: 'RegionImpaired' };
      const notBefore = new Date(Date.now() + 60_000);
      await queue.send(requeue, { messageId: messageIdOf(job.jobId, 2), correlationId: 'incident-1', notBefore });

      const r = sb.createReceiver('jobs');
      try {
        const got = await r.receiveMessages(2, { maxWaitTimeInMs: 300 });
        expect(got).toHaveLength(1);
        const [m] = got;
        expect(m!.messageId).toBe('llama-ft:1');
        expect(m!.body).toEqual(job);
        expect(m!.correlationId).toBe('llama-ft');
        expect(m!.contentType).toBe('application/json');
        expect(m!.subject).toBe('job-submit');
        expect(m!.applicationProperties).toEqual({ jobId: 'llama-ft', attempt: 1 });
        await r.completeMessage(m!);
      } finally {
        await r.close();
      }
      expect(twin.queue('jobs').messages()).toEqual([
        { messageId: 'llama-ft:2', body: requeue, state: 'scheduled', deliveryCount: 0, sequenceNumber: expect.any(Number),
          applicationProperties: { jobId: 'llama-ft', attempt: 2 } },
      ]);
      const [peeked] = await sb.createReceiver('jobs').peekMessages(1);
      expect(peeked).toMatchObject({ subject: 'job-requeue', correlationId: 'incident-1', state: 'scheduled' });
      expect(peeked!.scheduledEnqueueTimeUtc?.getTime()).toBe(notBefore.getTime());
    } finally {
      await queue.close();
      await sb.close();
    }
  });

  it('refuses the emulator for a namespace that is not loopback, and connection strings always', () => {
    for (const fqns of ['sb-fleet.servicebus.windows.net', '10.0.0.5:5672', 'sb://127.0.0.1.nip.io:5672', 'localhost.evil.com']) {
      expect(() => createServiceBusClient({ fullyQualifiedNamespace: fqns, credential, emulator: true }), fqns).toThrow(/ServiceBusConnection__emulator/);
    }
    expect(() => createServiceBusClient({ fullyQualifiedNamespace: 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b', credential }))
      .toThrow(/connection string/);
    // constructing does not connect, so these stay offline
    for (const fqns of ['127.0.0.1:5672', 'localhost:5672', '[::1]:5672']) {
      expect(createServiceBusClient({ fullyQualifiedNamespace: fqns, credential, emulator: true })).toBeInstanceOf(ServiceBusClient);
    }
    expect(createServiceBusClient({ fullyQualifiedNamespace: 'sb-fleet.servicebus.windows.net', credential }).fullyQualifiedNamespace)
      .toBe('sb-fleet.servicebus.windows.net');
  });
});
