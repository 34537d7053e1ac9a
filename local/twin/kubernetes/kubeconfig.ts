/**
 * The kubeconfig AKS returns from `listClusterUserCredential?format=exec` for a cluster with AKS-managed Entra
 * ID: the cluster's server and CA, and a user whose credentials come from the `kubelogin` exec plugin asking for
 * a token for the AKS server application (as `az aks get-credentials` writes it; the kubelogin public client
 * `80faf920-1908-4b52-b5ef-a8e7bedfc67a`, device-code login).
 */
import { stringify } from 'yaml';
import { AKS_SERVER_APP_ID } from './bearer.js';

export const KUBELOGIN_CLIENT_ID = '80faf920-1908-4b52-b5ef-a8e7bedfc67a';

export interface KubeconfigInput {
  readonly cluster: string;
  readonly resourceGroup: string;
  readonly server: string;
  readonly caPem: string;
  readonly tenantId: string;
}

export function execKubeconfig(input: KubeconfigInput): string {
  const user = `clusterUser_${input.resourceGroup}_${input.cluster}`;
  return stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(input.caPem, 'utf8').toString('base64'), server: input.server }, name: input.cluster }],
    contexts: [{ context: { cluster: input.cluster, user }, name: input.cluster }],
    'current-context': input.cluster,
    kind: 'Config',
    preferences: {},
    users: [{
      name: user,
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          args: ['get-token', '--environment', 'AzurePublicCloud', '--server-id', AKS_SERVER_APP_ID, '--client-id', KUBELOGIN_CLIENT_ID, '--tenant-id', input.tenantId, '--login', 'devicecode'],
          command: 'kubelogin',
          env: null,
          installHint: '\nkubelogin is not installed which is required to connect to AAD enabled cluster.\n\nTo learn more, please go to https://aka.ms/aks/kubelogin\n',
          provideClusterInfo: false,
        },
      },
    }],
  });
}
