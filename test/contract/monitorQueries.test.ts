/**
 * Contract: the Azure Monitor telemetry adapter through the real `@azure/monitor-query-logs` and
 * `@azure/monitor-query-metrics` clients against the twin's Monitor face over HTTPS (self-signed certificate trusted
 * through an https.Agent, unsigned tokens from StaticTokenCredential). Loopback only.
 */
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import { MetricsClient } from '@azure/monitor-query-metrics';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../local/fakeCredential.js';
import { ensureLocalCertificate, type LocalCertificate } from '../../local/tls.js';
import { startMonitorFace, type MonitorFace } from '../../local/twin/monitor/monitorFace.js';
import { InMemoryNodeSource, type MonitorNodeRecord } from '../../local/twin/monitor/nodeSource.js';
import { AzureMonitorTelemetry } from '../../shared/adapters/monitor/azureMonitorTelemetry.js';
import { unavailable } from '../../shared/adapters/monitor/monitorFailures.js';
import { nodeReadinessQuery } from '../../shared/adapters/monitor/nodeReadinessQuery.js';
import { createLogger, type LogFields, type LogLevel } from '../../shared/observability/logger.js';
import type { NodeReadinessResult, TelemetryCluster } from '../../shared/ports/telemetry.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKSPACE = '5d3c1e2a-0000-4000-8000-00000000f1ee';
const SUB = '00000000-0000-0000-0000-000000000000';
const SUB2 = '11111111-1111-1111-1111-111111111111';
const aks = (sub: string, region: string, name: string): string =>
  `/subscriptions/${sub}/resourceGroups/rg-fleet-${region}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const EAST_A: TelemetryCluster = { id: aks(SUB, 'eastus2', 'aks-eastus2-a'), region: 'eastus2' };
const EAST_B: TelemetryCluster = { id: aks(SUB, 'eastus2', 'aks-eastus2-b'), region: 'eastus2' };
const EAST_OTHER_SUB: TelemetryCluster = { id: aks(SUB2, 'eastus2', 'aks-eastus2-c'), region: 'eastus2' };
const WEST: TelemetryCluster = { id: aks(SUB, 'westus3', 'aks-westus3-a'), region: 'westus3' };

let cert: LocalCertificate;
let agent: Agent;
let source: InMemoryNodeSource;
let face: MonitorFace;
let lines: Array<{ level: LogLevel; message: string; fields: LogFields }>;

const minutesAgo = (m: number): string => new Date(Date.now() - m * 60_000).toISOString();
const rec = (c: TelemetryCluster, node: string, ready: MonitorNodeRecord['ready'], ago: number, otherConditions?: string[]): MonitorNodeRecord => ({
  clusterId: c.id, clusterName: c.id.split('/').at(-1)!, region: c.region, node, ready, at: minutesAgo(ago), ...(otherConditions ? { otherConditions } : {}),
});

function telemetry(extra: Partial<ConstructorParameters<typeof AzureMonitorTelemetry>[0]> = {}): AzureMonitorTelemetry {
  return new AzureMonitorTelemetry({
    credential: new StaticTokenCredential(), agent, workspaceId: WORKSPACE, logsEndpoint: face.url,
    metricsEndpointTemplate: face.metricsEndpointTemplate, timeoutMs: 3000,
    log: createLogger((level, message, fields) => lines.push({ level, message, fields })), ...extra,
  });
}

function answered(r: NodeReadinessResult) {
  if (r.status !== 'answered') throw new Error(`expected an answer, got ${JSON.stringify(r)}`);
  return r;
}

function refused(r: NodeReadinessResult) {
  if (r.status !== 'unavailable') throw new Error(`expected unavailable, got ${JSON.stringify(r)}`);
  return r;
}

beforeAll(async () => {
  cert = await ensureLocalCertificate(join(REPO, '.local', 'certs'));
  agent = new Agent({ ca: cert.cert });
});
afterAll(() => agent.destroy());

beforeEach(async () => {
  lines = [];
  source = new InMemoryNodeSource([
    rec(EAST_A, 'aks-gpu-0', true, 30), rec(EAST_A, 'aks-gpu-0', true, 2),
    rec(EAST_A, 'aks-gpu-1', true, 8), rec(EAST_A, 'aks-gpu-1', false, 1),
    rec(EAST_A, 'aks-gpu-2', true, 1, ['MemoryPressure']),
    rec(EAST_A, 'aks-gpu-3', 'unknown', 3),
    rec(EAST_A, 'aks-gpu-old', false, 90),
    rec(EAST_B, 'aks-gpu-0', true, 4),
    rec(EAST_OTHER_SUB, 'aks-gpu-9', false, 2),
    rec(WEST, 'aks-gpu-0', true, 1),
  ]);
  face = await startMonitorFace(source, { cert: cert.cert, key: cert.key, workspaceId: WORKSPACE });
});
afterEach(async () => {
  await face.close();
});

describe('node readiness from Log Analytics (KubeNodeInventory)', () => {
  it('answers the latest Ready reading per node in the window, keyed by the ids as given, with our own query text', async () => {
    const credential = new StaticTokenCredential();
    const asked = [EAST_A, { ...EAST_B, id: EAST_B.id.toLowerCase() }, { id: aks(SUB, 'eastus2', 'aks-unmonitored'), region: 'eastus2' }];
    const r = answered(await telemetry({ credential }).nodeReadiness(asked, 15));
    expect(r.source).toBe('logs');
    expect([...r.clusters.keys()]).toEqual(asked.map((c) => c.id));
    expect(r.clusters.get(EAST_A.id)!.map(({ node, ready }) => [node, ready])).toEqual([
      ['aks-gpu-0', true], ['aks-gpu-1', false], ['aks-gpu-2', true], ['aks-gpu-3', false],
    ]);
    expect(Date.parse(r.clusters.get(EAST_A.id)![0]!.at)).toBeGreaterThan(Date.now() - 3 * 60_000); // the 2-minute-old record, not the 30
    expect(r.clusters.get(asked[1]!.id)).toEqual([expect.objectContaining({ node: 'aks-gpu-0', ready: true })]);
    expect(r.clusters.get(asked[2]!.id)).toEqual([]);

    expect(face.requests).toHaveLength(1);
    expect(face.requests[0]).toMatchObject({ api: 'logs', method: 'POST', path: `/v1/workspaces/${WORKSPACE}/query`, status: 200 });
    expect(face.requests[0]!.query).toBe(nodeReadinessQuery([asked[0]!.id, asked[1]!.id, asked[2]!.id]));
    expect(credential.scopesSeen).toEqual([['https://api.loganalytics.io/.default']]);
  });

  it('refuses an id that is not an AKS resource id before anything is sent', async () => {
    const r = refused(await telemetry().nodeReadiness([EAST_A, { id: `${EAST_B.id}") | take 1 //`, region: 'eastus2' }], 15));
    expect(r.reason).toBe('invalidQuery');
    expect(r.message).toContain('not an AKS resource id');
    expect(face.requests).toHaveLength(0);
    expect(lines.find((l) => l.level === 'error')?.fields).toMatchObject({ source: 'logs', reason: 'invalidQuery' });
  });

  it('does not use a partial answer', async () => {
    face.faults.add('logs', { kind: 'partial' });
    const r = refused(await telemetry().nodeReadiness([EAST_A], 15));
    expect(r).toMatchObject({ source: 'logs', reason: 'partial' });
    expect(r.message).toContain('PartialError');
    expect(r.message).toContain('EngineError'); // the SDK keeps a detail's code and message, not its inner error
    expect(face.requests[0]!.status).toBe(200);
  });

  it('is refused with a token for the wrong audience (403 InvalidAuthenticationTokenAudience, as the Log Analytics API answers)', async () => {
    const r = refused(await telemetry({ credential: new StaticTokenCredential({ audience: 'https://management.azure.com' }) }).nodeReadiness([EAST_A], 15));
    expect(r.reason).toBe('refused');
    expect(r.message).toMatch(/^403 InvalidAuthenticationTokenAudience/);
  });

  it('turns 429 into throttled with Retry-After, and logs it', async () => {
    face.faults.add('logs', { kind: 'throttle', retryAfterSeconds: 7 });
    const r = refused(await telemetry().nodeReadiness([EAST_A], 15));
    expect(r).toMatchObject({ reason: 'throttled', retryAfterMs: 7000 });
    expect(face.requests).toHaveLength(1); // the SDK did not sleep it out and retry
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ source: 'logs', reason: 'throttled', retryAfterMs: 7000, workspaceId: WORKSPACE }) })]);
  });

  it('gives up at its deadline when Monitor does not answer', async () => {
    face.faults.add('logs', { kind: 'hang' });
    const started = Date.now();
    const r = refused(await telemetry({ timeoutMs: 400 }).nodeReadiness([EAST_A], 15));
    expect(r.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports a 500 as failed', async () => {
    face.faults.add('logs', { kind: 'serverError' });
    const r = refused(await telemetry().nodeReadiness([EAST_A], 15));
    expect(r).toMatchObject({ reason: 'failed' });
    expect(r.message).toMatch(/^500 InternalServerError/);
  });

  it('says so, once, without a workspace, and asks nothing', async () => {
    const t = telemetry({ workspaceId: undefined });
    expect(refused(await t.nodeReadiness([EAST_A], 15))).toMatchObject({ reason: 'notConfigured' });
    expect(refused(await t.nodeReadiness([EAST_A], 15)).message).toContain('AUTOPILOT_LOG_ANALYTICS_WORKSPACE_ID');
    expect(face.requests).toHaveLength(0);
    expect(lines).toEqual([expect.objectContaining({ level: 'info', fields: expect.objectContaining({ source: 'logs', reason: 'notConfigured' }) })]);
  });

  it('a query the face does not know is a 400 BadArgumentError, classified as invalidQuery with the reason', async () => {
    const client = new LogsQueryClient(new StaticTokenCredential(), { endpoint: `${face.url}/v1`, agent, retryOptions: { maxRetries: 0 } });
    const error = await client.queryWorkspace(WORKSPACE, 'KubeNodeInventory | take 10', { duration: 'PT15M' }).then(() => undefined, (e: unknown) => e);
    const u = unavailable('logs', error);
    expect(u.reason).toBe('invalidQuery');
    expect(u.message).toMatch(/^400 BadArgumentError: The request had some invalid properties \/ SyntaxError: The Monitor twin does not interpret KQL/);
    expect(face.requests[0]).toMatchObject({ status: 400, query: 'KubeNodeInventory | take 10' });
  });
});

