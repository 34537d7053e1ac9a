/**
 * `RayJobs` in process over the world's clusters (`world.backend(clusterId)`), with the answers the HTTP adapter
 * (shared/adapters/ray/httpRayJobs.ts) gives for what the Ray Jobs face would send: a cluster whose region is down
 * does not answer, and the caller finds out only after its request timeout — in virtual time.
 */
import type { RayJobInfo, RayJobs, RaySubmitRequest } from '../../shared/ports/rayJobs.js';
import type { RayBackend, RayJobDetails } from '../twin/ray/rayBackend.js';
import type { FleetWorld } from '../twin/world.js';
import type { VirtualTime } from './virtualTime.js';

/** What the HTTP adapter throws when a submit got no answer: retryable (a timed-out submit may have landed). */
export class SimRayUnreachableError extends Error {
  override readonly name = 'RayApiError';
  readonly status = 0;
  readonly body = '';
  readonly retryable = true;
}

export class SimRayJobs implements RayJobs {
  private readonly backends = new Map<string, RayBackend>();

  /** `endpoints`: the fleet's `rayEndpoint` of each cluster → the world's cluster id. */
  constructor(
    private readonly world: FleetWorld,
    endpoints: ReadonlyMap<string, string>,
    private readonly time: VirtualTime,
    private readonly timeoutMs: number,
  ) {
    for (const [endpoint, clusterId] of endpoints) this.backends.set(normalise(endpoint), world.backend(clusterId));
  }

  async submit(endpoint: string, request: RaySubmitRequest): Promise<'submitted' | 'duplicate'> {
    const backend = await this.reach(endpoint);
    if (!backend) throw new SimRayUnreachableError(`Ray submit ${request.submissionId}: no answer from ${endpoint}`);
    const answer = backend.submit({
      entrypoint: request.entrypoint, submissionId: request.submissionId, runtimeEnv: request.runtimeEnv ?? {},
      metadata: request.metadata ?? {}, entrypointNumGpus: request.entrypointNumGpus ?? 0,
    });
    return answer === 'duplicate' ? 'duplicate' : 'submitted';
  }

  async stop(endpoint: string, submissionId: string): Promise<'stopped' | 'alreadyStopped' | 'notFound' | 'unreachable'> {
    const backend = await this.reach(endpoint);
    if (!backend) return 'unreachable';
    const answer = backend.stop(submissionId);
    return answer === 'notFound' ? 'notFound' : answer ? 'stopped' : 'alreadyStopped';
  }

  async get(endpoint: string, submissionId: string): Promise<RayJobInfo | 'notFound' | 'unreachable'> {
    const backend = await this.reach(endpoint);
    if (!backend) return 'unreachable';
    const details = backend.get(submissionId);
    return details ? info(details) : 'notFound';
  }

  async list(endpoint: string): Promise<RayJobInfo[] | 'unreachable'> {
    const backend = await this.reach(endpoint);
    if (!backend) return 'unreachable';
    return backend.list().filter((d) => d.type === 'SUBMISSION').map(info);
  }

  async jobsOnNodes(endpoint: string, _nodeIps: readonly string[]): Promise<readonly string[] | 'unreachable'> {
    const backend = await this.reach(endpoint);
    if (!backend) return 'unreachable';
    // The world has no Ray nodes yet: nothing in it can say which jobs have actors where.
    throw new Error(`jobsOnNodes is not modelled by the fleet world yet (${endpoint})`);
  }

  /** The cluster's backend if it answers; otherwise waits out the request timeout and returns undefined. */
  private async reach(endpoint: string): Promise<RayBackend | undefined> {
    this.time.touch();
    const backend = this.backends.get(normalise(endpoint));
    if (!backend) throw new TypeError(`no Ray cluster at ${endpoint} in the simulated fleet`);
    if (backend.reachable()) return backend;
    await this.time.sleep(this.timeoutMs);
    return undefined;
  }
}

const normalise = (endpoint: string) => endpoint.replace(/\/+$/, '').toLowerCase();

function info(d: RayJobDetails): RayJobInfo {
  return { submissionId: d.submission_id, status: d.status, message: d.message, metadata: { ...d.metadata } };
}
