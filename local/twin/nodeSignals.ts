/**
 * The wire bodies Azure sends about single nodes, built for the twin: a Prometheus node-readiness alert and a
 * DCGM XID alert (Azure Monitor common alert schema, action group → POST /api/alerts), and Resource
 * Notifications HealthResources events about one VMSS instance of an AKS node pool (Event Grid schema,
 * → POST /api/events). Pure functions of their inputs: the same inputs give the same body, ids included, so
 * a re-sent body is a duplicate to the autopilot exactly as a redelivery from Azure would be.
 *
 * Shapes follow the fixtures field by field (test/fixtures/signals): monitor-common-prometheus-kube-node-not-ready.json,
 * monitor-common-prometheus-gpu-xid-errors.json, eventgrid-arn-health-availability-status-changed.json,
 * eventgrid-arn-health-resource-annotated.json. Times are written with 7 fractional digits, as Azure writes them.
 *
 * AKS naming (shared/signals/aksResources.ts, which the parsers use the other way round): scale set
 * `aks-<pool>-<8 digits>-vmss`, node `<scale set><instance id in base 36, 6 digits>`, node resource group
 * `MC_<resource group>_<cluster>_<region>`.
 */
import { createHash } from 'node:crypto';
import {
  defaultNodeResourceGroup,
  instanceIdOfNode,
  nodeNameOf,
  parseArmId,
  poolOfVmss,
  vmssOfNode,
} from '../../shared/signals/aksResources.js';
import { xidName } from '../../shared/signals/xid.js';

export { instanceIdOfNode, nodeNameOf, poolOfVmss, vmssOfNode };

/** A time as a Date or ISO 8601 text. */
export type TwinTime = Date | string;

export interface TwinClusterRef {
  /** ARM id of the managed cluster. */
  readonly id: string;
  readonly name: string;
}

export interface TwinCluster extends TwinClusterRef {
  /** ARM region name; with the cluster's resource group it names the default node resource group. */
  readonly region: string;
}

/** Either stage of an Azure Monitor alert; the episode is named by `firedAt`, the same on both. */
export type AlertStage =
  | { readonly stage: 'Fired'; readonly firedAt: TwinTime }
  | { readonly stage: 'Resolved'; readonly firedAt: TwinTime; readonly resolvedAt: TwinTime };

export type NodeReadinessAlertName = 'KubeNodeNotReady' | 'KubeNodeUnreachable' | 'KubeNodeReadinessFlapping';

export type NodeNotReadyAlertInput = AlertStage & {
  readonly cluster: TwinClusterRef;
  readonly node: string;
  /** Which of the recommended node-level rules fired (default KubeNodeNotReady). */
  readonly alertName?: NodeReadinessAlertName;
  /** Overrides the derived alert id (a full `/subscriptions/…/alerts/<guid>` id). */
  readonly alertId?: string;
  /** The Azure Monitor workspace the rule group evaluates (the alert's target); default one in the cluster's resource group. */
  readonly workspaceId?: string;
};

export type GpuXidAlertInput = AlertStage & {
  readonly cluster: TwinClusterRef;
  readonly node: string;
  readonly xid: number;
  /** GPU index on the node (DCGM `gpu` label). */
  readonly gpu: number;
  readonly alertId?: string;
  readonly workspaceId?: string;
};

export interface VmssInstanceRef {
  readonly cluster: TwinCluster;
  /** Default AKS's `MC_<resource group>_<cluster>_<region>`. */
  readonly nodeResourceGroup?: string;
  /** Scale set name, `aks-<pool>-<digits>-vmss`. */
  readonly vmss: string;
  readonly instanceId: number | string;
}

export type AvailabilityState = 'Available' | 'Unavailable' | 'Degraded' | 'Unknown';

export interface VmssInstanceHealthInput extends VmssInstanceRef {
  readonly state: AvailabilityState;
  readonly previous?: AvailabilityState;
  readonly occurredAt: TwinTime;
  /** Event id; default derived from the other inputs. */
  readonly id?: string;
}

