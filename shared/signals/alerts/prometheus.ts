/**
 * Managed Prometheus alerts (`monitoringService: Prometheus`; alertContext `interval`, `expression`,
 * `expressionValue` (a string, maybe "12.7m"), `for`, `labels`, `annotations`, `ruleGroup`; research §4.3).
 *
 * The alert name is `labels.alertname`, else the last segment of `essentials.alertRule`
 * ("{ruleGroup}/{alertName}").
 *
 * - `KubeNodeNotReady`, `KubeNodeUnreachable` → `nodeNotReady`, Fired → active, Resolved → resolved.
 * - `KubeNodeReadinessFlapping` (the node's Ready condition changed more than twice in 15 min) → Fired is a
 *   `nodeNotReady` (active): a node that keeps dropping out is not fit for multi-hour GPU jobs, and the
 *   planner debounces and budgets what it does about it. Its Resolved is `ignored`: it only says the node
 *   stopped *changing* state, not that it is Ready — a node that flapped and then went down for good resolves
 *   the flapping alert at about the moment KubeNodeNotReady fires, and consumers pair Fired/Resolved per
 *   cluster × node (not per alert rule), so a resolved flapping alert would clear a node that is down.
 *   Readiness is cleared by KubeNodeNotReady's / KubeNodeUnreachable's own Resolved.
 * - A DCGM XID alert (name contains "xid" in any case, or the expression reads `DCGM_FI_DEV_XID_ERRORS` /
 *   `DCGM_EXP_XID_ERRORS_COUNT`) → `gpuFault`, stage from monitorCondition.
 *   - `node`: the first usable of the labels `node`, `kubernetes_node`, `Hostname`, `instance` (port cut).
 *     A scrape relabeling that adds the node name (`node` / `kubernetes_node` from
 *     `__meta_kubernetes_pod_node_name`) is preferred because DCGM exporter's own `Hostname` is the exporter
 *     *pod* name unless the exporter runs with NODE_NAME set (its Helm chart sets it from spec.nodeName and
 *     the exporter then reports it: NVIDIA/dcgm-exporter internal/pkg/hostname), and `instance` is usually
 *     the pod IP and port.
 *     Values that are an IP address or an exporter pod name (contain "dcgm-exporter") are skipped; if
 *     nothing usable is left the alert is `ignored` with the labels that were rejected.
 *   - `xid`: the `err_code` label (DCGM_FI_DEV_XID_ERRORS), else `xid` (DCGM_EXP_XID_ERRORS_COUNT), else
 *     `expressionValue` when the expression is the bare XID gauge compared with a constant (its value *is*
 *     the last XID); a count or rate is not an XID. Positive integers only.
 *   - Application XIDs (13, 31, 43, 45, 68: the job's fault, not the GPU's) are `gpuFault` all the same: the
 *     signal keeps DESIGN §4's fields and the planner tells them apart with `isApplicationXid` (xid.ts).
 * - Node alerts without a node label → `ignored` with the reason; never a throw.
 * - Anything else → `ignored`: "Prometheus alert X is not handled".
 *
 * `cluster`: the `cluster` label, else `essentials.configurationItems[0]` (Azure puts the cluster name there;
 * the alert target is the Azure Monitor workspace). `clusterId`: a managed-cluster ARM id found in the
 * `cluster` label or the alert targets (then `cluster` is its name), else — when a fleet index is passed —
 * the id of the one fleet cluster of that name (`fleetClusterByName`; two of the same name → none).
 * Id: the envelope key `${alertId}:${monitorCondition}` (Azure Monitor raises one alert per firing series).
 */
import { fleetClusterByName } from '../aksResources.js';
import type { FleetIndex } from '../fleetIndex.js';
import type { GpuFaultSignal, IgnoredSignal, NodeNotReadySignal } from '../types.js';
import { clip, field, isRecord, norm, num, str, type JsonRecord } from '../read.js';
import { alertTime, ignored, lenientJson, stageOf } from './common.js';
import type { AlertEnvelope } from './envelope.js';

const NODE_READINESS_ALERTS: ReadonlySet<string> = new Set(['kubenodenotready', 'kubenodeunreachable', 'kubenodereadinessflapping']);
const FLAPPING = 'kubenodereadinessflapping';

const XID_METRIC = /\b(DCGM_FI_DEV_XID_ERRORS|DCGM_EXP_XID_ERRORS_COUNT)\b/i;
/** `DCGM_FI_DEV_XID_ERRORS{…} > 0`: the gauge itself, so expressionValue is the XID. */
const BARE_XID_GAUGE = /^\s*\(?\s*DCGM_FI_DEV_XID_ERRORS\s*(\{[^}]*\})?\s*\)?\s*(>|>=|!=|==)\s*[+-]?\d+(\.\d*)?\s*$/i;

