/**
 * AKS system topic events (`Microsoft.ContainerService.*`, research/signals.md §2). The cluster is the
 * event's `topic` (Event Grid) / `source` (CloudEvents): `/subscriptions/{s}/resourceGroups/{rg}/providers/
 * Microsoft.ContainerService/managedClusters/{name}`; `data` never names it.
 *
 * - NodePoolRolling{Started,Succeeded,Failed} → `poolRollout` (`pool` = data.nodePoolName, lower case);
 * - NewKubernetesVersionAvailable → `clusterLifecycle` `newKubernetesVersionAvailable`,
 *   detail "latestSupported=…; latestStable=…; lowestMinor=…; latestPreview=…";
 * - ClusterSupportEnding / ClusterSupportEnded → `clusterLifecycle` `supportEnding` / `supportEnded`,
 *   detail "kubernetesVersion=…".
 *
 * A topic that is not a clean ARM id is recovered as far as possible: the doc sample's
 * `resourceGroups<rg>` (missing `/`) is read as group `<rg>` (aksResources.ts `parseArmId`); a topic with no
 * `managedClusters/{name}` at all falls back to the fleet cluster named like `subject` (AKS sets subject to
 * the cluster name), and only then becomes `ignored`.
 */
import type { KnownSystemEventTypes } from '@azure/eventgrid';
import type { ClusterLifecycleSignal, IgnoredSignal, PoolRolloutSignal } from '../types.js';
import { clip, str } from '../read.js';
import { clusterIdFromTopic, fleetClusterByName, parseArmId } from '../aksResources.js';
import type { FleetIndex } from '../fleetIndex.js';
import { at, base, dataField, ignored, type EventEnvelope } from './envelope.js';

type RollingType =
  | 'Microsoft.ContainerService.NodePoolRollingStarted'
  | 'Microsoft.ContainerService.NodePoolRollingSucceeded'
  | 'Microsoft.ContainerService.NodePoolRollingFailed';

export const NODE_POOL_ROLLING: Readonly<Record<RollingType, PoolRolloutSignal['phase']>> = {
  'Microsoft.ContainerService.NodePoolRollingStarted': 'started',
  'Microsoft.ContainerService.NodePoolRollingSucceeded': 'succeeded',
  'Microsoft.ContainerService.NodePoolRollingFailed': 'failed',
};

/** The cluster an AKS event is about, or undefined when neither topic nor subject say. */
export function aksEventCluster(env: EventEnvelope, fleet: FleetIndex | undefined): string | undefined {
  const fromTopic = env.topic !== undefined ? clusterIdFromTopic(env.topic, fleet) : undefined;
  if (fromTopic !== undefined || fleet === undefined || env.subject === undefined) return fromTopic;
  const subscription = env.topic !== undefined ? parseArmId(env.topic)?.subscription : undefined;
  return fleetClusterByName(fleet, env.subject, subscription)?.id;
}

function noCluster(env: EventEnvelope): IgnoredSignal {
  const topic = env.topic !== undefined ? clip(env.topic, 160) : '(missing)';
  return ignored(env, `cannot tell which cluster: ${at(env.path, env.schema === 'cloudEvents' ? 'source' : 'topic')} ${topic} is not a managed cluster id`);
}

export function nodePoolRolling(type: RollingType) {
  const phase = NODE_POOL_ROLLING[type];
  return (env: EventEnvelope, fleet: FleetIndex | undefined): PoolRolloutSignal | IgnoredSignal => {
    const pool = str(dataField(type, env.data, 'nodePoolName'));
    if (pool === undefined) return ignored(env, `${at(env.path, 'data.nodePoolName')} is missing`);
    const clusterId = aksEventCluster(env, fleet);
    if (clusterId === undefined) return noCluster(env);
    return { kind: 'poolRollout', ...base(env), clusterId, pool: pool.toLowerCase(), phase };
  };
}

export function newKubernetesVersionAvailable(env: EventEnvelope, fleet: FleetIndex | undefined): ClusterLifecycleSignal | IgnoredSignal {
  const t = 'Microsoft.ContainerService.NewKubernetesVersionAvailable' satisfies KnownSystemEventTypes;
  const clusterId = aksEventCluster(env, fleet);
  if (clusterId === undefined) return noCluster(env);
  const detail = pairs([
    ['latestSupported', str(dataField(t, env.data, 'latestSupportedKubernetesVersion'))],
    ['latestStable', str(dataField(t, env.data, 'latestStableKubernetesVersion'))],
    ['lowestMinor', str(dataField(t, env.data, 'lowestMinorKubernetesVersion'))],
    ['latestPreview', str(dataField(t, env.data, 'latestPreviewKubernetesVersion'))],
  ]);
  return { kind: 'clusterLifecycle', ...base(env), clusterId, event: 'newKubernetesVersionAvailable', ...(detail !== undefined ? { detail } : {}) };
}

export function clusterSupport(type: 'Microsoft.ContainerService.ClusterSupportEnding' | 'Microsoft.ContainerService.ClusterSupportEnded') {
  const event = type === 'Microsoft.ContainerService.ClusterSupportEnding' ? 'supportEnding' : 'supportEnded';
  return (env: EventEnvelope, fleet: FleetIndex | undefined): ClusterLifecycleSignal | IgnoredSignal => {
    const clusterId = aksEventCluster(env, fleet);
    if (clusterId === undefined) return noCluster(env);
    const detail = pairs([['kubernetesVersion', str(dataField(type, env.data, 'kubernetesVersion'))]]);
    return { kind: 'clusterLifecycle', ...base(env), clusterId, event, ...(detail !== undefined ? { detail } : {}) };
  };
}

function pairs(kv: readonly (readonly [string, string | undefined])[]): string | undefined {
  const present = kv.filter((p): p is readonly [string, string] => p[1] !== undefined);
  return present.length === 0 ? undefined : clip(present.map(([k, v]) => `${k}=${clip(v, 100)}`).join('; '), 1000);
}
