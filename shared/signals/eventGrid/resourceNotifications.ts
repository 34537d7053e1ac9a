/**
 * Azure Resource Notifications system topics (research/signals.md §3), all with
 *   data: { resourceInfo: { id, name, type, location?, properties? }, operationalInfo: { resourceEventTime }, apiVersion? }
 *
 * - HealthResources.AvailabilityStatusChanged → `resourceHealth` (status from availabilityState);
 * - HealthResources.ResourceAnnotated → `resourceHealth` (status from the annotation, annotations.ts), with a
 *   `deadline` for notices that come before the impact (Spot preemption: occurredTime + 30 s);
 * - Resources.CreatedOrUpdated / Deleted → `clusterLifecycle` for a managed cluster or an agent pool, else
 *   `ignored`;
 * - ContainerServiceEventResources.ScheduledEventEmitted → `clusterLifecycle` (`maintenance:<status>` or
 *   `eol:<description>`).
 *
 * Fields are read by their wire names (`resourceInfo`, not the SDK interfaces' `resourceDetails`). A health
 * target that is a VMSS instance in an AKS node resource group gets `clusterId`/`pool`/`node`
 * (aksResources.ts).
 */
import type { ClusterLifecycleSignal, IgnoredSignal, ResourceHealthSignal } from '../types.js';
import { clip, field, isRecord, norm, str, type JsonRecord } from '../read.js';
import { toIsoTime } from '../time.js';
import { armResourceType, clusterIdFromTopic, healthStatus, mapAksResource } from '../aksResources.js';
import type { FleetIndex } from '../fleetIndex.js';
import { annotationDeadline, annotationStatus } from './annotations.js';
import { at, base, ignored, type EventEnvelope } from './envelope.js';

const MAX_DETAIL = 1000;

interface ArnParts {
  readonly resourceInfo: JsonRecord | undefined;
  readonly props: JsonRecord | undefined;
  /** Path of `resourceInfo.properties` for reasons. */
  readonly propsPath: string;
}

function arnParts(env: EventEnvelope): ArnParts {
  const info = recordOrJson(field(env.data, 'resourceInfo'));
  return { resourceInfo: info, props: recordOrJson(field(info, 'properties')), propsPath: at(env.path, 'data.resourceInfo.properties') };
}

