/**
 * Azure Monitor in the game day: what Container insights would report about the world's nodes, in process on
 * the virtual clock (the live twin serves the same readings through its Monitor face). A cluster in a region
 * that is down reports nothing, as its agents cannot send: no reading proves nothing either way.
 */
import type { NodeReading, NodeReadinessResult, Telemetry, TelemetryCluster } from '../../shared/ports/telemetry.js';
import type { FleetWorld } from '../twin/world.js';
import type { VirtualTime } from './virtualTime.js';

export class SimTelemetry implements Telemetry {
  constructor(private readonly world: FleetWorld, private readonly time: VirtualTime) {}

  async nodeReadiness(clusters: readonly TelemetryCluster[]): Promise<NodeReadinessResult> {
    return { status: 'answered', source: 'logs', clusters: this.readings(clusters) };
  }

  async nodeReadinessMetric(clusters: readonly TelemetryCluster[]): Promise<NodeReadinessResult> {
    return { status: 'answered', source: 'metrics', clusters: this.readings(clusters) };
  }

  private readings(clusters: readonly TelemetryCluster[]): ReadonlyMap<string, readonly NodeReading[]> {
    const at = new Date(this.time.ms()).toISOString();
    return new Map(clusters.map((c) => {
      const known = [...this.world.clusters.values()].find((w) => w.id.toLowerCase() === c.id.toLowerCase());
      if (!known || this.world.isDown(known.region)) return [c.id, []];
      return [c.id, this.world.kube(known.id).gpuNodes().map((n) => ({ node: n.name, ready: n.ready, at }))];
    }));
  }
}
