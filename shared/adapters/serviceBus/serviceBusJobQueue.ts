/**
 * `JobQueue` on a Service Bus queue (the intake queue `jobs`). The message id is the caller's
 * deterministic `<jobId>:<attempt>`, so with duplicate detection on the queue a repeated send of the
 * same submission or requeue is accepted and dropped by the broker.
 */
import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { attemptOf, type JobMessage } from '../../jobs/jobSpec.js';
import type { JobQueue } from '../../ports/jobQueue.js';

export class ServiceBusJobQueue implements JobQueue {
  private sender: ServiceBusSender | undefined;

  constructor(private readonly client: ServiceBusClient, readonly queueName: string) {}

  async send(message: JobMessage, options: { messageId: string; correlationId?: string; notBefore?: Date }): Promise<void> {
    const attempt = attemptOf(message);
    const sbMessage: ServiceBusMessage = {
      body: message,
      messageId: options.messageId,
      correlationId: options.correlationId ?? message.jobId,
      contentType: 'application/json',
      subject: attempt > 1 ? 'job-requeue' : 'job-submit',
      applicationProperties: { jobId: message.jobId, attempt },
    };
    // a plain send with a scheduled enqueue time: participates in duplicate detection like any send
    if (options.notBefore) sbMessage.scheduledEnqueueTimeUtc = options.notBefore;
    this.sender ??= this.client.createSender(this.queueName);
    await this.sender.sendMessages(sbMessage);
  }

  /** Closes the sender (not the client, which the composition root owns). */
  async close(): Promise<void> {
    const s = this.sender;
    this.sender = undefined;
    await s?.close();
  }
}
