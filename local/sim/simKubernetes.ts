/**
 * The Kubernetes port in process. The fleet world has no nodes yet (they are being added to local/twin/world.ts):
 * until then there is nothing to cordon or evict, and a call means a scenario needs what the world cannot model, so
 * it fails loudly instead of pretending.
 */
import type { EvictionResult, KubeNodeInfo, KubePodInfo, Kubernetes, ScaleInResult } from '../../shared/ports/kubernetes.js';

export class NodelessKubernetes implements Kubernetes {
  private fail(what: string): never {
    throw new Error(`Kubernetes ${what}: the fleet world has no nodes yet`);
  }
  async getNode(_clusterId: string, node: string): Promise<KubeNodeInfo | 'notFound'> { return this.fail(`getNode ${node}`); }
  async cordon(_clusterId: string, node: string): Promise<'cordoned' | 'notFound'> { return this.fail(`cordon ${node}`); }
  async uncordon(_clusterId: string, node: string): Promise<'uncordoned' | 'notFound'> { return this.fail(`uncordon ${node}`); }
  async podsOnNode(_clusterId: string, node: string): Promise<KubePodInfo[]> { return this.fail(`podsOnNode ${node}`); }
  async evict(_clusterId: string, _namespace: string, pod: string): Promise<EvictionResult> { return this.fail(`evict ${pod}`); }
  async scaleInRayWorkers(_clusterId: string, _namespace: string, rayCluster: string): Promise<ScaleInResult> { return this.fail(`scaleInRayWorkers ${rayCluster}`); }
}