export interface VmssInstanceAnnotationInput extends VmssInstanceRef {
  readonly annotationName: string;
  readonly reason: string;
  readonly summary: string;
  readonly context: 'Platform Initiated' | 'Customer Initiated' | 'VM Initiated' | 'Unknown';
  readonly category: 'Planned' | 'Unplanned' | 'Not Applicable' | 'Unknown';
  /** When the impact starts, for notices ahead of it (HealthResources `impactStartTime`); omitted when absent. */
  readonly impactStartTime?: TwinTime;
  readonly occurredAt: TwinTime;
  readonly id?: string;
}

export interface SpotPreemptionInput extends VmssInstanceRef {
  readonly occurredAt: TwinTime;
  readonly id?: string;
}

/** Common alert schema body (what an action group POSTs). */
export interface CommonAlertBody {
  readonly schemaId: 'azureMonitorCommonAlertSchema';
  readonly data: {
    readonly essentials: Record<string, unknown>;
    readonly alertContext: Record<string, unknown>;
    readonly customProperties: null;
  };
}

/** One Event Grid schema event; a delivery is an array of them. */
export interface EventGridEvent {
  readonly id: string;
  readonly topic: string;
  readonly subject: string;
  readonly data: Record<string, unknown>;
  readonly eventType: string;
  readonly dataVersion: string;
  readonly metadataVersion: string;
  readonly eventTime: string;
}

// --- Prometheus alerts -------------------------------------------------------------------------------

interface NodeRule {
  readonly expression: string;
  readonly expressionValue: string;
  readonly labels: (cluster: string, node: string) => Record<string, string>;
  readonly description: (cluster: string, node: string) => string;
}

/**
 * The recommended node-level rules (Azure/prometheus-collector GeneratedMonitoringArtifacts/Default/
 * recommendedMetricAlerts.json; KubeNodeNotReady from the version the fixture was reconstructed from). The
 * labels are the series' labels after the rule's aggregation plus the rule's `severity: warning`.
 */
const NODE_RULES: Readonly<Record<NodeReadinessAlertName, NodeRule>> = {
  KubeNodeNotReady: {
    expression: 'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0',
    expressionValue: '0',
    labels: (cluster, node) => ({
      alertname: 'KubeNodeNotReady', cluster, condition: 'Ready', job: 'kube-state-metrics', node, status: 'true', severity: 'warning',
    }),
    description: (cluster, node) =>
      `${node} in ${cluster} has been unready for more than 15 minutes. For more information on this alert, please refer to this [link](https://github.com/prometheus-operator/runbooks/blob/main/content/runbooks/kubernetes/KubeNodeNotReady.md).`,
  },
  KubeNodeUnreachable: {
    expression:
      '(kube_node_spec_taint{job="kube-state-metrics",key="node.kubernetes.io/unreachable",effect="NoSchedule"} unless ignoring(key,value) kube_node_spec_taint{job="kube-state-metrics",key=~"ToBeDeletedByClusterAutoscaler|cloud.google.com/impending-node-termination|aws-node-termination-handler/spot-itn"}) == 1',
    expressionValue: '1',
    labels: (cluster, node) => ({
      alertname: 'KubeNodeUnreachable', cluster, effect: 'NoSchedule', job: 'kube-state-metrics', key: 'node.kubernetes.io/unreachable', node, severity: 'warning',
    }),
    description: (cluster, node) =>
      `${node} in ${cluster} is unreachable and some workloads may be rescheduled. For more information on this alert, please refer to this [link](https://aka.ms/aks-alerts/node-level-recommended-alerts).`,
  },
  KubeNodeReadinessFlapping: {
    expression: 'sum(changes(kube_node_status_condition{status="true",condition="Ready"}[15m])) by (cluster, node) > 2',
    expressionValue: '3',
    labels: (cluster, node) => ({ alertname: 'KubeNodeReadinessFlapping', cluster, node, severity: 'warning' }),
    description: (cluster, node) =>
      `The readiness status of node ${node} in ${cluster} has changed more than 2 times in the last 15 minutes. For more information on this alert, please refer to this [link](https://aka.ms/aks-alerts/node-level-recommended-alerts).`,
  },
};