function recordOrJson(v: unknown): JsonRecord | undefined {
  if (isRecord(v)) return v;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t[0] !== '{') return undefined;
  try {
    const parsed = JSON.parse(t) as unknown;
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** ".../vm/providers/Microsoft.ResourceHealth/availabilityStatuses/x" → ".../vm". */
function baseResource(id: string | undefined): string | undefined {
  if (id === undefined || !id.toLowerCase().startsWith('/subscriptions/')) return undefined;
  const i = id.toLowerCase().indexOf('/providers/microsoft.resourcehealth/');
  return i > 0 ? id.slice(0, i) : id;
}


/** The health event's target and the AKS fields for it, or the reason it has none. */
function healthTarget(
  env: EventEnvelope,
  parts: ArnParts,
  fleet: FleetIndex | undefined,
):
  | { resourceId: string; resourceType: string; aks: { clusterId?: string; pool?: string; node?: string } }
  | { missing: string } {
  const resourceId =
    str(field(parts.props, 'targetResourceId')) ??
    baseResource(str(field(parts.resourceInfo, 'id'))) ??
    baseResource(env.subject);
  if (resourceId === undefined) return { missing: `${at(parts.propsPath, 'targetResourceId')} is missing` };
  const resourceType = str(field(parts.props, 'targetResourceType')) ?? armResourceType(resourceId) ?? 'unknown';
  const ref = mapAksResource(resourceId, fleet);
  const aks: { clusterId?: string; pool?: string; node?: string } = {};
  if (ref?.clusterId !== undefined) aks.clusterId = ref.clusterId;
  if (ref?.pool !== undefined) aks.pool = ref.pool;
  if (ref?.node !== undefined) aks.node = ref.node;
  return { resourceId, resourceType, aks };
}

export function availabilityStatusChanged(env: EventEnvelope, fleet: FleetIndex | undefined): ResourceHealthSignal | IgnoredSignal {
  const parts = arnParts(env);
  const target = healthTarget(env, parts, fleet);
  if ('missing' in target) return ignored(env, target.missing);
  const p = parts.props;
  const previous = str(field(p, 'previousAvailabilityState'));
  const text = str(field(p, 'reason')) ?? str(field(p, 'summary')) ?? str(field(p, 'title'));
  const reasonType = str(field(p, 'reasonType'));
  const reason = reasonType !== undefined && text !== undefined ? `${reasonType}: ${text}` : (text ?? reasonType);
  return {
    kind: 'resourceHealth',
    ...base(env),
    resourceId: target.resourceId,
    resourceType: target.resourceType,
    status: healthStatus(str(field(p, 'availabilityState'))),
    ...(previous !== undefined ? { previousStatus: healthStatus(previous) } : {}),
    ...target.aks,
    ...(reason !== undefined ? { reason: clip(reason, 500) } : {}),
  };
}

export function resourceAnnotated(env: EventEnvelope, fleet: FleetIndex | undefined): ResourceHealthSignal | IgnoredSignal {
  const parts = arnParts(env);
  const target = healthTarget(env, parts, fleet);
  if ('missing' in target) return ignored(env, target.missing);
  const p = parts.props;
  const name = str(field(p, 'annotationName'));
  const context = str(field(p, 'context'));
  const text = str(field(p, 'summary')) ?? str(field(p, 'reason'));
  const head = `${name ?? 'unnamed annotation'}${context !== undefined ? ` (${context})` : ''}`;
  const status = annotationStatus(name, str(field(p, 'impactType')));
  // The annotation's own time, not the delivery's: the notice period runs from when Azure emitted it.
  const occurredAt = toIsoTime(field(p, 'occurredTime')) ?? env.observedAt;
  const deadline = annotationDeadline(name, status, occurredAt, toIsoTime(field(p, 'impactStartTime')));
  return {
    kind: 'resourceHealth',
    ...base(env),
    resourceId: target.resourceId,
    resourceType: target.resourceType,
    status,
    ...target.aks,
    reason: clip(text !== undefined ? `${head}: ${text}` : head, 500),
    ...(deadline !== undefined ? { deadline } : {}),
  };
}

/** `Resources.CreatedOrUpdated` / `Resources.Deleted`. */
export function resourceChanged(
  env: EventEnvelope,
  fleet: FleetIndex | undefined,
  change: 'createdOrUpdated' | 'deleted',
): ClusterLifecycleSignal | IgnoredSignal {
  const parts = arnParts(env);
  const type = str(field(parts.resourceInfo, 'type'));
  const id = str(field(parts.resourceInfo, 'id')) ?? env.subject;
  const t = type?.toLowerCase();
  const isCluster = t === 'microsoft.containerservice/managedclusters';
  const isPool = t === 'microsoft.containerservice/managedclusters/agentpools';
  if (!isCluster && !isPool) {
    return ignored(env, `resource type ${type !== undefined ? clip(type, 120) : '(missing)'} is not a managed cluster or agent pool`);
  }
  const ref = id !== undefined ? mapAksResource(id, fleet) : undefined;
  if (ref?.clusterId === undefined) {
    return ignored(env, `${at(env.path, 'data.resourceInfo.id')} is not a managed cluster id`);
  }
  const p = parts.props;
  const provisioningState = str(field(p, 'provisioningState'));
  const verb = change === 'deleted' ? 'deleted' : provisioningState !== undefined && norm(provisioningState) === 'creating' ? 'created' : 'updated';
  const detail = isPool
    ? details([
        ['pool', ref.pool ?? str(field(parts.resourceInfo, 'name'))],
        ['provisioningState', provisioningState],
        ['count', str(field(p, 'count'))],
        ['vmSize', str(field(p, 'vmSize'))],
        ['orchestratorVersion', str(field(p, 'orchestratorVersion'))],
      ])
    : details([
        ['provisioningState', provisioningState],
        ['kubernetesVersion', str(field(p, 'currentKubernetesVersion')) ?? str(field(p, 'kubernetesVersion'))],
        ['powerState', str(field(field(p, 'powerState'), 'code'))],
      ]);
  return {
    kind: 'clusterLifecycle',
    ...base(env),
    clusterId: ref.clusterId,
    // A pool change must never read as the cluster's own: "agentPool:deleted" is not "deleted".
    event: isPool ? `agentPool:${verb}` : verb,
    ...(detail !== undefined ? { detail } : {}),
  };
}

/** `ContainerServiceEventResources.ScheduledEventEmitted`: AKS maintenance and end-of-support notices. */
export function scheduledEventEmitted(env: EventEnvelope, fleet: FleetIndex | undefined): ClusterLifecycleSignal | IgnoredSignal {
  const parts = arnParts(env);
  const p = parts.props;
  const clusterId = scheduledEventCluster(env, parts, fleet);
  if (clusterId === undefined) {
    return ignored(env, `no managed cluster id in ${at(parts.propsPath, 'resources')}, data.resourceInfo.id or subject`);
  }
  const eventSource = str(field(p, 'eventSource'));
  const description = str(field(p, 'description'));
  const status = str(field(p, 'eventStatus'));
  const eol =
    (eventSource !== undefined && norm(eventSource) === 'eolnotification') ||
    (description !== undefined && /^kubernetesversion(eol|outofsupport)/i.test(description));
  const event = eol ? `eol:${description ?? status ?? 'Unknown'}` : `maintenance:${status ?? 'Unknown'}`;
  const detail = details([
    ['eventSource', eventSource],
    ...(eol ? ([['eventStatus', status]] as const) : []),
    // "0001-01-01T00:00:00…" (.NET MinValue) means "not set": toIsoTime returns undefined for it.
    ['scheduledTime', toIsoTime(field(p, 'scheduledTime'))],
    ['startTime', toIsoTime(field(p, 'startTime'))],
    ...eventDetails(field(p, 'eventDetails')),
  ]);
  return { kind: 'clusterLifecycle', ...base(env), clusterId, event: clip(event, 200), ...(detail !== undefined ? { detail } : {}) };
}

function scheduledEventCluster(env: EventEnvelope, parts: ArnParts, fleet: FleetIndex | undefined): string | undefined {
  const resources = field(parts.props, 'resources');
  const candidates: unknown[] = [
    ...(Array.isArray(resources) ? resources : [resources]),
    field(parts.resourceInfo, 'id'),
    env.subject,
  ];
  for (const c of candidates) {
    const s = str(c);
    const id = s !== undefined ? clusterIdFromTopic(s, fleet) : undefined;
    if (id !== undefined) return id;
  }
  return undefined;
}

/** `eventDetails`: free text in maintenance notices, an object (or JSON text of one) in EOL notices. */
function eventDetails(v: unknown): (readonly [string, string | undefined])[] {
  const obj = recordOrJson(v);
  if (obj === undefined) return [['eventDetails', str(v)]];
  return Object.keys(obj).map((k) => {
    const x = obj[k];
    const text = typeof x === 'boolean' ? String(x) : typeof x === 'object' && x !== null ? clip(JSON.stringify(x), 200) : str(x);
    return [k, text] as const;
  });
}

/** "k=v; k=v" of the present values, or undefined when none is. */
function details(pairs: readonly (readonly [string, string | undefined])[]): string | undefined {
  const present = pairs.filter((kv): kv is readonly [string, string] => kv[1] !== undefined);
  if (present.length === 0) return undefined;
  return clip(present.map(([k, v]) => `${k}=${v}`).join('; '), MAX_DETAIL);
}
