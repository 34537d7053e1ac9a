/**
 * Everything `npm start` and the end-to-end tests run, on loopback: Azurite (HTTPS + OAuth), the
 * fleet twin (world, a Ray Jobs face per cluster, the Service Bus AMQP face) and the local Functions
 * host serving the app's own function definitions. Identity-based settings only; the credential is
 * a static fake that Azurite accepts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { ServiceBusClient } from '@azure/service-bus';
import { closeRuntime, configureRuntime } from '../shared/runtime.js';
import { startAzurite, type RunningAzurite } from './azurite.js';
import { DEMO_FAMILY_LIMIT_VCPUS, DEMO_POOL, DEMO_REGIONAL_CORES, DEMO_REGIONS, DEMO_SUBSCRIPTION, demoClusters, fleetYaml } from './demoFleet.js';
import { ArmTwin } from './twin/arm/armTwin.js';
import { startArmFace } from './twin/arm/armFace.js';
import { quotaAlertBody } from './twin/quotaAlert.js';
import { StaticTokenCredential } from './fakeCredential.js';
import { startLocalHost, type LocalHost } from './host/localHost.js';
import { ensureLocalCertificate } from './tls.js';
import { startRayJobsFace, type RayJobsFace } from './twin/ray/rayJobsFace.js';
import { startServiceBusTwin, type ServiceBusTwin } from './twin/serviceBus/serviceBusTwin.js';
import { serviceHealthAlertBody } from './twin/serviceHealthAlert.js';
import { FleetWorld } from './twin/world.js';
import { startKubernetesFace, type KubernetesFace } from './twin/kubernetes/kubernetesFace.js';
import { startMonitorFace, type MonitorFace } from './twin/monitor/monitorFace.js';
import type { MonitorNodeRecord } from './twin/monitor/nodeSource.js';
import { emitNodeSignals, type NodeSignalEmitter } from './twin/nodeSignalEmitter.js';
import { poolOfNode as poolOfVmNode } from '../shared/nodes/nodeFault.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface StackOptions {
  /** Port of the local Functions host; 0 picks a free one. */
  readonly port?: number;
  readonly gpusPerCluster?: number;
  /** World tick: one training step per running job. */
  readonly stepMs?: number;
  readonly reconcileSchedule?: string;
  readonly recoveryHoldDownSeconds?: number;
  readonly waitBackoffSeconds?: number;
  readonly log?: (record: Record<string, unknown>) => void;
  /** How long a pool resize takes in the twin (node provisioning). */
  readonly provisioningMs?: number;
  readonly scaleDownCooldownSeconds?: number;
  /** One automatic failover per region per window (drills that fail a region over repeatedly shorten it). */
  readonly failoverWindowSeconds?: number;
  /** `policy.nodes` overrides for the fleet file (seconds), e.g. a short recovery hold-down in drills. */
  readonly nodePolicy?: Readonly<Record<string, number>>;
  /** Ray reached at each Ray face directly instead of through the Kubernetes API server's service proxy. */
  readonly rayDirect?: boolean;
}

