/**
 * The Ray face's view of one cluster of the twin's world: its submissions (Jobs API) and its Ray nodes and
 * actors (State API). Like real Ray, a cluster only knows its own submissions.
 */
import type { FleetWorld, TwinJob, WorldCluster } from '../world.js';
import type { RayBackend, RayJobDetails, RaySubmitToBackend } from './rayBackend.js';
import type { RayActorState, RayNodeState } from './rayState.js';

export class ClusterBackend implements RayBackend {
  constructor(private readonly world: FleetWorld, private readonly cluster: WorldCluster) {}

  reachable(): boolean {
    return !this.world.isDown(this.cluster.region);
  }

  submit(request: RaySubmitToBackend): 'ok' | 'duplicate' {
    return this.world.submit(this.cluster, request);
  }

  get(submissionId: string): RayJobDetails | undefined {
    const job = this.world.job(this.cluster.id, submissionId);
    return job ? details(job) : undefined;
  }

  list(): RayJobDetails[] {
    return this.world.allJobs().filter((j) => j.clusterId === this.cluster.id).map(details);
  }

  stop(submissionId: string): boolean | 'notFound' {
    return this.world.stopJob(this.cluster.id, submissionId);
  }

  remove(submissionId: string): 'deleted' | 'notFound' | 'notTerminal' {
    const job = this.world.job(this.cluster.id, submissionId);
    if (!job) return 'notFound';
    return job.status === 'PENDING' || job.status === 'RUNNING' ? 'notTerminal' : 'deleted';
  }

  nodes(): RayNodeState[] {
    return [...this.world.kube(this.cluster.id).rayNodes.values()].map((n) => structuredClone(n));
  }

  actors(): RayActorState[] {
    return [...this.world.kube(this.cluster.id).actors.values()].map((a) => structuredClone(a));
  }
}

function details(job: TwinJob): RayJobDetails {
  return {
    type: 'SUBMISSION', job_id: job.startTime ? job.rayJobId : null,
    submission_id: job.submissionId, status: job.status, entrypoint: job.request.entrypoint, message: job.message,
    error_type: job.status === 'FAILED' ? 'JOB_SUPERVISOR_ACTOR_DIED' : null, start_time: job.startTime, end_time: job.endTime,
    metadata: job.request.metadata, runtime_env: job.request.runtimeEnv, entrypoint_num_gpus: job.gpus,
    driver_info: null, driver_exit_code: job.status === 'SUCCEEDED' ? 0 : null,
  };
}
