import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config/problems.js';
import { loadSettings } from '../../../shared/config/settings.js';
import { parseFleetFile } from '../../../shared/fleet/fleetFile.js';

const sample = JSON.parse(readFileSync(new URL('../../../local.settings.sample.json', import.meta.url), 'utf8')).Values as Record<string, string>;

describe('settings', () => {
  it('the sample settings load, identity-based', () => {
    const s = loadSettings(sample);
    expect(s.serviceBus).toMatchObject({ fullyQualifiedNamespace: 'sb-fleet-autopilot.servicebus.windows.net', credential: 'managedidentity', emulator: false });
    expect(s.storage.tableServiceUri).toBe('https://stfleetautopilot.table.core.windows.net');
  });

  it('reports every problem at once, each naming its setting', () => {
    let error: unknown;
    try {
      loadSettings({ AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountKey=abc', ServiceBusConnection__fullyQualifiedNamespace: 'sb.example.net', ServiceBusConnection__emulator: 'true', AUTOPILOT_RAY_TIMEOUT_MS: 'soon' });
    } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(problems).toEqual(expect.arrayContaining(['AzureWebJobsStorage', 'AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__tableServiceUri',
      'ServiceBusConnection__emulator', 'AUTOPILOT_FLEET_FILE', 'AUTOPILOT_RAY_TIMEOUT_MS']));
  });
});

describe('Azure Monitor settings', () => {
  const base = { ServiceBusConnection__fullyQualifiedNamespace: 'sb.servicebus.windows.net', AzureWebJobsStorage__accountName: 'st', AUTOPILOT_FLEET_FILE: 'fleet.yaml' };
  const problemsOf = (env: Record<string, string>): string[] => {
    try { loadSettings({ ...base, ...env }); } catch (e) { return (e as ConfigError).problems as string[]; }
    return [];
  };

  it('the sample points at Azure Monitor with a workspace and the app identity', () => {
    expect(loadSettings(sample).monitor).toEqual({
      workspaceId: '00000000-0000-0000-0000-000000000000', logsEndpoint: 'https://api.loganalytics.io',
      metricsEndpointTemplate: 'https://{region}.metrics.monitor.azure.com', timeoutMs: 10_000,
      credential: 'managedidentity', clientId: '00000000-0000-0000-0000-000000000000',
    });
  });

  it('everything is optional: without a workspace or a metrics endpoint, confirmation is off (nothing is asked anywhere)', () => {
    expect(loadSettings(base).monitor).toEqual({ timeoutMs: 10_000 });
  });

  it('accepts the local twin on loopback', () => {
    expect(loadSettings({ ...base, AUTOPILOT_LOG_ANALYTICS_ENDPOINT: 'https://127.0.0.1:4711/', AUTOPILOT_METRICS_ENDPOINT: 'https://127.0.0.1:4711/{region}' }).monitor)
      .toMatchObject({ logsEndpoint: 'https://127.0.0.1:4711', metricsEndpointTemplate: 'https://127.0.0.1:4711/{region}' });
  });

  it('reports every Monitor problem at once; tokens go only to Azure Monitor or loopback', () => {
    const problems = problemsOf({
      AUTOPILOT_LOG_ANALYTICS_WORKSPACE_ID: 'my-workspace',
      AUTOPILOT_LOG_ANALYTICS_ENDPOINT: 'https://logs.example.net',
      AUTOPILOT_METRICS_ENDPOINT: 'https://eastus2.metrics.monitor.azure.com',
      AUTOPILOT_MONITOR_TIMEOUT_MS: '50',
      AUTOPILOT_MONITOR__credential: 'password',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'AUTOPILOT_MONITOR__credential', 'AUTOPILOT_LOG_ANALYTICS_WORKSPACE_ID', 'AUTOPILOT_LOG_ANALYTICS_ENDPOINT', 'AUTOPILOT_METRICS_ENDPOINT', 'AUTOPILOT_MONITOR_TIMEOUT_MS',
    ]);
    expect(problemsOf({ AUTOPILOT_LOG_ANALYTICS_ENDPOINT: 'https://api.loganalytics.io/v1' })).toEqual([expect.stringContaining('without /v1')]);
    expect(problemsOf({ AUTOPILOT_METRICS_ENDPOINT: 'http://127.0.0.1:4711/{region}' })).toHaveLength(1);
  });
});

describe('fleet file', () => {
  it('reports every problem with its path', () => {
    const yaml = `regions:\n  East US:\n    clusters: []\n  westus3:\n    clusters:\n      - id: not-an-arm-id\n        gpus: -1\n        ray: { endpoint: ftp://x }\npolicy:\n  holdDown: 3\n`;
    let error: unknown;
    try { parseFleetFile(yaml, 'fleet.yaml'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    for (const path of ['regions.East US', 'regions.westus3.clusters.0.id', 'regions.westus3.clusters.0.gpus', 'regions.westus3.clusters.0.ray.endpoint', 'policy']) {
      expect(text).toContain(path);
    }
  });

  it('parses clusters and policy', () => {
    const fleet = parseFleetFile(`regions:\n  eastus2:\n    clusters:\n      - id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a\n        gpus: 8\n        ray: { endpoint: "https://ray.example.internal/" }\npolicy: { recoveryHoldDownSeconds: 60 }\n`);
    expect(fleet.clusters).toEqual([{ id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a', name: 'aks-a', region: 'eastus2', gpus: 8, pools: [], rayEndpoint: 'https://ray.example.internal' }]);
    expect(fleet.policy.recoveryHoldDownMs).toBe(60_000);
  });

  it('parses managed pools against the VM size catalogue, including sizes the file adds', () => {
    const fleet = parseFleetFile(`regions:\n  eastus2:\n    clusters:\n      - id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a\n        pools:\n          - { name: gpu, vmSize: standard_nc24ads_a100_v4, minCount: 1, maxCount: 4 }\n          - { name: h200, vmSize: Standard_ND96isr_H200_v9, minCount: 0, maxCount: 2, spot: true }\n        ray: { endpoint: "https://ray.example.internal/" }\nvmSizes:\n  Standard_ND96isr_H200_v9: { vcpus: 96, gpus: 8, gpuType: H200, family: standardNDISRH200V9Family }\n`);
    expect(fleet.clusters[0]!.pools).toEqual([
      { name: 'gpu', vmSize: 'Standard_NC24ads_A100_v4', minCount: 1, maxCount: 4, spot: false, autoscale: false },
      { name: 'h200', vmSize: 'Standard_ND96isr_H200_v9', minCount: 0, maxCount: 2, spot: true, autoscale: false },
    ]);
    expect(fleet.catalogue.get('standard_nd96isr_h200_v9')?.gpus).toBe(8);
  });

  it('names a pool whose VM size is unknown, and a cluster with neither pools nor gpus', () => {
    let error: unknown;
    try {
      parseFleetFile(`regions:\n  eastus2:\n    clusters:\n      - id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a\n        pools:\n          - { name: gpu, vmSize: Standard_Imaginary_v1, minCount: 3, maxCount: 1 }\n        ray: { endpoint: "https://ray.example.internal/" }\n      - id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-b\n        ray: { endpoint: "https://ray.example.internal/" }\n`);
    } catch (e) { error = e; }
    const text = (error as ConfigError).message;
    expect(text).toContain('regions.eastus2.clusters.0.pools.0.maxCount');
    expect(text).toContain('regions.eastus2.clusters.0.pools.0.vmSize: Standard_Imaginary_v1 is not in the VM size catalogue');
    expect(text).toContain('regions.eastus2.clusters.1.pools');
  });
});