/**
 * A managed-Prometheus node-readiness alert (default KubeNodeNotReady) about `node` of `cluster`, as the
 * recommended rule group `KubernetesAlert-RecommendedMetricAlerts<cluster>-Node-level` sends it. The alert id
 * is derived from (rule, cluster, node, firedAt), so an episode's Fired and Resolved carry the same id and
 * parse to `<alertId>:Fired` / `<alertId>:Resolved`.
 */
export function nodeNotReadyAlert(input: NodeNotReadyAlertInput): CommonAlertBody {
  const alertName = input.alertName ?? 'KubeNodeNotReady';
  const rule = NODE_RULES[alertName];
  const description = rule.description(input.cluster.name, input.node);
  return prometheusAlert({
    ...input,
    ruleGroupName: `KubernetesAlert-RecommendedMetricAlerts${input.cluster.name}-Node-level`,
    alertName,
    severity: 'Sev3',
    description,
    context: {
      interval: 'PT1M',
      expression: rule.expression,
      expressionValue: rule.expressionValue,
      for: 'PT15M',
      labels: rule.labels(input.cluster.name, input.node),
      annotations: { description },
    },
    episodeKey: [alertName, input.cluster.id.toLowerCase(), input.node],
  });
}

/** DCGM exporter's container and port, as its Helm chart deploys it. */
const DCGM_PORT = 9400;

/**
 * A DCGM XID alert about GPU `gpu` of `node`: a user-defined managed-Prometheus rule (Azure recommends none
 * for GPUs) `GpuXidError` in rule group `gpu-health-<cluster>` on `DCGM_FI_DEV_XID_ERRORS > 0`, the gauge whose
 * value is the last XID. Labels are what DCGM exporter (deployed by its Helm chart, scraped by a PodMonitor
 * as AKS's GPU monitoring article sets up) puts on the series: `Hostname` is the node (the chart sets
 * NODE_NAME, which the exporter prefers to its pod's host name), `err_code` the XID, the exporter's own
 * `pod`/`namespace`/`container` are the scrape target's, and the GPU's workload moves to `exported_*`.
 */
export function gpuXidAlert(input: GpuXidAlertInput): CommonAlertBody {
  const { cluster, node, xid, gpu } = input;
  const h = digest(['dcgm', cluster.id.toLowerCase(), node]);
  const exporterPod = `dcgm-nvidia-dcgm-exporter-${h.slice(0, 5)}`;
  const name = xidName(xid);
  const description = `GPU ${gpu} on ${node} in ${cluster.name} reported XID ${xid}${name !== undefined ? ` (${name})` : ''}.`;
  return prometheusAlert({
    ...input,
    ruleGroupName: `gpu-health-${cluster.name}`,
    alertName: 'GpuXidError',
    severity: 'Sev1',
    description,
    context: {
      interval: 'PT1M',
      expression: 'DCGM_FI_DEV_XID_ERRORS > 0',
      expressionValue: String(xid),
      for: 'PT0M',
      labels: {
        alertname: 'GpuXidError',
        cluster: cluster.name,
        job: 'kube-system/nvidia-dcgm-exporter',
        instance: `10.244.${parseInt(h.slice(5, 7), 16) % 250}.${parseInt(h.slice(7, 9), 16) % 250 + 2}:${DCGM_PORT}`,
        gpu: String(gpu),
        UUID: `GPU-${guid(digest(['gpu-uuid', cluster.id.toLowerCase(), node, String(gpu)]))}`,
        pci_bus_id: `00000001:00:0${gpu % 10}.0`,
        device: `nvidia${gpu}`,
        modelName: 'NVIDIA A100 80GB PCIe',
        Hostname: node,
        DCGM_FI_DRIVER_VERSION: '550.54.15',
        err_code: String(xid),
        err_msg: name ?? 'Unknown Error',
        namespace: 'gpu-resources',
        pod: exporterPod,
        container: 'exporter',
        exported_namespace: 'ray',
        exported_pod: `ray-gpu-worker-${h.slice(9, 14)}`,
        exported_container: 'ray-worker',
        severity: 'critical',
      },
      annotations: { description },
    },
    episodeKey: ['GpuXidError', cluster.id.toLowerCase(), node, String(gpu), String(xid)],
  });
}

