/**
 * Resource Health activity-log alerts (common schema `monitoringService: Resource Health` / `ResourceHealth`,
 * legacy `eventSource: ResourceHealth`) → `resourceHealth`.
 *
 * `properties.currentHealthStatus` / `previousHealthStatus` are Available, Unavailable, Degraded, Unknown.
 * The resource is `essentials.alertTargetIDs[0]` (common) or `activityLog.resourceId` (legacy).
 * Id: the envelope key (`${alertId}:${monitorCondition}` / `${eventDataId}:${status}`): each health
 * transition is its own activity-log event and so its own alert.
 *
 * For an AKS node (a VMSS instance `…/virtualMachineScaleSets/aks-<pool>-<n>-vmss/virtualMachines/<i>`)
 * `pool` and `node` are filled in: AKS names a node `<vmss name><instance id in base 36, 6 digits>`
 * ("aks-gpunp-12345678-vmss" + 3 → "aks-gpunp-12345678-vmss000003"). `clusterId` needs the node resource
 * group → cluster mapping from the fleet and is left to the consumer.
 */
import { SignalParseError, type ResourceHealthSignal } from '../types.js';
import { field, jsonOrValue, norm, requireRecord, str } from '../read.js';
import { firstTime } from '../time.js';
import type { AlertEnvelope } from './envelope.js';

type HealthStatus = ResourceHealthSignal['status'];

export function parseResourceHealth(env: AlertEnvelope): ResourceHealthSignal {
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
  const aks = aksNodeOf(resourceId);
  return {
    kind: 'resourceHealth',
    id: env.key,
    source: env.source,
    observedAt,
    resourceId,
    resourceType,
    status: healthStatus(str(field(props, 'currentHealthStatus'))),
    ...(previous !== undefined ? { previousStatus: healthStatus(previous) } : {}),
    ...(aks !== undefined ? aks : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

function healthStatus(s: string | undefined): HealthStatus {
  switch (s === undefined ? '' : norm(s)) {
    case 'available':
      return 'available';
    case 'unavailable':
      return 'unavailable';
    case 'degraded':
      return 'degraded';
    default:
      return 'unknown';
  }
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

const VMSS_INSTANCE = /\/virtualMachineScaleSets\/(aks-([a-z0-9]+)-\d+-vmss)\/virtualMachines\/(\d+)$/i;

function aksNodeOf(resourceId: string): { pool: string; node: string } | undefined {
  const m = VMSS_INSTANCE.exec(resourceId);
  if (!m) return undefined;
  const [, vmss, pool, instance] = m;
  const n = Number(instance);
  if (!Number.isSafeInteger(n)) return undefined;
  return { pool: (pool as string).toLowerCase(), node: `${(vmss as string).toLowerCase()}${n.toString(36).padStart(6, '0')}` };
}
