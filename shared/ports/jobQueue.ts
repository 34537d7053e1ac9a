import type { JobMessage } from '../jobs/jobSpec.js';

/** The Service Bus intake queue `jobs`. */
export interface JobQueue {
  /**
   * Sends one job message. `messageId` is deterministic (`<jobId>:<attempt>`), so with duplicate
   * detection a repeated send of the same requeue is dropped by the broker.
   * `notBefore` schedules the message (used to wait with backoff when nothing fits).
   */
  send(message: JobMessage, options: { messageId: string; correlationId?: string; notBefore?: Date }): Promise<void>;
}
