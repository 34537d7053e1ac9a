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

  /** As the adapter reads Ray's State API: nodes at these IPs → alive actors on them → their jobs' live submissions. */
  async jobsOnNodes(endpoint: string, nodeIps: readonly string[]): Promise<readonly string[] | 'unreachable'> {
    const ips = new Set(nodeIps);
    if (!ips.size) return [];
    const backend = await this.reach(endpoint);
    if (!backend) return 'unreachable';
    const nodeIds = new Set(backend.nodes().filter((n) => ips.has(n.node_ip)).map((n) => n.node_id));
    const jobIds = new Set(backend.actors().filter((a) => a.node_id !== null && nodeIds.has(a.node_id) && a.state === 'ALIVE').map((a) => a.job_id));
    const submissions: string[] = [];
    for (const d of backend.list()) {
      if (d.type !== 'SUBMISSION' || (d.status !== 'PENDING' && d.status !== 'RUNNING')) continue;
      const onNodes = (d.job_id !== null && jobIds.has(d.job_id)) || (d.driver_info !== null && ips.has(d.driver_info.node_ip_address));
      if (onNodes && !submissions.includes(d.submission_id)) submissions.push(d.submission_id);
    }
    return submissions;
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
