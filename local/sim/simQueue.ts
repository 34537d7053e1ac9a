/**
 * The `jobs` intake queue in process, on the virtual clock, with the Service Bus behaviour the autopilot relies on
 * (and the Service Bus twin implements): duplicate detection by message id within a window (history survives
 * completion), scheduled delivery (`notBefore`), peek-lock delivery with at most `maxDeliveryCount` attempts, then the
 * dead-letter queue. The driver takes due messages with `receive` and settles each with `complete` or `abandon`.
 */
import type { JobMessage } from '../../shared/jobs/jobSpec.js';
import type { JobQueue } from '../../shared/ports/jobQueue.js';
import type { VirtualTime } from './virtualTime.js';

export interface QueuedMessage {
  readonly messageId: string;
  readonly correlationId?: string;
  /** The body as it travelled (JSON), so no reference is shared with the sender. */
  readonly body: string;
  readonly enqueuedAt: number;
  /** Sequence number: deliveries due at the same instant go out in send order. */
  readonly seq: number;
  dueAt: number;
  /** Deliveries so far (1 on the first, as the Functions host counts). */
  deliveryCount: number;
  locked: boolean;
}

export interface QueueOptions {
  /** Azure's default: 10 min. */
  readonly duplicateWindowMs?: number;
  /** Azure's default: 10. */
  readonly maxDeliveryCount?: number;
}

export class SimJobQueue implements JobQueue {
  private readonly messages: QueuedMessage[] = [];
  private readonly seen = new Map<string, number>();
  private seq = 0;
  readonly deadLettered: Array<{ messageId: string; body: string; reason: string }> = [];
  /** Sends the broker dropped as duplicates. */
  duplicatesDropped = 0;
  private readonly duplicateWindowMs: number;
  private readonly maxDeliveryCount: number;

  constructor(private readonly time: VirtualTime, options: QueueOptions = {}) {
    this.duplicateWindowMs = options.duplicateWindowMs ?? 10 * 60_000;
    this.maxDeliveryCount = options.maxDeliveryCount ?? 10;
  }

  async send(message: JobMessage, options: { messageId: string; correlationId?: string; notBefore?: Date }): Promise<void> {
    this.time.touch();
    const now = this.time.ms();
    const until = this.seen.get(options.messageId);
    if (until !== undefined && until > now) {
      this.duplicatesDropped++;
      return;
    }
    this.seen.set(options.messageId, now + this.duplicateWindowMs);
    this.messages.push({
      messageId: options.messageId, ...(options.correlationId ? { correlationId: options.correlationId } : {}),
      body: JSON.stringify(message), enqueuedAt: now, seq: this.seq++,
      dueAt: Math.max(now, options.notBefore?.getTime() ?? now), deliveryCount: 0, locked: false,
    });
  }

  /** Locks and returns up to `max` messages due now, oldest first. */
  receive(max: number): QueuedMessage[] {
    const now = this.time.ms();
    const due = this.messages.filter((m) => !m.locked && m.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq).slice(0, max);
    for (const m of due) {
      m.locked = true;
      m.deliveryCount++;
    }
    return due;
  }

  complete(message: QueuedMessage): void {
    const i = this.messages.indexOf(message);
    if (i >= 0) this.messages.splice(i, 1);
  }

  /** The handler threw: the message is available again at once, or dead-lettered after its last delivery. */
  abandon(message: QueuedMessage, reason: string): void {
    message.locked = false;
    if (message.deliveryCount >= this.maxDeliveryCount) {
      this.complete(message);
      this.deadLettered.push({ messageId: message.messageId, body: message.body, reason: `MaxDeliveryCountExceeded: ${reason}` });
    }
  }

  /** The earliest time a message that is not locked becomes due, or undefined. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const m of this.messages) if (!m.locked && (next === undefined || m.dueAt < next)) next = m.dueAt;
    return next;
  }

  /** Messages due now or scheduled for later (what a depth chart shows), and those in flight. */
  depth(): { active: number; scheduled: number; inFlight: number } {
    const now = this.time.ms();
    let active = 0;
    let scheduled = 0;
    let inFlight = 0;
    for (const m of this.messages) {
      if (m.locked) inFlight++;
      else if (m.dueAt <= now) active++;
      else scheduled++;
    }
    return { active, scheduled, inFlight };
  }

  /** Job ids that have a message waiting or in flight. */
  pendingJobIds(): Set<string> {
    return new Set(this.messages.map((m) => (JSON.parse(m.body) as { jobId: string }).jobId));
  }
}