describe('node readiness from the kube_node_status_condition metric (metrics:getBatch)', () => {
  it('asks each subscription × region once at its regional endpoint and reads the latest status per node', async () => {
    const credential = new StaticTokenCredential();
    const r = answered(await telemetry({ credential }).nodeReadinessMetric([EAST_A, WEST, EAST_B, EAST_OTHER_SUB], 15));
    expect(r.source).toBe('metrics');
    expect(r.clusters.get(EAST_A.id)!.map(({ node, ready }) => [node, ready])).toEqual([
      ['aks-gpu-0', true], ['aks-gpu-1', false], ['aks-gpu-2', true], ['aks-gpu-3', false],
    ]);
    expect(r.clusters.get(EAST_OTHER_SUB.id)).toEqual([expect.objectContaining({ node: 'aks-gpu-9', ready: false })]);
    expect(r.clusters.get(WEST.id)).toEqual([expect.objectContaining({ node: 'aks-gpu-0', ready: true })]);
    expect(face.requests.map((q) => q.path).sort()).toEqual([
      `/eastus2/subscriptions/${SUB}/metrics:getBatch`, `/eastus2/subscriptions/${SUB2}/metrics:getBatch`, `/westus3/subscriptions/${SUB}/metrics:getBatch`,
    ]);
    expect(new Set(credential.scopesSeen.flat())).toEqual(new Set(['https://management.azure.com/.default']));
  });

  it('without a metrics endpoint says so and asks nothing', async () => {
    const r = refused(await telemetry({ metricsEndpointTemplate: undefined }).nodeReadinessMetric([EAST_A], 15));
    expect(r).toMatchObject({ source: 'metrics', reason: 'notConfigured', message: expect.stringContaining('AUTOPILOT_METRICS_ENDPOINT') });
    expect(face.requests).toHaveLength(0);
  });

  it('does not use an answer where one resource failed', async () => {
    face.faults.add('metrics', { kind: 'partial' });
    const r = refused(await telemetry().nodeReadinessMetric([EAST_A, EAST_B], 15));
    expect(r).toMatchObject({ source: 'metrics', reason: 'partial' });
    expect(r.message).toContain('InternalServerError');
  });

  it('is refused with a Log Analytics token (401)', async () => {
    const r = refused(await telemetry({ credential: new StaticTokenCredential({ audience: 'https://api.loganalytics.io' }) }).nodeReadinessMetric([EAST_A], 15));
    expect(r.reason).toBe('refused');
    expect(r.message).toMatch(/^401 InvalidAuthenticationTokenAudience/);
  });

  it("turns 429 into throttled, all or nothing across batches, logged in the invocation's log", async () => {
    face.faults.add('metrics', { kind: 'throttle', retryAfterSeconds: 3 });
    const invocation: string[] = [];
    const ports = telemetry().withLog(createLogger((level, message, fields) => invocation.push(`${level} ${String(fields.reason)} ${String(fields.correlationId)}`), { correlationId: 'sig-1' }));
    const r = refused(await ports.nodeReadinessMetric([EAST_A, WEST], 15));
    expect(r).toMatchObject({ reason: 'throttled', retryAfterMs: 3000 });
    expect(invocation).toEqual(['warn throttled sig-1']);
    expect(lines).toEqual([]); // not in the adapter's own log
  });

  it('gives up at its deadline', async () => {
    face.faults.add('metrics', { kind: 'slow', delayMs: 5000 });
    const started = Date.now();
    const r = refused(await telemetry({ timeoutMs: 400 }).nodeReadinessMetric([EAST_A], 15));
    expect(r.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a metric the face does not know is a 400, classified as invalidQuery with the reason', async () => {
    const client = new MetricsClient(face.metricsEndpointTemplate.replace('{region}', 'eastus2'), new StaticTokenCredential(), { agent, retryOptions: { maxRetries: 0 } });
    const error = await client.queryResources([EAST_A.id], ['node_cpu_usage_percentage'], 'Microsoft.ContainerService/managedClusters').then(() => undefined, (e: unknown) => e);
    const u = unavailable('metrics', error);
    expect(u.reason).toBe('invalidQuery');
    expect(u.message).toMatch(/^400 BadRequest: Failed to find metric configuration .* metric: node_cpu_usage_percentage/);
  });

  it('a cluster asked about at the wrong regional endpoint is refused by Monitor, reported as invalidQuery', async () => {
    const r = refused(await telemetry().nodeReadinessMetric([{ ...EAST_A, region: 'westus3' }], 15));
    expect(r.reason).toBe('invalidQuery');
    expect(r.message).toMatch(/^400 BadRequest: Resource .* is in region eastus2, not westus3/);
  });
});
