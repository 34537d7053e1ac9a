/** The fleet file's `ray` block: a direct endpoint, or the AKS API server's service proxy to the RayCluster head. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config/problems.js';
import { parseFleetFile } from '../../../shared/fleet/fleetFile.js';
import { parseRayServiceProxyEndpoint, rayServiceProxyEndpoint } from '../../../shared/fleet/types.js';

const ID_A = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a';
const ID_B = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-b';

function fleet(...rays: string[]): string {
  const clusters = rays.map((ray, i) => `      - id: ${i === 0 ? ID_A : ID_B}\n        gpus: 8\n${ray ? `        ray: ${ray}\n` : ''}`).join('');
  return `regions:\n  eastus2:\n    clusters:\n${clusters}`;
}

function problemsOf(text: string): readonly string[] {
  try {
    parseFleetFile(text, 'fleet.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('fleet file: ray', () => {
  it('keeps a declared endpoint as a base URL without its trailing slash', () => {
    const [a] = parseFleetFile(fleet('{ endpoint: "https://ray.example.internal/" }')).clusters;
    expect(a!.rayEndpoint).toBe('https://ray.example.internal');
  });

  it('without an endpoint, points at the head Service through the API server proxy, defaults namespace ray and cluster ray', () => {
    const [a, b] = parseFleetFile(fleet('', '{ namespace: ml-prod, cluster: rc-llama }')).clusters;
    expect(a!.rayEndpoint).toBe(`aks-service-proxy:${ID_A}/namespaces/ray/services/ray-head-svc:8265`);
    expect(parseRayServiceProxyEndpoint(a!.rayEndpoint)).toEqual({ clusterId: ID_A, namespace: 'ray', service: 'ray-head-svc', port: 8265 });
    expect(parseRayServiceProxyEndpoint(b!.rayEndpoint)).toEqual({ clusterId: ID_B, namespace: 'ml-prod', service: 'rc-llama-head-svc', port: 8265 });
  });

  it('an empty ray block is the service proxy with the defaults', () => {
    const [a] = parseFleetFile(fleet('{}')).clusters;
    expect(parseRayServiceProxyEndpoint(a!.rayEndpoint)?.service).toBe('ray-head-svc');
  });

  it('reports every ray problem at once, each with its field', () => {
    const problems = problemsOf(fleet(
      '{ endpoint: "https://ray.example.internal", namespace: ray, cluster: rc }',
      '{ namespace: "Not_A_Namespace", cluster: "9starts-with-digit", port: 1 }',
    ));
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^regions\.eastus2\.clusters\.0\.ray\.namespace: only used without ray\.endpoint/),
      expect.stringMatching(/^regions\.eastus2\.clusters\.0\.ray\.cluster: only used without ray\.endpoint/),
      expect.stringMatching(/^regions\.eastus2\.clusters\.1\.ray\.namespace: a Kubernetes namespace name/),
      expect.stringMatching(/^regions\.eastus2\.clusters\.1\.ray\.cluster: a RayCluster name/),
      expect.stringMatching(/^regions\.eastus2\.clusters\.1\.ray: .*port/i),
    ]));
    expect(problems).toHaveLength(5);
  });

  it('refuses a RayCluster name whose head Service name would be too long, and a non-http endpoint', () => {
    const problems = problemsOf(fleet(`{ cluster: ${'r'.repeat(55)} }`, '{ endpoint: "ftp://ray.example.internal" }'));
    expect(problems).toEqual([
      expect.stringMatching(/^regions\.eastus2\.clusters\.0\.ray\.cluster: at most 54 characters/),
      expect.stringMatching(/^regions\.eastus2\.clusters\.1\.ray\.endpoint: /),
    ]);
  });
});

describe('service-proxy references', () => {
  it('round-trip, and only that form parses', () => {
    const target = { clusterId: ID_A, namespace: 'ray', service: 'rc-head-svc', port: 8265 };
    expect(parseRayServiceProxyEndpoint(rayServiceProxyEndpoint(target))).toEqual(target);
    expect(parseRayServiceProxyEndpoint('https://ray.example.internal')).toBeUndefined();
    expect(parseRayServiceProxyEndpoint(`aks-service-proxy:${ID_A}/namespaces/ray/services/rc-head-svc`)).toBeUndefined();
    expect(parseRayServiceProxyEndpoint(`aks-service-proxy:/subscriptions/s/namespaces/ray/services/rc-head-svc:8265`)).toBeUndefined();
  });
});
