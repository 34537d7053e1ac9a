/** AKS connections: endpoint cache and re-reads, token refresh ahead of expiry and after a 401; the kubeconfig parse. */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import { endpointFromKubeconfig, type AksEndpoint, type AksEndpointSource } from '../../../shared/adapters/kubernetes/aksCredentials.js';
import { AKS_SERVER_SCOPE, AksConnections } from '../../../shared/adapters/kubernetes/aksConnections.js';

const CLUSTER = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-a';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

/** Hands out token-1, token-2, … with the lifetime and refreshAfter the test sets; records every request. */
class ScriptedCredential implements TokenCredential {
  readonly requests: Array<{ scopes: string | string[]; options: GetTokenOptions | undefined }> = [];
  lifetimeMs = 60 * 60_000;
  refreshAfterMs: number | undefined;
  constructor(private readonly now: () => number) {}
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.requests.push({ scopes, options });
    const t = this.now();
    return {
      token: `token-${this.requests.length}`, tokenType: 'Bearer', expiresOnTimestamp: t + this.lifetimeMs,
      ...(this.refreshAfterMs !== undefined ? { refreshAfterTimestamp: t + this.refreshAfterMs } : {}),
    };
  }
}

class CountingEndpoints implements AksEndpointSource {
  reads = 0;
  servers = ['https://aks-a.hcp.eastus2.azmk8s.io:443', 'https://aks-a-2.hcp.eastus2.azmk8s.io:443'];
  failNext: Error | undefined;
  async read(): Promise<AksEndpoint> {
    this.reads++;
    if (this.failNext) { const e = this.failNext; this.failNext = undefined; throw e; }
    return { server: this.servers[Math.min(this.reads - 1, this.servers.length - 1)]!, caPem: PEM };
  }
}

function setUp(options: { rereadAfterMs?: number } = {}) {
  let now = 1_000_000;
  const clock = { advance: (ms: number) => { now += ms; } };
  const credential = new ScriptedCredential(() => now);
  const endpoints = new CountingEndpoints();
  const connections = new AksConnections({ credential, endpoints, now: () => now, ...options });
  return { clock, credential, endpoints, connections };
}

