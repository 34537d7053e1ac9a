/**
 * The only place a `ServiceBusClient` is built. In Azure it authenticates with the managed identity
 * (no keys, no connection strings). Locally it talks to the twin's AMQP face through the SDK's
 * development-emulator mode, which is allowed for loopback only.
 */
import type { TokenCredential } from '@azure/core-auth';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';

export interface ServiceBusClientSettings {
  /** `sb-fleet.servicebus.windows.net` in Azure; `127.0.0.1:PORT` for the local twin. */
  fullyQualifiedNamespace: string;
  credential: TokenCredential;
  /** Setting `ServiceBusConnection__emulator`: talk plain AMQP to a local emulator (loopback only). */
  emulator?: boolean;
  options?: ServiceBusClientOptions;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Host part of `host`, `host:port`, `[v6]:port` or `sb://host:port/`. */
function hostOf(namespace: string): string {
  const hostPort = namespace.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '');
  if (hostPort.startsWith('[')) return hostPort.slice(0, hostPort.indexOf(']') + 1);
  return hostPort.split(':')[0]!.toLowerCase();
}

export function createServiceBusClient(settings: ServiceBusClientSettings): ServiceBusClient {
  const fqns = settings.fullyQualifiedNamespace.trim();
  if (/sharedaccesskey|endpoint=/i.test(fqns)) {
    throw new Error('ServiceBusConnection__fullyQualifiedNamespace: expected a namespace host name, not a connection string (identity only)');
  }
  if (!settings.emulator) return new ServiceBusClient(fqns, settings.credential, settings.options);

  const host = hostOf(fqns);
  if (!LOOPBACK.has(host)) {
    throw new Error(`ServiceBusConnection__emulator: only allowed for a loopback namespace (127.0.0.1, localhost, [::1]), not "${host}"`);
  }
  const hostPort = fqns.replace(/^sb:\/\//i, '').replace(/\/.*$/, '');
  // The well-known development-emulator convention: the SDK then uses plain TCP, SASL ANONYMOUS and the
  // port from the endpoint. The key is a placeholder the emulator ignores — not a secret.
  const connectionString = `Endpoint=sb://${hostPort};SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true`;
  return new ServiceBusClient(connectionString, settings.options);
}
