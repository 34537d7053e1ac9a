/**
 * Composition root: builds the adapters from validated settings once per host, lazily (SDKs load on
 * first use, which keeps cold start short). Nothing else constructs SDK clients.
 */
import { readFile } from 'node:fs/promises';
import type { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import type { ServiceBusClient } from '@azure/service-bus';
import type { AzureMonitorTelemetry } from './adapters/monitor/azureMonitorTelemetry.js';
import { loadSettings, type Settings } from './config/settings.js';
import type { Ports } from './executor/ports.js';
import { parseFleetFile } from './fleet/fleetFile.js';
import { parseRayServiceProxyEndpoint } from './fleet/types.js';
import { JOBS_QUEUE } from './jobs/jobSpec.js';
import type { Logger } from './observability/logger.js';
import { systemClock, type Clock } from './ports/clock.js';
import { FleetState } from './state/fleetState.js';

/** What a local host or a test injects instead of Azure's defaults. */
export interface RuntimeOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly credential?: TokenCredential;
  /** TLS agent that trusts the local twin's certificate (never set in Azure). */
  readonly agent?: Agent;
  readonly clock?: Clock;
}

type Core = Omit<Ports, 'log' | 'telemetry'> & { readonly telemetry: AzureMonitorTelemetry; readonly settings: Settings; close(): Promise<void> };

let options: RuntimeOptions = {};
let core: Promise<Core> | undefined;

export function configureRuntime(next: RuntimeOptions): void {
  options = next;
  core = undefined;
}

/** The ports for one invocation, carrying that invocation's logger. */
export async function runtimePorts(log: Logger): Promise<Ports> {
  core ??= build(options).catch((e) => { core = undefined; throw e; });
  const c = await core;
  return { fleet: c.fleet, state: c.state, ray: c.ray, checkpoints: c.checkpoints, queue: c.queue, nodePools: c.nodePools, kube: c.kube, quota: c.quota, telemetry: c.telemetry.withLog(log), clock: c.clock, log };
}

export async function closeRuntime(): Promise<void> {
  const c = core;
  core = undefined;
  if (c) await (await c.catch(() => undefined))?.close();
}

async function build(opts: RuntimeOptions): Promise<Core> {
  const settings = loadSettings(opts.env ?? process.env);
  const fleet = parseFleetFile(await readFile(settings.fleetFile, 'utf8'), settings.fleetFile);
  const [{ createAzureCredential }, { TableEntityStore }, { BlobCheckpointStore }, { createServiceBusClient }, { ServiceBusJobQueue }, { HttpRayJobs }, { ArmNodePools }, { ComputeQuota }, { AksConnections }, { ArmAksEndpoints }, { KubernetesApi }] = await Promise.all([
    import('./adapters/credentials.js'),
    import('./adapters/storage/tableEntityStore.js'),
    import('./adapters/storage/blobCheckpointStore.js'),
    import('./adapters/serviceBus/serviceBusClientFactory.js'),
    import('./adapters/serviceBus/serviceBusJobQueue.js'),
    import('./adapters/ray/httpRayJobs.js'),
    import('./adapters/arm/armNodePools.js'),
    import('./adapters/arm/computeQuota.js'),
    import('./adapters/kubernetes/aksConnections.js'),
    import('./adapters/kubernetes/aksCredentials.js'),
    import('./adapters/kubernetes/kubernetesApi.js'),
  ]);
  const { AzureMonitorTelemetry } = await import('./adapters/monitor/azureMonitorTelemetry.js');
  const storageCredential = opts.credential ?? await createAzureCredential(settings.storage);
  const sbCredential = opts.credential ?? await createAzureCredential(settings.serviceBus);
  const agent = opts.agent ? { agent: opts.agent } : {};
  const store = await TableEntityStore.create({ endpoint: settings.storage.tableServiceUri, tableName: settings.stateTable, credential: storageCredential, ...agent });
  const checkpoints = await BlobCheckpointStore.create({ endpoint: settings.checkpoints.blobServiceUri, container: settings.checkpoints.container, credential: storageCredential, ...agent });
  const sb: ServiceBusClient = createServiceBusClient({ fullyQualifiedNamespace: settings.serviceBus.fullyQualifiedNamespace, credential: sbCredential, emulator: settings.serviceBus.emulator });
  const queue = new ServiceBusJobQueue(sb, JOBS_QUEUE);
  const armOptions = {
    credential: opts.credential ?? await createAzureCredential(settings.arm),
    ...(settings.arm.endpoint ? { endpoint: settings.arm.endpoint } : {}),
    ...(settings.arm.pollIntervalMs !== undefined ? { updateIntervalInMs: settings.arm.pollIntervalMs } : {}),
    ...agent,
  };
  // The ARM identity also reads each cluster's API server address and CA and gets the token for its API server; the
  // API servers' TLS trust is their own CA from ARM (never `agent`, which only trusts the local twin's ARM face).
  const connections = new AksConnections({ credential: armOptions.credential, endpoints: new ArmAksEndpoints(armOptions) });
  // undici loads only when some cluster's Ray is reached through its API server.
  const router = fleet.clusters.some((c) => parseRayServiceProxyEndpoint(c.rayEndpoint))
    ? new (await import('./adapters/ray/serviceProxyRouter.js')).ServiceProxyRouter(connections)
    : undefined;
  const { workspaceId, logsEndpoint, metricsEndpointTemplate, timeoutMs } = settings.monitor;
  const telemetry = new AzureMonitorTelemetry({
    credential: opts.credential ?? await createAzureCredential(settings.monitor), timeoutMs,
    ...(workspaceId ? { workspaceId } : {}), ...(logsEndpoint ? { logsEndpoint } : {}), ...(metricsEndpointTemplate ? { metricsEndpointTemplate } : {}),
    ...agent,
  });
  return {
    settings, fleet, state: new FleetState(store, fleet), checkpoints, queue, telemetry,
    nodePools: new ArmNodePools(armOptions), quota: new ComputeQuota(armOptions),
    kube: new KubernetesApi({ connections }),
    ray: new HttpRayJobs({ timeoutMs: settings.rayTimeoutMs, ...(router ? { router } : {}) }), clock: opts.clock ?? systemClock,
    close: async () => { await queue.close(); await sb.close(); await router?.close(); },
  };
}