describe('AksConnections tokens', () => {
  it('asks for the AKS server application scope, once for many clusters and concurrent callers', async () => {
    const { credential, connections } = setUp();
    const [a, b] = await Promise.all([connections.connect(CLUSTER), connections.connect(CLUSTER.replace('aks-a', 'aks-b'))]);
    expect(a.token).toBe('token-1');
    expect(b.token).toBe('token-1');
    expect(credential.requests).toHaveLength(1);
    expect(credential.requests[0]!.scopes).toBe(AKS_SERVER_SCOPE);
    expect(AKS_SERVER_SCOPE).toBe('6dae42f8-4368-4678-94ff-3960e28e3630/.default');
    expect(credential.requests[0]!.options?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it('refreshes 5 minutes before expiry', async () => {
    const { clock, credential, connections } = setUp();
    await connections.connect(CLUSTER);
    clock.advance(54 * 60_000);
    expect((await connections.connect(CLUSTER)).token).toBe('token-1');
    clock.advance(60_001);
    expect((await connections.connect(CLUSTER)).token).toBe('token-2');
    expect(credential.requests).toHaveLength(2);
  });

  it('honours refreshAfterTimestamp, and refreshes a short-lived token at half its life', async () => {
    const { clock, credential, connections } = setUp();
    credential.refreshAfterMs = 10 * 60_000;
    await connections.connect(CLUSTER);
    clock.advance(10 * 60_000);
    expect((await connections.connect(CLUSTER)).token).toBe('token-2');

    credential.refreshAfterMs = undefined;
    credential.lifetimeMs = 4 * 60_000;
    clock.advance(60 * 60_000);
    expect((await connections.connect(CLUSTER)).token).toBe('token-3');
    clock.advance(119_000);
    expect((await connections.connect(CLUSTER)).token).toBe('token-3');
    clock.advance(1_000);
    expect((await connections.connect(CLUSTER)).token).toBe('token-4');
  });

  it('a rejected token is replaced once; rejecting an older token does not throw away the new one', async () => {
    const { credential, connections } = setUp();
    const first = await connections.connect(CLUSTER);
    connections.rejectToken(first.token);
    expect((await connections.connect(CLUSTER)).token).toBe('token-2');
    connections.rejectToken(first.token);
    expect((await connections.connect(CLUSTER)).token).toBe('token-2');
    expect(credential.requests).toHaveLength(2);
  });

  it('a credential failure is a retryable error that never caches', async () => {
    const { connections } = setUp();
    const failing = new AksConnections({
      credential: { getToken: async () => { throw new Error('ManagedIdentityCredential: no managed identity endpoint'); } },
      endpoints: new CountingEndpoints(),
    });
    await expect(failing.connect(CLUSTER)).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('no managed identity endpoint') });
    await expect(connections.connect(CLUSTER)).resolves.toMatchObject({ token: 'token-1' });
  });
});

describe('AksConnections endpoints', () => {
  it('reads a cluster once; after forgetEndpoint reads it again, at most once per rereadAfterMs', async () => {
    const { clock, endpoints, connections } = setUp({ rereadAfterMs: 30_000 });
    const first = await connections.connect(CLUSTER);
    await connections.connect(CLUSTER.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions'));
    expect(endpoints.reads).toBe(1);
    clock.advance(31_000);
    connections.forgetEndpoint(CLUSTER, first.server);
    const second = await connections.connect(CLUSTER);
    expect(endpoints.reads).toBe(2);
    expect(second.server).toBe('https://aks-a-2.hcp.eastus2.azmk8s.io:443');
    connections.forgetEndpoint(CLUSTER, second.server);
    await connections.connect(CLUSTER);
    expect(endpoints.reads).toBe(2);
    clock.advance(30_000);
    await connections.connect(CLUSTER);
    expect(endpoints.reads).toBe(3);
  });

  it('forgetting an address the cache no longer holds changes nothing; a failed read is not cached', async () => {
    const { endpoints, connections } = setUp({ rereadAfterMs: 0 });
    endpoints.failNext = Object.assign(new Error('ARM throttled'), { retryable: true });
    await expect(connections.connect(CLUSTER)).rejects.toThrow('ARM throttled');
    await connections.connect(CLUSTER);
    connections.forgetEndpoint(CLUSTER, 'https://somewhere-else:443');
    await connections.connect(CLUSTER);
    expect(endpoints.reads).toBe(2);
  });
});

describe('endpointFromKubeconfig', () => {
  const kubeconfig = (cluster: Record<string, string>) => [
    'apiVersion: v1', 'kind: Config', 'clusters:', '- name: aks-a', '  cluster:',
    ...Object.entries(cluster).map(([k, v]) => `    ${k}: ${v}`),
    'users:', '- name: clusterUser_rg_aks-a', '  user:', '    exec:', '      command: kubelogin', '      args: [get-token, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]',
  ].join('\n');

  it('takes only the server and the CA of the first cluster', () => {
    const endpoint = endpointFromKubeconfig(kubeconfig({ server: 'https://aks-a.hcp.eastus2.azmk8s.io:443/', 'certificate-authority-data': Buffer.from(PEM).toString('base64') }), 'aks-a');
    expect(endpoint).toEqual({ server: 'https://aks-a.hcp.eastus2.azmk8s.io:443', caPem: PEM });
  });

  it('refuses a plain-http server, a missing or non-PEM CA, and says which', () => {
    const ca = Buffer.from(PEM).toString('base64');
    expect(() => endpointFromKubeconfig(kubeconfig({ server: 'http://aks-a:80', 'certificate-authority-data': ca }), 'aks-a')).toThrow('kubeconfig of aks-a: clusters[0].cluster.server is not https');
    expect(() => endpointFromKubeconfig(kubeconfig({ server: 'https://aks-a:443' }), 'aks-a')).toThrow(/no clusters\[0\]\.cluster\.certificate-authority-data/);
    expect(() => endpointFromKubeconfig(kubeconfig({ server: 'https://aks-a:443', 'certificate-authority-data': Buffer.from('hello').toString('base64') }), 'aks-a')).toThrow(/not a base64 PEM/);
    expect(() => endpointFromKubeconfig('clusters: []', 'aks-a')).toThrow(/no clusters\[0\]\.cluster\.server/);
  });
});