export interface Stack {
  readonly hostUrl: string;
  readonly functionKey: string;
  readonly world: FleetWorld;
  readonly arm: ArmTwin;
  readonly serviceBus: ServiceBusTwin;
  readonly kube: KubernetesFace;
  readonly monitor: MonitorFace;
  /** Node faults in the world reach the autopilot as Azure's real alert and event bodies. */
  readonly nodeSignals: NodeSignalEmitter;
  readonly host: LocalHost;
  readonly fleetFile: string;
  /** Calls the autopilot's HTTP API with the function key. */
  api(path: string, init?: { method?: string; body?: unknown; rawBody?: string }): Promise<{ status: number; body: any }>;
  /** Emits a Service Health incident alert for regions (ARM names) to `POST /api/alerts`. */
  serviceHealth(regions: readonly string[], stage: 'Active' | 'Resolved', trackingId: string): Promise<{ status: number; body: any; alert: unknown }>;
  /** Emits the Azure Quotas usage alert for the demo GPU family in a region (usage as the twin has it). */
  quotaAlert(region: string, stage: 'Fired' | 'Resolved'): Promise<{ status: number; body: any; alert: unknown }>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const localDir = join(REPO_ROOT, '.local');
  const cert = await ensureLocalCertificate(join(localDir, 'certs'));
  const agent = new Agent({ ca: cert.cert, keepAlive: true });
  const credential = new StaticTokenCredential();
  const stoppers: Array<[string, () => Promise<void>]> = [];
  const stopAll = async () => {
    for (const [name, stop] of stoppers.reverse()) {
      const t0 = performance.now();
      await stop().catch((e: Error) => log({ level: 'warn', message: `stopping ${name} failed: ${e.message}` }));
      log({ level: 'debug', message: `stopped ${name} in ${(performance.now() - t0).toFixed(0)} ms` });
    }
    stoppers.length = 0;
  };
  try {
    const azurite: RunningAzurite = await startAzurite({ cert });
    stoppers.push(['Azurite', () => azurite.stop()]);
    log({ level: 'info', message: `Azurite (Tables, Blobs; HTTPS + OAuth) ready in ${azurite.startupMs} ms`, blob: azurite.blobEndpoint, table: azurite.tableEndpoint });

    const blob = new BlobServiceClient(azurite.blobEndpoint, credential, { agent } as never);
    const checkpoints = blob.getContainerClient('checkpoints');
    await checkpoints.createIfNotExists();

    const clusters = demoClusters(options.gpusPerCluster ?? 8);
    const stepMs = options.stepMs ?? 100;
    const world = new FleetWorld(DEMO_REGIONS, clusters, {
      write: async (path, content) => { await checkpoints.getBlockBlobClient(path).upload(content, Buffer.byteLength(content)); },
    }, Date.now, {
      // Ray Train notices a lost worker after its health checks time out (tens of seconds in Ray); a few seconds
      // here, whatever the step time, so a drain on a busy machine still finds the job alive.
      failJobsAfterTicks: Math.ceil(5000 / stepMs),
    });
    stoppers.push(['world', () => world.stop()]);
    const faces = new Map<string, RayJobsFace>();
    for (const c of clusters) faces.set(c.id, await startRayJobsFace(world.backend(c.id)));
    stoppers.push(['Ray faces', async () => { await Promise.all([...faces.values()].map((f) => f.close())); }]);
    // Each AKS cluster's API server: nodes, pods, evictions, the RayCluster, and the service proxy to its Ray face.
    const kube = await startKubernetesFace({ world, tls: { cert: cert.cert, key: cert.key }, rayUrlFor: (id) => faces.get(id)?.url });
    stoppers.push(['Kubernetes face', () => kube.close()]);
    const workspaceId = '7e57ab1e-0000-4000-8000-00000000f1ee';
    const monitor = await startMonitorFace({ nodes: () => monitorRecords(world) }, { cert: cert.cert, key: cert.key, workspaceId });
    stoppers.push(['Monitor face', () => monitor.close()]);

    // ARM: every cluster's GPU pool and every region's quota; the world's capacity follows the pools.
    const arm = new ArmTwin({ provisioningMs: options.provisioningMs ?? 3000 });
    stoppers.push(['ARM twin', async () => arm.close()]);
    for (const c of clusters) {
      arm.addPool({ clusterId: c.id, pool: DEMO_POOL.name, vmSize: DEMO_POOL.vmSize, vcpusPerNode: DEMO_POOL.vcpusPerNode, gpusPerNode: DEMO_POOL.gpusPerNode,
        count: c.gpus / DEMO_POOL.gpusPerNode, minCount: DEMO_POOL.minCount, maxCount: DEMO_POOL.maxCount, family: DEMO_POOL.family, region: c.region, subscriptionId: DEMO_SUBSCRIPTION });
    }
    for (const r of DEMO_REGIONS) {
      arm.setQuota(DEMO_SUBSCRIPTION, r.name, DEMO_POOL.family, DEMO_FAMILY_LIMIT_VCPUS);
      arm.setQuota(DEMO_SUBSCRIPTION, r.name, 'cores', DEMO_REGIONAL_CORES);
      arm.setQuota(DEMO_SUBSCRIPTION, r.name, 'lowPriorityCores', 100);
    }
    // A Spot VM evicted (Delete policy) or a VM lost for good leaves its scale set: ARM's count follows.
    world.on('nodeRemoved', (clusterId, node, reason) => {
      if (reason !== 'scaleDown') arm.instancesRemoved(clusterId, poolOfVmNode(node) ?? DEMO_POOL.name);
    });
    arm.on('poolScaled', (clusterId) => {
      const gpus = arm.pools().filter((p) => p.clusterId === clusterId).reduce((n, p) => n + p.count * DEMO_POOL.gpusPerNode, 0);
      world.setClusterGpus(clusterId, gpus);
    });
    const armFace = await startArmFace(arm, { cert: cert.cert, key: cert.key, kubeServerFor: kube.serverFor, kubeCaPem: kube.caPem });
    stoppers.push(['ARM face', () => armFace.close()]);

    const serviceBus = await startServiceBusTwin();
    stoppers.push(['Service Bus twin', () => serviceBus.close()]);
    log({ level: 'info', message: `Service Bus twin (AMQP 1.0) on ${serviceBus.endpoint}` });

    const fleetFile = join(localDir, `fleet-${process.pid}.yaml`);
    await mkdir(localDir, { recursive: true });
    await writeFile(fleetFile, fleetYaml(clusters, options.rayDirect ? new Map([...faces].map(([id, f]) => [id, f.url])) : new Map(), {
      recoveryHoldDownSeconds: options.recoveryHoldDownSeconds ?? 20,
      waitBackoffSeconds: options.waitBackoffSeconds ?? 2,
      maxWaitBackoffSeconds: 10,
      quotaRefreshSeconds: 30,
      scaleDownCooldownSeconds: options.scaleDownCooldownSeconds ?? 120,
      ...(options.failoverWindowSeconds !== undefined ? { failoverWindowSeconds: options.failoverWindowSeconds } : {}),
      nodes: { recoverySeconds: 30, replaceNotReadyAfterSeconds: 20, evictionWaitSeconds: 10, ...options.nodePolicy },
    }));

    // App settings, as the Functions host would provide them: endpoints and identities, no secrets.
    Object.assign(process.env, {
      AzureWebJobsStorage__blobServiceUri: azurite.blobEndpoint,
      AzureWebJobsStorage__tableServiceUri: azurite.tableEndpoint,
      ServiceBusConnection__fullyQualifiedNamespace: serviceBus.endpoint,
      ServiceBusConnection__emulator: 'true',
      AUTOPILOT_FLEET_FILE: fleetFile,
      AUTOPILOT_STATE_TABLE: `autopilot${process.pid}`,
      AUTOPILOT_CHECKPOINT_CONTAINER: 'checkpoints',
      AUTOPILOT_RECONCILE_SCHEDULE: options.reconcileSchedule ?? '*/5 * * * * *',
      AUTOPILOT_RAY_TIMEOUT_MS: '1500',
      AUTOPILOT_ARM_ENDPOINT: armFace.url,
      AUTOPILOT_ARM_POLL_INTERVAL_MS: '100',
      AUTOPILOT_LOG_ANALYTICS_WORKSPACE_ID: workspaceId,
      AUTOPILOT_LOG_ANALYTICS_ENDPOINT: monitor.url,
      AUTOPILOT_METRICS_ENDPOINT: monitor.metricsEndpointTemplate,
    });
    configureRuntime({ credential, agent });
    stoppers.push(['runtime', () => closeRuntime()]);

    // The local host's own Service Bus client, as the Functions host's extension has its own.
    const triggerClient = new ServiceBusClient(serviceBus.connectionString);
    stoppers.push(['trigger client', () => triggerClient.close()]);
    const functionKey = randomBytes(24).toString('base64url');
    const hostJson = JSON.parse(await readFile(join(REPO_ROOT, 'host.json'), 'utf8'));
    const host = await startLocalHost({
      hostJson,
      entry: pathToFileURL(join(REPO_ROOT, 'functions', 'index.ts')).href,
      port: options.port ?? 0,
      functionKey,
      serviceBus: { receiverFor: (_connection, queue) => triggerClient.createReceiver(queue, { receiveMode: 'peekLock' }) },
      log,
    });
    stoppers.push(['local host', () => host.stop()]);
    // Observe pools and quota once before anything is placed (the timer then keeps them fresh).
    await host.invokeTimer('reconcileFleet');
    world.start(stepMs);

    const api: Stack['api'] = async (path, init = {}) => {
      const res = await fetch(`${host.url}${path}`, {
        method: init.method ?? (init.body !== undefined || init.rawBody !== undefined ? 'POST' : 'GET'),
        headers: { 'x-functions-key': functionKey, 'content-type': 'application/json' },
        ...(init.rawBody !== undefined ? { body: init.rawBody } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
      return { status: res.status, body };
    };
    const nodeSignals = emitNodeSignals(world, (path, body) => api(path, { body }), { log });
    stoppers.push(['node signals', async () => { nodeSignals.stop(); await nodeSignals.flush(); }]);
    const displayName = (arm: string) => DEMO_REGIONS.find((r) => r.name === arm)?.displayName ?? arm;
    return {
      hostUrl: host.url, functionKey, world, arm, serviceBus, kube, monitor, nodeSignals, host, fleetFile, api,
      serviceHealth: async (regions, stage, trackingId) => {
        const alert = serviceHealthAlertBody({ subscriptionId: DEMO_SUBSCRIPTION, trackingId, regions: regions.map(displayName), stage, at: new Date() });
        return { ...(await api('/api/alerts', { body: alert })), alert };
      },
      quotaAlert: async (region, stage) => {
        const usage = arm.usage(DEMO_SUBSCRIPTION, region).find((u) => u.name.toLowerCase() === DEMO_POOL.family.toLowerCase());
        const alert = quotaAlertBody({ subscriptionId: DEMO_SUBSCRIPTION, region, family: DEMO_POOL.family, used: usage?.used ?? 0, limit: usage?.limit ?? 0, stage, at: new Date() });
        return { ...(await api('/api/alerts', { body: alert })), alert };
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** What Container insights would have collected about the world's nodes, as of now. */
function monitorRecords(world: FleetWorld): MonitorNodeRecord[] {
  const at = new Date().toISOString();
  return [...world.clusters.values()].flatMap((c) => world.kube(c.id).gpuNodes().map((n) => ({
    clusterId: c.id, clusterName: c.name, region: c.region, node: n.name, ready: n.ready, at,
  })));
}