const MANAGED_CLUSTER_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)$/i;

export function parsePrometheus(env: AlertEnvelope, fleet?: FleetIndex): NodeNotReadySignal | GpuFaultSignal | IgnoredSignal {
  const ctx = env.context;
  const observedAt = alertTime(env);
  const labels = recordOf(field(ctx, 'labels'));
  const alertName = str(field(labels, 'alertname')) ?? lastSegment(env.alertRule) ?? 'without a name';
  const expression = str(field(ctx, 'expression')) ?? '';
  const eventType = `${env.familyLabel}/${clip(env.alertRule ?? alertName, 200)}`;
  const name = clip(alertName);
  const key = norm(alertName);

  if (NODE_READINESS_ALERTS.has(key)) {
    if (key === FLAPPING && env.condition === 'resolved') {
      return ignored(
        env,
        observedAt,
        `Prometheus alert ${name} resolved: the node stopped flapping, which does not say it is Ready`,
        eventType,
      );
    }
    const node = str(field(labels, 'node')) ?? str(field(labels, 'kubernetes_node'));
    if (node === undefined) return ignored(env, observedAt, `Prometheus alert ${name} has no node label`, eventType);
    return { kind: 'nodeNotReady', id: env.key, source: env.source, observedAt, ...clusterOf(env, labels, fleet), node, stage: stageOf(env) };
  }

  if (key.includes('xid') || XID_METRIC.test(expression)) {
    const { node, rejected } = gpuNode(labels);
    if (node === undefined) {
      return ignored(
        env,
        observedAt,
        `Prometheus GPU alert ${name} names no node${rejected.length > 0 ? ` (not a node: ${clip(rejected.join(', '), 120)})` : ''}`,
        eventType,
      );
    }
    const xid = xidOf(labels, expression, field(ctx, 'expressionValue'));
    return {
      kind: 'gpuFault',
      id: env.key,
      source: env.source,
      observedAt,
      ...clusterOf(env, labels, fleet),
      node,
      ...(xid !== undefined ? { xid } : {}),
      stage: stageOf(env),
    };
  }

  return ignored(env, observedAt, `Prometheus alert ${name} is not handled`, eventType);
}

function recordOf(v: unknown): JsonRecord {
  const parsed = lenientJson(v);
  return isRecord(parsed) ? parsed : {};
}

function lastSegment(rule: string | undefined): string | undefined {
  return str(rule?.split('/').pop());
}

function clusterOf(
  env: AlertEnvelope,
  labels: JsonRecord,
  fleet: FleetIndex | undefined,
): { cluster?: string; clusterId?: string } {
  const label = str(field(labels, 'cluster'));
  const armId = [label, ...env.targetIds].find((v) => v !== undefined && MANAGED_CLUSTER_ID.test(v));
  const cluster =
    label !== undefined && label !== armId
      ? label
      : armId !== undefined
        ? (MANAGED_CLUSTER_ID.exec(armId)?.[1] as string)
        : env.configurationItems[0];
  const clusterId = armId ?? (fleet !== undefined && cluster !== undefined ? fleetClusterByName(fleet, cluster)?.id : undefined);
  return { ...(cluster !== undefined ? { cluster } : {}), ...(clusterId !== undefined ? { clusterId } : {}) };
}

const NODE_LABELS = ['node', 'kubernetes_node', 'Hostname', 'instance'] as const;

function gpuNode(labels: JsonRecord): { node?: string; rejected: string[] } {
  const rejected: string[] = [];
  for (const label of NODE_LABELS) {
    const raw = str(field(labels, label));
    if (raw === undefined) continue;
    const value = label === 'instance' ? withoutPort(raw) : raw;
    if (value.length === 0 || isIpAddress(value) || /dcgm[-_]?exporter/i.test(value)) {
      rejected.push(`${label}=${raw}`);
      continue;
    }
    return { node: value, rejected };
  }
  return { rejected };
}

function withoutPort(instance: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1] as string;
  const hostPort = /^([^:]+):\d+$/.exec(instance);
  return hostPort ? (hostPort[1] as string) : instance;
}

function isIpAddress(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-f:.]+$/i.test(s));
}

function xidOf(labels: JsonRecord, expression: string, expressionValue: unknown): number | undefined {
  for (const label of ['err_code', 'xid']) {
    const x = positiveInt(field(labels, label));
    if (x !== undefined) return x;
  }
  return BARE_XID_GAUGE.test(expression) ? positiveInt(expressionValue) : undefined;
}

function positiveInt(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
