import { messageIdOf, type JobMessage } from '../jobs/jobSpec.js';
import type { Ports } from './ports.js';

/**
 * The nodes a scale-up was for are there: the jobs it was for are sent to the intake queue now instead of at
 * their next backoff redelivery (minutes, with the backoff grown while the nodes were provisioned). A job that
 * still does not fit just waits again; the scheduled redelivery finds it running and is a no-op.
 */
export async function wakeWaiting(ports: Ports, jobIds: readonly string[]): Promise<void> {
  for (const jobId of jobIds) {
    const job = await ports.state.job(jobId);
    if (!job || job.state !== 'waiting') continue;
    const message: JobMessage = {
      ...job.spec, attempt: job.attempt, excludeRegions: [...job.excludeRegions], ...(job.resumeFrom ? { resumeFrom: job.resumeFrom } : {}),
      ...(job.attempt > 1 ? { requeueReason: 'capacity it waited for is ready' } : {}),
    };
    await ports.queue.send(message, { messageId: `${messageIdOf(job.jobId, job.attempt)}:ready:${job.waits}`, correlationId: job.jobId });
  }
}
