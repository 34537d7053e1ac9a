/**
 * The one place that creates an Azure credential in production: the app's managed identity (a
 * user-assigned one when a client id is set) or DefaultAzureCredential. Local runs and tests inject
 * their own credential instead and never reach this (DefaultAzureCredential probes the instance
 * metadata address).
 */
import type { TokenCredential } from '@azure/core-auth';
import type { IdentitySettings } from '../config/settings.js';

export async function createAzureCredential(identity: IdentitySettings): Promise<TokenCredential> {
  const { DefaultAzureCredential, ManagedIdentityCredential } = await import('@azure/identity');
  if (identity.credential === 'managedidentity') {
    return identity.clientId ? new ManagedIdentityCredential({ clientId: identity.clientId }) : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential(identity.clientId ? { managedIdentityClientId: identity.clientId } : {});
}