interface PrometheusAlertParts {
  readonly stage: 'Fired' | 'Resolved';
  readonly firedAt: TwinTime;
  readonly resolvedAt?: TwinTime;
  readonly cluster: TwinClusterRef;
  readonly alertId?: string;
  readonly workspaceId?: string;
  readonly ruleGroupName: string;
  readonly alertName: string;
  readonly severity: string;
  readonly description: string;
  readonly context: {
    readonly interval: string;
    readonly expression: string;
    readonly expressionValue: string;
    readonly for: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  /** What names the alert (Azure Monitor raises one alert per firing series); the episode's firedAt is added. */
  readonly episodeKey: readonly string[];
}

function prometheusAlert(p: PrometheusAlertParts): CommonAlertBody {
  const arm = parseArmId(p.cluster.id);
  if (arm?.resourceGroup === undefined) throw new Error(`cluster id ${p.cluster.id} is not an ARM id with a resource group`);
  const workspaceId =
    p.workspaceId ?? `/subscriptions/${arm.subscription}/resourcegroups/${arm.resourceGroup.toLowerCase()}/providers/microsoft.monitor/accounts/amw-fleet`;
  const ws = parseArmId(workspaceId);
  if (ws?.resourceGroup === undefined) throw new Error(`workspace id ${workspaceId} is not an ARM id with a resource group`);
  const firedAt = azureTime(p.firedAt);
  if (p.stage === 'Resolved' && p.resolvedAt === undefined) throw new Error('a Resolved alert needs resolvedAt');
  const resolvedAt = p.stage === 'Resolved' && p.resolvedAt !== undefined ? azureTime(p.resolvedAt) : undefined;
  const episode = digest([...p.episodeKey, firedAt]);
  const alertId = p.alertId ?? `/subscriptions/${ws.subscription}/providers/Microsoft.AlertsManagement/alerts/${guid(episode)}`;
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId,
        alertRule: `${p.ruleGroupName}/${p.alertName}`,
        severity: p.severity,
        signalType: 'Metric',
        monitorCondition: p.stage,
        monitoringService: 'Prometheus',
        alertTargetIDs: [workspaceId],
        configurationItems: [p.cluster.name],
        originAlertId: guid(digest(['origin', episode])),
        firedDateTime: firedAt,
        ...(resolvedAt !== undefined ? { resolvedDateTime: resolvedAt } : {}),
        description: p.description,
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        ...p.context,
        ruleGroup: `/subscriptions/${ws.subscription}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.AlertsManagement/prometheusRuleGroups/${p.ruleGroupName}`,
      },
      customProperties: null,
    },
  };
}

// --- Resource Notifications: HealthResources -----------------------------------------------------------

const TARGET_TYPE = 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines';

/** The ARM id of the VMSS instance: what Resource Health reports on and the parser maps back to a node. */
export function vmssInstanceResourceId(ref: VmssInstanceRef): string {
  const arm = parseArmId(ref.cluster.id);
  if (arm?.resourceGroup === undefined) throw new Error(`cluster id ${ref.cluster.id} is not an ARM id with a resource group`);
  const nodeRg = ref.nodeResourceGroup ?? defaultNodeResourceGroup(arm.resourceGroup, ref.cluster.name, ref.cluster.region);
  return `/subscriptions/${arm.subscription}/resourceGroups/${nodeRg}/providers/Microsoft.Compute/virtualMachineScaleSets/${ref.vmss}/virtualMachines/${String(ref.instanceId)}`;
}

/**
 * `HealthResources.AvailabilityStatusChanged` for one VMSS instance, as an Event Grid delivery (an array of
 * one event) for POST /api/events.
 */
