import { describe, expect, it } from 'vitest';
import { parseAlertBody, type Signal } from '../../../shared/signals/index.js';
import type { FleetIndex } from '../../../shared/signals/fleetIndex.js';
import { GPU_NODE, SUB, alertIdOf, dcgmXidAlert, kubeNodeNotReady, prometheusAlert, withField } from './alertBodies.js';

const PROM_ALERT = alertIdOf('00000000-0000-4000-8000-000000000b0b');
const NODE_RULE = 'Prometheus/KubernetesAlert-RecommendedMetricAlertsaks-gpu-eus2-Node-level';
const CLUSTER_ID = `/subscriptions/${SUB}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/aks-gpu-eus2`;

function only(signals: Signal[]): Signal {
  expect(signals).toHaveLength(1);
  return signals[0] as Signal;
}

describe('Prometheus node readiness alerts → nodeNotReady', () => {
  it('KubeNodeNotReady Fired → active', () => {
    expect(parseAlertBody(kubeNodeNotReady())).toEqual([
      {
        kind: 'nodeNotReady',
        id: `${PROM_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T12:15:00.000Z',
        cluster: 'aks-gpu-eus2',
        node: GPU_NODE,
        stage: 'active',
      },
    ]);
  });

  it('KubeNodeNotReady Resolved → resolved, keyed on Resolved, observed at resolvedDateTime', () => {
    expect(parseAlertBody(kubeNodeNotReady({ monitorCondition: 'Resolved' }))).toEqual([
      {
        kind: 'nodeNotReady',
        id: `${PROM_ALERT}:Resolved`,
        source: 'commonAlert',
        observedAt: '2025-06-02T12:40:00.000Z',
        cluster: 'aks-gpu-eus2',
        node: GPU_NODE,
        stage: 'resolved',
      },
    ]);
  });

  it('a Resolved without resolvedDateTime falls back to firedDateTime', () => {
    const body = withField(kubeNodeNotReady({ monitorCondition: 'Resolved' }), 'data.essentials.resolvedDateTime', undefined);
    expect(only(parseAlertBody(body))).toMatchObject({ stage: 'resolved', observedAt: '2025-06-02T12:15:00.000Z' });
  });

  it('KubeNodeUnreachable → nodeNotReady, both stages', () => {
    expect(only(parseAlertBody(kubeNodeNotReady({ alertName: 'KubeNodeUnreachable' })))).toMatchObject({
      kind: 'nodeNotReady',
      node: GPU_NODE,
      stage: 'active',
    });
    expect(only(parseAlertBody(kubeNodeNotReady({ alertName: 'KubeNodeUnreachable', monitorCondition: 'Resolved' })))).toMatchObject({
      kind: 'nodeNotReady',
      stage: 'resolved',
    });
  });

  it('KubeNodeReadinessFlapping Fired → nodeNotReady active; its Resolved → ignored (stopping flapping is not Ready)', () => {
    expect(only(parseAlertBody(kubeNodeNotReady({ alertName: 'KubeNodeReadinessFlapping' })))).toEqual({
      kind: 'nodeNotReady',
      id: `${PROM_ALERT}:Fired`,
      source: 'commonAlert',
      observedAt: '2025-06-02T12:15:00.000Z',
      cluster: 'aks-gpu-eus2',
      node: GPU_NODE,
      stage: 'active',
    });
    expect(only(parseAlertBody(kubeNodeNotReady({ alertName: 'KubeNodeReadinessFlapping', monitorCondition: 'Resolved' })))).toEqual({
      kind: 'ignored',
      id: `${PROM_ALERT}:Resolved`,
      source: 'commonAlert',
      observedAt: '2025-06-02T12:40:00.000Z',
      reason: 'Prometheus alert KubeNodeReadinessFlapping resolved: the node stopped flapping, which does not say it is Ready',
      eventType: `${NODE_RULE}/KubeNodeReadinessFlapping`,
    });
  });

  it('no node label → ignored with the reason, never a throw', () => {
    const body = prometheusAlert({ labels: { alertname: 'KubeNodeNotReady', cluster: 'aks-gpu-eus2', job: 'kube-state-metrics' } });
    expect(parseAlertBody(body)).toEqual([
      {
        kind: 'ignored',
        id: `${PROM_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T12:15:00.000Z',
        reason: 'Prometheus alert KubeNodeNotReady has no node label',
        eventType: `${NODE_RULE}/KubeNodeNotReady`,
      },
    ]);
  });

  it('no alertname label → the alert name is the last segment of alertRule', () => {
    const body = prometheusAlert({ labels: { cluster: 'aks-gpu-eus2', node: 'aks-sys-1-vmss000000' } });
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'nodeNotReady', node: 'aks-sys-1-vmss000000' });
  });

  it('no cluster label → the cluster is essentials.configurationItems[0]', () => {
    const body = prometheusAlert({ labels: { alertname: 'KubeNodeNotReady', node: GPU_NODE }, configurationItems: ['aks-gpu-swc'] });
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'nodeNotReady', cluster: 'aks-gpu-swc', node: GPU_NODE });
  });

  it('no cluster anywhere → a nodeNotReady without cluster', () => {
    const body = prometheusAlert({ labels: { alertname: 'KubeNodeNotReady', node: GPU_NODE }, configurationItems: [] });
    const s = only(parseAlertBody(body));
    expect(s).toMatchObject({ kind: 'nodeNotReady', node: GPU_NODE });
    expect(s).not.toHaveProperty('cluster');
    expect(s).not.toHaveProperty('clusterId');
  });

  it('a managed-cluster ARM id as the cluster label → clusterId, and cluster is its name', () => {
    const body = prometheusAlert({ labels: { alertname: 'KubeNodeNotReady', cluster: CLUSTER_ID, node: GPU_NODE } });
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'nodeNotReady', cluster: 'aks-gpu-eus2', clusterId: CLUSTER_ID });
  });

  it('with a fleet index the cluster name maps to the fleet cluster id (only when exactly one cluster has that name)', () => {
    const fleet: FleetIndex = { clusters: [{ id: CLUSTER_ID, name: 'AKS-GPU-EUS2', region: 'eastus2' }] };
    expect(only(parseAlertBody(kubeNodeNotReady(), { fleet }))).toMatchObject({ cluster: 'aks-gpu-eus2', clusterId: CLUSTER_ID });
    expect(only(parseAlertBody(dcgmXidAlert(), { fleet }))).toMatchObject({ kind: 'gpuFault', clusterId: CLUSTER_ID });
    const twice: FleetIndex = {
      clusters: [...fleet.clusters, { id: CLUSTER_ID.replace('aks-rg', 'other-rg'), name: 'aks-gpu-eus2', region: 'westus3' }],
    };
    expect(only(parseAlertBody(kubeNodeNotReady(), { fleet: twice }))).not.toHaveProperty('clusterId');
    expect(only(parseAlertBody(kubeNodeNotReady()))).not.toHaveProperty('clusterId');
  });

  it('labels as JSON text are read like an object', () => {
    const body = prometheusAlert({ labels: JSON.stringify({ alertname: 'KubeNodeNotReady', cluster: 'c1', node: 'n1' }) });
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'nodeNotReady', cluster: 'c1', node: 'n1' });
  });
});

