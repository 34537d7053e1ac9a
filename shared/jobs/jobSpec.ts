/**
 * The job message on the intake queue `jobs` (DESIGN §7). A person's submission carries the spec;
 * a requeue adds `attempt`, `excludeRegions`, `resumeFrom` and `requeueReason`.
 */
import { z } from 'zod';

const name = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only');
const region = z.string().regex(/^[a-z0-9]+$/, 'an ARM region name such as "eastus2"');

export const jobSpecSchema = z.object({
  jobId: name,
  entrypoint: z.string().min(1).max(4096),
  gpus: z.number().int().min(1).max(1024),
  gpuType: z.string().min(1).optional(),
  priority: z.number().int().min(0).max(1000).optional(),
  regions: z.array(region).optional(),
  // Ray requires string environment values; anything else would be refused at submission.
  runtimeEnv: z.object({ env_vars: z.record(z.string(), z.string()).optional() }).catchall(z.unknown()).optional(),
  checkpointPrefix: z.string().min(1).max(1024).regex(/^[^/].*\/$/, 'a blob path that ends with "/"').optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export const jobMessageSchema = jobSpecSchema.extend({
  attempt: z.number().int().min(1).optional(),
  excludeRegions: z.array(region).optional(),
  resumeFrom: z.string().min(1).optional(),
  requeueReason: z.string().optional(),
});

export type JobSpec = z.infer<typeof jobSpecSchema>;
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** The intake queue (DESIGN §7): submissions and requeues both arrive here. */
export const JOBS_QUEUE = 'jobs';

/** A job spec that can never run. `field` is the dotted path of the first problem; `problems` lists all. */
export class JobSpecError extends Error {
  override readonly name = 'JobSpecError';
  constructor(readonly field: string, readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/**
 * A job spec travels in every message and lives in the job record (one Table entity), so it is kept
 * small: 16 KiB of JSON. Large inputs belong in the job's working_dir, not in its spec.
 */
export const MAX_JOB_SPEC_BYTES = 16 * 1024;

function checkSize(body: unknown, limit: number): void {
  const size = Buffer.byteLength(JSON.stringify(body) ?? '');
  if (size > limit) throw new JobSpecError('(body)', [`(body): the job spec is ${size} bytes; at most ${limit}`]);
}

export function parseJobMessage(body: unknown): JobMessage {
  // A requeue adds a few fields to the spec.
  checkSize(body, MAX_JOB_SPEC_BYTES + 4096);
  const result = jobMessageSchema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  const field = result.error.issues[0]?.path.join('.') || '(body)';
  throw new JobSpecError(field, problems);
}

export function parseJobSpec(body: unknown): JobSpec {
  checkSize(body, MAX_JOB_SPEC_BYTES);
  const result = jobSpecSchema.strict().safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  const field = result.error.issues[0]?.path.join('.') || (result.error.issues[0] as { keys?: string[] } | undefined)?.keys?.[0] || '(body)';
  throw new JobSpecError(field, problems);
}

export const attemptOf = (m: JobMessage): number => m.attempt ?? 1;
/** Deterministic Service Bus message id: a repeated send of the same attempt is a duplicate. */
export const messageIdOf = (jobId: string, attempt: number): string => `${jobId}:${attempt}`;
/** Deterministic Ray submission id: a repeated submit of the same attempt is refused by Ray as a duplicate. */
export const submissionIdOf = (jobId: string, attempt: number): string => `${jobId}-${attempt}`;

/** Same spec, whatever the key order. */
export function sameSpec(a: JobSpec, b: JobSpec): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

const canonical = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(canonical)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)]))
      : v;
