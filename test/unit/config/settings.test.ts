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
    expect(fleet.clusters).toEqual([{ id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a', name: 'aks-a', region: 'eastus2', gpus: 8, rayEndpoint: 'https://ray.example.internal' }]);
    expect(fleet.policy.recoveryHoldDownMs).toBe(60_000);
  });
});