describe('DCGM XID alerts → gpuFault', () => {
  it('XID 79 (GPU has fallen off the bus): node from the relabeled node label, not the exporter pod Hostname', () => {
    expect(parseAlertBody(dcgmXidAlert({ errCode: '79', errMsg: 'GPU has fallen off the bus' }))).toEqual([
      {
        kind: 'gpuFault',
        id: `${PROM_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T13:01:00.000Z',
        cluster: 'aks-gpu-eus2',
        node: GPU_NODE,
        xid: 79,
        stage: 'active',
      },
    ]);
  });

  it('XID 48 (double-bit ECC error), Fired then Resolved: ids differ, stage follows monitorCondition', () => {
    const fired = only(parseAlertBody(dcgmXidAlert({ errCode: '48' })));
    const resolved = only(parseAlertBody(dcgmXidAlert({ errCode: '48', monitorCondition: 'Resolved' })));
    expect(fired).toMatchObject({ kind: 'gpuFault', xid: 48, stage: 'active', id: `${PROM_ALERT}:Fired` });
    expect(resolved).toEqual({
      kind: 'gpuFault',
      id: `${PROM_ALERT}:Resolved`,
      source: 'commonAlert',
      observedAt: '2025-06-02T13:31:00.000Z',
      cluster: 'aks-gpu-eus2',
      node: GPU_NODE,
      xid: 48,
      stage: 'resolved',
    });
  });

  it('a node label wins over a Hostname that looks like a node too', () => {
    const s = only(parseAlertBody(dcgmXidAlert({ hostname: 'gpu-vm-hostname-7' })));
    expect(s).toMatchObject({ kind: 'gpuFault', node: GPU_NODE });
  });

  it('the err_code label is the XID even when the expression is aggregated (its value is then not read)', () => {
    const body = dcgmXidAlert({ errCode: '48', expression: 'max by (node, err_code) (DCGM_FI_DEV_XID_ERRORS) > 0', expressionValue: '1' });
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'gpuFault', xid: 48 });
  });

  it('no node label: Hostname when it is a node name (exporter run with NODE_NAME)', () => {
    const s = only(parseAlertBody(dcgmXidAlert({ node: null, hostname: 'aks-gpunp-12345678-vmss00000a' })));
    expect(s).toMatchObject({ kind: 'gpuFault', node: 'aks-gpunp-12345678-vmss00000a', xid: 79 });
  });

  it('no node label, Hostname is the exporter pod: instance when it is a host name (port cut)', () => {
    const s = only(parseAlertBody(dcgmXidAlert({ node: null, instance: 'aks-gpunp-12345678-vmss000004:9400' })));
    expect(s).toMatchObject({ kind: 'gpuFault', node: 'aks-gpunp-12345678-vmss000004' });
  });

  it('no usable node (exporter pod Hostname, pod IP instance) → ignored naming what was rejected', () => {
    expect(parseAlertBody(dcgmXidAlert({ node: null }))).toEqual([
      {
        kind: 'ignored',
        id: `${PROM_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T13:01:00.000Z',
        reason:
          'Prometheus GPU alert GpuXidError names no node (not a node: Hostname=nvidia-dcgm-exporter-7xk2p, instance=10.244.3.17:9400)',
        eventType: 'Prometheus/gpu-health-aks-gpu-eus2/GpuXidError',
      },
    ]);
  });

  it('no err_code label: the XID is the value of the bare XID gauge', () => {
    const s = only(parseAlertBody(dcgmXidAlert({ errCode: '', expressionValue: '94' })));
    expect(s).toMatchObject({ kind: 'gpuFault', xid: 94 });
  });

  it('no err_code label and an aggregated expression: its value is a count, not an XID', () => {
    const body = dcgmXidAlert({ errCode: '', expression: 'count by (Hostname) (DCGM_FI_DEV_XID_ERRORS > 0) > 0', expressionValue: '2' });
    const s = only(parseAlertBody(body));
    expect(s).toMatchObject({ kind: 'gpuFault', node: GPU_NODE });
    expect(s).not.toHaveProperty('xid');
  });

  it('an XID of 0 or not a number is no XID', () => {
    for (const errCode of ['0', 'n/a', '-3', '7.5']) {
      const s = only(parseAlertBody(dcgmXidAlert({ errCode, expressionValue: '0' })));
      expect(s.kind, errCode).toBe('gpuFault');
      expect(s, errCode).not.toHaveProperty('xid');
    }
  });

  it('recognised by the expression when the alert name says nothing of XIDs', () => {
    const s = only(parseAlertBody(dcgmXidAlert({ alertName: 'GpuHardwareError', errCode: '79' })));
    expect(s).toMatchObject({ kind: 'gpuFault', xid: 79 });
  });

  it('recognised by the name (any case) with another expression; the xid label of DCGM_EXP_XID_ERRORS_COUNT', () => {
    const body = prometheusAlert({
      alertName: 'NodeGPU_XID_Errors',
      labels: { alertname: 'NodeGPU_XID_Errors', cluster: 'aks-gpu-eus2', kubernetes_node: GPU_NODE, xid: '31' },
      expression: 'increase(DCGM_EXP_XID_ERRORS_COUNT[5m]) > 0',
      expressionValue: '1',
    });
    expect(only(parseAlertBody(body))).toMatchObject({ kind: 'gpuFault', node: GPU_NODE, xid: 31 });
  });
});

describe('other Prometheus alerts', () => {
  it('→ ignored: "Prometheus alert X is not handled"', () => {
    const body = prometheusAlert({ alertName: 'KubePodCrashLooping', extraLabels: { node: GPU_NODE, namespace: 'ray' } });
    expect(parseAlertBody(body)).toEqual([
      {
        kind: 'ignored',
        id: `${PROM_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T12:15:00.000Z',
        reason: 'Prometheus alert KubePodCrashLooping is not handled',
        eventType: `${NODE_RULE}/KubePodCrashLooping`,
      },
    ]);
  });

  it('a Prometheus alert without alertContext → ignored, named after alertRule', () => {
    const body = withField(kubeNodeNotReady(), 'data.alertContext', undefined);
    expect(parseAlertBody(body)).toMatchObject([{ kind: 'ignored', reason: 'Prometheus alert KubeNodeNotReady has no node label' }]);
  });
});
