/**
 * The `jobs` intake queue: submitted and requeued jobs are placed and submitted to Ray.
 * Success completes the message; a throw abandons it (redelivered, then dead-lettered by the broker
 * after maxDeliveryCount). A spec that can never run is recorded with its reason and completed.
 */
import { app, type InvocationContext } from '@azure/functions';
import { admitJob } from '../shared/autopilot/admitJob.js';
import { recordRejection } from '../shared/autopilot/recordRejection.js';
import { JOBS_QUEUE } from '../shared/jobs/jobSpec.js';
import { invocationLogger } from '../shared/observability/invocationLogger.js';
import { runtimePorts } from '../shared/runtime.js';

export async function onJobQueued(message: unknown, context: InvocationContext): Promise<void> {
  const ports = await runtimePorts(invocationLogger(context));
  const outcome = await admitJob(message, ports);
  if (outcome.settle === 'deadLetter') {
    await recordRejection(message, String(context.triggerMetadata?.messageId ?? context.invocationId), outcome, ports);
    return;
  }
  ports.log.info(`job ${outcome.result}: ${outcome.detail}`, { messageId: context.triggerMetadata?.messageId, deliveryCount: context.triggerMetadata?.deliveryCount });
}

app.serviceBusQueue('onJobQueued', { connection: 'ServiceBusConnection', queueName: JOBS_QUEUE, handler: onJobQueued });
