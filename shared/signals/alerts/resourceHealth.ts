/**
 * Resource Health activity-log alerts (common schema `monitoringService: Resource Health` / `ResourceHealth`,
 * legacy `eventSource: ResourceHealth`) → `resourceHealth`.
 *
 * `properties.currentHealthStatus` / `previousHealthStatus` are Available, Unavailable, Degraded, Unknown.
 * The resource is `essentials.alertTargetIDs[0]` (common) or `activityLog.resourceId` (legacy).
 * Id: the envelope key (`${alertId}:${monitorCondition}` / `${eventDataId}:${status}`): each health
 * transition is its own activity-log event and so its own alert.
 *
 * For an AKS resource `clusterId` / `pool` / `node` come from `mapAksResource` (aksResources.ts, shared with
 * the Event Grid parser): a VMSS instance `…/virtualMachineScaleSets/aks-<pool>-<n>-vmss/virtualMachines/<i>`
 * gives the pool and the node name (`<vmss name><instance id in base 36, 6 digits>`: "aks-gpunp-12345678-vmss"
 * + 3 → "aks-gpunp-12345678-vmss000003"), and its node resource group gives the cluster — from the fleet index
 * when one is passed (custom node resource groups), else from AKS's `MC_<rg>_<cluster>_<region>` convention
 * when that is unambiguous.
 */
import { SignalParseError, type ResourceHealthSignal } from '../types.js';
import { healthStatus, mapAksResource } from '../aksResources.js';
import type { FleetIndex } from '../fleetIndex.js';
import { field, jsonOrValue, requireRecord, str } from '../read.js';
import { firstTime } from '../time.js';
import type { AlertEnvelope } from './envelope.js';


export function parseResourceHealth(env: AlertEnvelope, fleet?: FleetIndex): ResourceHealthSignal {
  const ctxPath = env.contextPath;
  if (env.context === undefined) {
    throw new SignalParseError(ctxPath, 'is missing or not an object (a Resource Health alert carries its activity-log event there)');
  }
  const ctx = env.context;
  const propsPath = `${ctxPath}.properties`;
  const props = requireRecord(jsonOrValue(field(ctx, 'properties'), propsPath), propsPath);

  const resourceId = env.targetIds[0] ?? str(field(ctx, 'resourceId'));
  if (resourceId === undefined) {
    throw new SignalParseError(
      env.source === 'commonAlert' ? 'data.essentials.alertTargetIDs' : `${ctxPath}.resourceId`,
      'is missing (a Resource Health alert is about one resource)',
    );
  }

  const observedAt = firstTime(field(ctx, 'eventTimestamp'), env.firedAt, field(ctx, 'submissionTimestamp'));
  if (observedAt === undefined) {
    throw new SignalParseError(`${ctxPath}.eventTimestamp`, 'no usable time (eventTimestamp, firedDateTime)');
  }

  const ctxType = str(field(ctx, 'resourceType'));
  const resourceType = ctxType !== undefined && ctxType.includes('/') ? ctxType : (resourceTypeOf(resourceId) ?? 'unknown');

  const title = str(field(props, 'title')) ?? str(field(props, 'details'));
  const cause = str(field(props, 'cause'));
  const reason = title !== undefined ? (cause !== undefined ? `${title} (${cause})` : title) : cause;

  const previous = str(field(props, 'previousHealthStatus'));
  const aks = mapAksResource(resourceId, fleet);
  return {
    kind: 'resourceHealth',
    id: env.key,
    source: env.source,
    observedAt,
    resourceId,
    resourceType,
    status: healthStatus(str(field(props, 'currentHealthStatus'))),
    ...(previous !== undefined ? { previousStatus: healthStatus(previous) } : {}),
    ...(aks?.clusterId !== undefined ? { clusterId: aks.clusterId } : {}),
    ...(aks?.pool !== undefined ? { pool: aks.pool } : {}),
    ...(aks?.node !== undefined ? { node: aks.node } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}


/** "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm" → "Microsoft.Compute/virtualMachines". */
export function resourceTypeOf(resourceId: string): string | undefined {
  const parts = resourceId.split('/').filter((p) => p.length > 0);
  const i = parts.map((p) => p.toLowerCase()).lastIndexOf('providers');
  if (i < 0 || i + 2 >= parts.length) return undefined;
  const ns = parts[i + 1];
  const types: string[] = [];
  for (let j = i + 2; j < parts.length; j += 2) types.push(parts[j] as string);
  return `${ns}/${types.join('/')}`;
}
