/**
 * The clusters a caller asks about, on the way in (validated, de-duplicated) and on the way out (every cluster asked
 * gets an entry under its id exactly as given, even when Monitor spelt the id in another case or had nothing).
 */
import type { NodeReading, NodeReadinessAnswer, TelemetryCluster, TelemetryUnavailable } from '../../ports/telemetry.js';
import { idKey, isArmRegion, parseManagedClusterId, type ManagedClusterId } from './managedClusterId.js';

export type AskedCluster = ManagedClusterId & { readonly region: string };

export function validateClusters(
  source: 'logs' | 'metrics', clusters: readonly TelemetryCluster[],
): { ok: true; clusters: AskedCluster[] } | { ok: false; unavailable: TelemetryUnavailable } {
  const bad: string[] = [];
  const seen = new Map<string, AskedCluster>();
  for (const c of clusters) {
    const parsed = parseManagedClusterId(c.id);
    if (!parsed) bad.push(`${JSON.stringify(c.id)} is not an AKS resource id we query with`);
    else if (!isArmRegion(c.region)) bad.push(`${JSON.stringify(c.region)} (of ${c.id}) is not an ARM region name`);
    else if (!seen.has(idKey(c.id))) seen.set(idKey(c.id), { ...parsed, region: c.region });
  }
  if (bad.length) return { ok: false, unavailable: { status: 'unavailable', source, reason: 'invalidQuery', message: `refused before asking Monitor: ${bad.join('; ')}` } };
  return { ok: true, clusters: [...seen.values()] };
}

export function answer(source: 'logs' | 'metrics', asked: readonly TelemetryCluster[], byKey: ReadonlyMap<string, readonly NodeReading[]>): NodeReadinessAnswer {
  const clusters = new Map<string, readonly NodeReading[]>();
  for (const c of asked) {
    const readings = [...(byKey.get(idKey(c.id)) ?? [])].sort((a, b) => a.node.localeCompare(b.node));
    clusters.set(c.id, readings);
  }
  return { status: 'answered', source, clusters };
}
