/**
 * Where an AKS cluster's API server is and which CA signs its certificate, from ARM:
 * `managedClusters.listClusterUserCredentials(rg, name, { format: 'exec' })` (`@azure/arm-containerservice` 25.x),
 * which needs only the "Azure Kubernetes Service Cluster User Role" (research/control-plane.md §4.6).
 *
 * Of the kubeconfig only `clusters[0].cluster.server` and `certificate-authority-data` are used: the user entry (an
 * exec plugin calling kubelogin) is ignored, the token comes from our own credential. Nothing is written to disk and
 * the kubeconfig text never appears in an error.
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { parse as parseYaml } from 'yaml';
import { addRequestTimeout, sdkClientOptions, type ArmAdapterOptions } from '../arm/armClientOptions.js';
import { classifyArmError } from '../arm/armErrors.js';
import { parseClusterId } from '../arm/armNodePools.js';
import { KubernetesApiError } from './kubeErrors.js';

export interface AksEndpoint {
  /** `https://<fqdn>:443` (or the twin's loopback address with its path prefix). */
  readonly server: string;
  /** The cluster CA, PEM. */
  readonly caPem: string;
}

export interface AksEndpointSource {
  read(clusterId: string): Promise<AksEndpoint>;
}

/** SDK retries for this read: it is small and idempotent, and a cold start may meet a throttled ARM. */
const DEFAULT_MAX_RETRIES = 2;

export class ArmAksEndpoints implements AksEndpointSource {
  private readonly clients = new Map<string, ContainerServiceClient>();

  constructor(private readonly options: ArmAdapterOptions) {}

  async read(clusterId: string): Promise<AksEndpoint> {
    const parsed = parseClusterId(clusterId);
    if (!parsed) throw new KubernetesApiError(`not a managed cluster id: ${clusterId}`, { status: 0, retryable: false, origin: 'arm' });
    let value: Uint8Array | undefined;
    try {
      const result = await this.client(parsed.subscriptionId).managedClusters.listClusterUserCredentials(parsed.resourceGroup, parsed.cluster, { format: 'exec' });
      value = result.kubeconfigs?.[0]?.value;
    } catch (e) {
      const failure = classifyArmError(e);
      throw new KubernetesApiError(`listClusterUserCredential of ${parsed.cluster}: ${failure.code}: ${failure.message}`, {
        status: failure.statusCode ?? 0,
        retryable: failure.class === 'throttled' || failure.class === 'transient',
        origin: 'arm',
        ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
        cause: e,
      });
    }
    if (!value?.length) throw new KubernetesApiError(`listClusterUserCredential of ${parsed.cluster} returned no kubeconfig`, { status: 0, retryable: false, origin: 'arm' });
    return endpointFromKubeconfig(Buffer.from(value).toString('utf8'), parsed.cluster);
  }

  private client(subscriptionId: string): ContainerServiceClient {
    const key = subscriptionId.toLowerCase();
    let client = this.clients.get(key);
    if (!client) {
      client = new ContainerServiceClient(this.options.credential, subscriptionId, sdkClientOptions(this.options, DEFAULT_MAX_RETRIES));
      addRequestTimeout(client.pipeline, this.options.requestTimeoutMs);
      this.clients.set(key, client);
    }
    return client;
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Server and CA of the first cluster entry; refuses anything that is not https with a PEM CA. */
export function endpointFromKubeconfig(text: string, clusterName: string): AksEndpoint {
  const bad = (what: string) => new KubernetesApiError(`kubeconfig of ${clusterName}: ${what}`, { status: 0, retryable: false, origin: 'arm' });
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    throw bad('not YAML');
  }
  const clusters = (doc as { clusters?: unknown } | null)?.clusters;
  const cluster = Array.isArray(clusters) ? (clusters[0] as { cluster?: Record<string, unknown> } | undefined)?.cluster : undefined;
  const server = cluster?.['server'];
  const caData = cluster?.['certificate-authority-data'];
  if (typeof server !== 'string') throw bad('no clusters[0].cluster.server');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw bad('clusters[0].cluster.server is not a URL');
  }
  // The bearer token goes to this address: only ever over TLS verified against the cluster's CA.
  if (url.protocol !== 'https:') throw bad('clusters[0].cluster.server is not https');
  if (typeof caData !== 'string') throw bad('no clusters[0].cluster.certificate-authority-data');
  const caPem = Buffer.from(caData, 'base64').toString('utf8');
  if (!PEM_CERTIFICATE.test(caPem)) throw bad('certificate-authority-data is not a base64 PEM certificate');
  return { server: server.replace(/\/+$/, ''), caPem };
}
