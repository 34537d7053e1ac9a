import { describe, expect, it } from 'vitest';
import { SimJobQueue } from '../../../local/sim/simQueue.js';
import { VirtualTime } from '../../../local/sim/virtualTime.js';

const spec = (jobId: string) => ({ jobId, entrypoint: 'python train.py', gpus: 1 });

describe('the simulated jobs queue', () => {
  it('drops a repeated message id within the duplicate window, and takes it again after', async () => {
    const time = new VirtualTime(0);
    const queue = new SimJobQueue(time, { duplicateWindowMs: 60_000 });
    await queue.send(spec('a'), { messageId: 'a:1' });
    await queue.send(spec('a'), { messageId: 'a:1' });
    expect(queue.duplicatesDropped).toBe(1);
    const [m] = queue.receive(16);
    queue.complete(m!);
    time.advanceTo(30_000);
    await queue.send(spec('a'), { messageId: 'a:1' }); // history survives completion
    expect(queue.duplicatesDropped).toBe(2);
    time.advanceTo(61_000);
    await queue.send(spec('a'), { messageId: 'a:1' });
    expect(queue.receive(16).map((x) => x.messageId)).toEqual(['a:1']);
  });

  it('delivers a scheduled message only when it is due, oldest first, and never two deliveries of one message at once', async () => {
    const time = new VirtualTime(0);
    const queue = new SimJobQueue(time);
    await queue.send(spec('late'), { messageId: 'late', notBefore: new Date(10_000) });
    await queue.send(spec('now'), { messageId: 'now' });
    expect(queue.depth()).toEqual({ active: 1, scheduled: 1, inFlight: 0 });
    expect(queue.receive(16).map((m) => m.messageId)).toEqual(['now']);
    expect(queue.receive(16)).toEqual([]);
    expect(queue.nextDue()).toBe(10_000);
    time.advanceTo(10_000);
    expect(queue.receive(16).map((m) => m.messageId)).toEqual(['late']);
    expect(queue.depth().inFlight).toBe(2);
  });

  it('an abandoned message comes back at once and is dead-lettered after its last delivery', async () => {
    const time = new VirtualTime(0);
    const queue = new SimJobQueue(time, { maxDeliveryCount: 3 });
    await queue.send(spec('x'), { messageId: 'x:1' });
    for (let i = 1; i <= 3; i++) {
      const [m] = queue.receive(1);
      expect(m!.deliveryCount).toBe(i);
      queue.abandon(m!, 'boom');
    }
    expect(queue.receive(1)).toEqual([]);
    expect(queue.deadLettered).toEqual([{ messageId: 'x:1', body: JSON.stringify(spec('x')), reason: 'MaxDeliveryCountExceeded: boom' }]);
  });
});