export function vmssInstanceHealthEvent(input: VmssInstanceHealthInput): EventGridEvent[] {
  const target = vmssInstanceResourceId(input);
  const time = azureTime(input.occurredAt);
  const id = input.id ?? guid(digest(['availability', target.toLowerCase(), input.state, input.previous ?? '', time]));
  return [
    healthEvent('Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged', target, id, time, 'availabilityStatuses', '2023-12-01', {
      targetResourceId: target,
      targetResourceType: TARGET_TYPE,
      occurredTime: time,
      ...(input.previous !== undefined ? { previousAvailabilityState: input.previous } : {}),
      availabilityState: input.state,
    }),
  ];
}

/** `HealthResources.ResourceAnnotated` for one VMSS instance (any annotation), as an Event Grid delivery. */
export function vmssInstanceAnnotatedEvent(input: VmssInstanceAnnotationInput): EventGridEvent[] {
  const target = vmssInstanceResourceId(input);
  const time = azureTime(input.occurredAt);
  const id = input.id ?? guid(digest(['annotation', target.toLowerCase(), input.annotationName, time]));
  return [
    healthEvent('Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated', target, id, time, 'resourceAnnotations', '2022-08-01', {
      targetResourceId: target,
      targetResourceType: TARGET_TYPE,
      occurredTime: time,
      annotationName: input.annotationName,
      reason: input.reason,
      summary: input.summary,
      context: input.context,
      category: input.category,
      ...(input.impactStartTime !== undefined ? { impactStartTime: azureTime(input.impactStartTime) } : {}),
    }),
  ];
}

/**
 * A Spot eviction of one VMSS instance: `ResourceAnnotated` with `VirtualMachinePreempted`, the only
 * preemption annotation Azure documents (articles/service-health/resource-health-vm-annotation.md: context
 * Platform Initiated, category Unplanned). `reason` and `summary` are illustrative wording after the doc's
 * description; the parser reads neither for the status. Parses to `resourceHealth` `unavailable` with
 * `deadline` = occurredAt + 30 s.
 */
export function spotPreemptionEvent(input: SpotPreemptionInput): EventGridEvent[] {
  return vmssInstanceAnnotatedEvent({
    ...input,
    annotationName: 'VirtualMachinePreempted',
    reason: 'Preempted',
    summary: 'This Spot virtual machine is being preempted because Azure needed the capacity back or its price exceeded the maximum price you set.',
    context: 'Platform Initiated',
    category: 'Unplanned',
  });
}

function healthEvent(
  eventType: string,
  target: string,
  id: string,
  time: string,
  kind: 'availabilityStatuses' | 'resourceAnnotations',
  apiVersion: string,
  properties: Record<string, unknown>,
): EventGridEvent {
  const sub = parseArmId(target)?.subscription as string;
  return {
    id,
    topic: `/subscriptions/${sub}`,
    subject: target,
    data: {
      resourceInfo: {
        id: `${target}/providers/Microsoft.ResourceHealth/${kind}/${id}`,
        name: id,
        type: `Microsoft.ResourceHealth/${kind}`,
        properties,
      },
      operationalInfo: { resourceEventTime: time },
      apiVersion,
    },
    eventType,
    dataVersion: '1',
    metadataVersion: '1',
    eventTime: time,
  };
}

// --- naming and ids -----------------------------------------------------------------------------------

/**
 * A deterministic scale set name for `pool` of a cluster: `aks-<pool>-<8 digits>-vmss`. AKS derives the digits
 * from the cluster; the twin derives them from the cluster id so each cluster's pools have their own.
 */
export function poolVmssName(clusterId: string, pool: string): string {
  const digits = String(parseInt(digest(['vmss', clusterId.toLowerCase(), pool.toLowerCase()]).slice(0, 12), 16) % 100_000_000).padStart(8, '0');
  return `aks-${pool.toLowerCase()}-${digits}-vmss`;
}

/** `2025-06-02T12:15:00.000Z` → `2025-06-02T12:15:00.0000000Z` (Azure writes 7 fractional digits). */
function azureTime(t: TwinTime): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${String(t)}`);
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** The first 32 hex digits of `hex` as a GUID (8-4-4-4-12), the form of Azure's alert and event ids. */
function guid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
