import { describe, expect, it } from 'vitest';
import { validateClusters } from '../../../../shared/adapters/monitor/askedClusters.js';
import { parseManagedClusterId } from '../../../../shared/adapters/monitor/managedClusterId.js';
import { MAX_RESOURCES_PER_BATCH, PartialMetricsError, metricsBatches, readNodeConditions } from '../../../../shared/adapters/monitor/nodeConditionMetric.js';
import { readNodeReadiness } from '../../../../shared/adapters/monitor/nodeReadinessQuery.js';

const ID = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-fleet-eastus2/providers/Microsoft.ContainerService/managedClusters/aks-eastus2-a';
const COLUMNS = [{ name: 'Cluster', type: 'string' }, { name: 'Computer', type: 'string' }, { name: 'Ready', type: 'bool' }, { name: 'TimeGenerated', type: 'datetime' }];

describe('reading the KubeNodeInventory answer', () => {
  it('reads rows by column name, lower-casing the cluster key', () => {
    const at = new Date('2025-11-20T10:30:00.000Z');
    const readings = readNodeReadiness({ columnDescriptors: [...COLUMNS].reverse(), rows: [[at, false, 'aks-gpu-1', ID.toUpperCase()], [at, true, 'aks-gpu-0', ID]] });
    expect([...readings]).toEqual([[ID.toLowerCase(), [
      { node: 'aks-gpu-1', ready: false, at: '2025-11-20T10:30:00.000Z' },
      { node: 'aks-gpu-0', ready: true, at: '2025-11-20T10:30:00.000Z' },
    ]]]);
  });

  it('refuses a table of another shape rather than guess', () => {
    // The raw inventory as the research fixture logs-query.kubenodeinventory.result.json has it: not our projection.
    const inventory = {
      columnDescriptors: [{ name: 'ClusterName', type: 'string' }, { name: 'Computer', type: 'string' }, { name: 'Status', type: 'string' }, { name: 'LastSeen', type: 'datetime' }],
      rows: [['aks-ray-eastus2', 'aks-gpuh100-12345678-vmss000001', 'NotReady', new Date('2025-11-20T10:30:00.000Z')]],
    };
    expect(() => readNodeReadiness(inventory)).toThrow(/no column Cluster/);
    expect(() => readNodeReadiness({ columnDescriptors: COLUMNS, rows: [[ID, 'n', 'Ready', new Date()]] })).toThrow(/row 0/);
  });
});

const series = (node: string, status: string, points: Array<[string, number | undefined]>) => ({
  metadatavalues: [{ name: 'condition', value: 'Ready' }, { name: 'node', value: node }, { name: 'status', value: status }],
  data: points.map(([t, average]) => ({ timeStamp: new Date(t), ...(average === undefined ? {} : { average }) })),
});

describe('reading kube_node_status_condition', () => {
  it("takes each node's latest non-empty minute; ready only when True is all it says then", () => {
    const readings = readNodeConditions([{
      resourceId: ID,
      metrics: [{
        name: 'kube_node_status_condition', errorCode: 'Success',
        timeseries: [
          series('n-ok', 'True', [['2025-01-01T10:00:00Z', 1], ['2025-01-01T10:01:00Z', 1], ['2025-01-01T10:02:00Z', undefined]]),
          series('n-down', 'True', [['2025-01-01T10:00:00Z', 1]]),
          series('n-down', 'false', [['2025-01-01T10:01:00Z', 1], ['2025-01-01T10:02:00Z', 0]]),
          series('n-flap', 'True', [['2025-01-01T10:02:00Z', 1]]),
          series('n-flap', 'Unknown', [['2025-01-01T10:02:00Z', 0.5]]),
          series('n-back', 'Unknown', [['2025-01-01T10:00:00Z', 1]]),
          series('n-back', 'TRUE', [['2025-01-01T10:02:00Z', 1]]),
          series('n-silent', 'True', [['2025-01-01T10:00:00Z', undefined]]),
        ],
      }],
    }]);
    expect(readings.get(ID.toLowerCase())!.sort((a, b) => a.node.localeCompare(b.node))).toEqual([
      { node: 'n-back', ready: true, at: '2025-01-01T10:02:00.000Z' },
      { node: 'n-down', ready: false, at: '2025-01-01T10:01:00.000Z' },
      { node: 'n-flap', ready: false, at: '2025-01-01T10:02:00.000Z' },
      { node: 'n-ok', ready: true, at: '2025-01-01T10:01:00.000Z' },
    ]);
  });

  it('throws PartialMetricsError when a resource carries an error code', () => {
    expect(() => readNodeConditions([{ resourceId: ID, metrics: [{ name: 'kube_node_status_condition', errorCode: 'Throttled', errorMessage: 'busy', timeseries: [] }] }]))
      .toThrow(PartialMetricsError);
  });

  it('batches by subscription and region, 50 at most', () => {
    const items = Array.from({ length: 51 }, (_, i) => ({ subscriptionId: 'S', region: 'eastus2', i }))
      .concat([{ subscriptionId: 's', region: 'westus3', i: 100 }, { subscriptionId: 'T', region: 'eastus2', i: 101 }]);
    const batches = metricsBatches(items);
    expect(batches.map((b) => b.length)).toEqual([MAX_RESOURCES_PER_BATCH, 1, 1, 1]);
    expect(batches.every((b) => new Set(b.map((x) => `${x.region}|${x.subscriptionId.toLowerCase()}`)).size === 1)).toBe(true);
  });
});

describe('cluster ids we query with', () => {
  it('parses AKS ids and refuses anything with characters a query or URL could misread', () => {
    expect(parseManagedClusterId(ID)).toMatchObject({ subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-fleet-eastus2', name: 'aks-eastus2-a' });
    expect(parseManagedClusterId(ID.replace('rg-fleet-eastus2', 'rg.(prod)_1'))).toBeDefined();
    for (const bad of [`${ID}"`, ID.replace('aks-eastus2-a', 'aks a'), ID.replace('rg-fleet', 'rg\\fleet'), `${ID}/agentPools/gpu`, '/subscriptions/x/clusters/y']) {
      expect(parseManagedClusterId(bad)).toBeUndefined();
    }
  });

  it('validates every cluster, reports all bad ones, and de-duplicates case variants', () => {
    const bad = validateClusters('logs', [{ id: 'nope', region: 'eastus2' }, { id: ID, region: 'East US 2' }]);
    expect(bad).toMatchObject({ ok: false, unavailable: { reason: 'invalidQuery', message: expect.stringMatching(/"nope".*"East US 2"/) } });
    const ok = validateClusters('metrics', [{ id: ID, region: 'eastus2' }, { id: ID.toUpperCase(), region: 'eastus2' }]);
    expect(ok.ok && ok.clusters.map((c) => c.name)).toEqual(['aks-eastus2-a']);
  });
});
