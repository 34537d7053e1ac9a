/**
 * Signal intake over HTTP on the local host: the Event Grid webhook (`POST /api/events`) with both
 * handshakes, the Event Grid trigger webhook as the Functions host serves it, and the status codes
 * each sender's retry rules need.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { silentLogger } from '../../shared/observability/logger.js';
import { runtimePorts } from '../../shared/runtime.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/signals/${name}`, import.meta.url), 'utf8'));
let stack: Stack;
let trap: Server;
let trapHits = 0;
let trapUrl = '';

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.hostUrl}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-functions-key': stack.functionKey, ...headers } });
  const text = await res.text();
  let json: any;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}
const signals = async () => (await runtimePorts(silentLogger)).state.signals();

beforeAll(async () => {
  // A loopback server standing in for a validationUrl: it must never be called.
  trap = createServer((_req, res) => { trapHits++; res.end(); });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/validate`;
  stack = await startStack({ port: 0, stepMs: 50 });
}, 60_000);
afterAll(async () => { await stack?.stop(); await new Promise((r) => trap?.close(r)); });

describe('POST /api/events (Event Grid webhook)', () => {
  it('answers the subscription validation with the code and never fetches the validation URL', async () => {
    const body = fixture('eventgrid-subscription-validation.json');
    body[0].data.validationUrl = trapUrl;
    const res = await post('/api/events', JSON.stringify(body), { 'aeg-event-type': 'SubscriptionValidation' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(trapHits).toBe(0);
  });

  it('answers a CloudEvents validation event (data as a JSON string)', async () => {
    const event = { specversion: '1.0', type: 'Microsoft.EventGrid.SubscriptionValidationEvent', source: '/subscriptions/s', id: 'v1', time: '2026-11-28T10:00:00Z',
      data: JSON.stringify({ validationCode: 'ce-code', validationUrl: trapUrl }) };
    const res = await post('/api/events', JSON.stringify(event), { 'content-type': 'application/cloudevents+json; charset=utf-8' });
    expect(res).toMatchObject({ status: 200, body: { validationResponse: 'ce-code' } });
    expect(trapHits).toBe(0);
  });

  it('answers the CloudEvents abuse-protection handshake (OPTIONS)', async () => {
    const res = await fetch(`${stack.hostUrl}/api/events`, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net', 'x-functions-key': stack.functionKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    expect(res.headers.get('webhook-allowed-rate')).toBe('*');
  });

  it('records a notification once; a re-delivery is acknowledged and changes nothing', async () => {
    const body = JSON.stringify(fixture('eventgrid-aks-nodepool-rolling-failed.json') instanceof Array ? fixture('eventgrid-aks-nodepool-rolling-failed.json') : [fixture('eventgrid-aks-nodepool-rolling-failed.json')]);
    const first = await post('/api/events', body, { 'aeg-event-type': 'Notification' });
    expect(first.status).toBe(200);
    expect(first.body.signals).toEqual([{ id: '1234567890abcdef1234567890abcdef12345678', kind: 'poolRollout', status: 'processed' }]);
    const count = (await signals()).length;
    const again = await post('/api/events', body, { 'aeg-event-type': 'Notification' });
    expect(again.body.signals[0].status).toBe('duplicate');
    expect((await signals()).length).toBe(count);
  });

  it('refuses a body that can never succeed with 400 naming the field, and records nothing', async () => {
    const before = (await signals()).length;
    const notJson = await post('/api/events', '[{', { 'aeg-event-type': 'Notification' });
    expect(notJson).toMatchObject({ status: 400, body: { field: 'body' } });
    const notEvents = await post('/api/events', JSON.stringify({ hello: 'world' }), { 'aeg-event-type': 'Notification' });
    expect(notEvents.status).toBe(400);
    expect(typeof notEvents.body.field).toBe('string');
    const unknownKind = await post('/api/events', '[]', { 'aeg-event-type': 'Surprise' });
    expect(unknownKind).toMatchObject({ status: 400, body: { field: 'aeg-event-type' } });
    expect((await signals()).length).toBe(before);
  });

  it('refuses an oversized body with 413 (Event Grid does not retry it)', async () => {
    const huge = JSON.stringify([{ id: 'x', eventType: 'Custom.Big', subject: 's', eventTime: '2026-11-28T10:00:00Z', dataVersion: '1', topic: '/subscriptions/s', data: { blob: 'x'.repeat(1024 * 1024) } }]);
    expect((await post('/api/events', huge, { 'aeg-event-type': 'Notification' })).status).toBe(413);
  });

  it('requires the function key', async () => {
    const res = await fetch(`${stack.hostUrl}/api/events`, { method: 'POST', body: '[]', headers: { 'aeg-event-type': 'Notification' } });
    expect(res.status).toBe(401);
  });
});

describe('POST /api/alerts (Azure Monitor action group)', () => {
  it('refuses an alert over 256 KB with 413', async () => {
    const body = JSON.stringify({ schemaId: 'azureMonitorCommonAlertSchema', data: { essentials: {}, pad: 'x'.repeat(300 * 1024) } });
    expect((await post('/api/alerts', body)).status).toBe(413);
  });

  it('pairs Fired and Resolved, and an older Fired delivered late is recorded as stale', async () => {
    const alert = (condition: 'Fired' | 'Resolved', at: string) => ({
      schemaId: 'azureMonitorCommonAlertSchema',
      data: { essentials: { alertId: '/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/node-1', alertRule: 'KubernetesAlert-RecommendedMetricAlertsaks-x-Node-level/KubeNodeNotReady',
        severity: 'Sev3', signalType: 'Metric', monitorCondition: condition, monitoringService: 'Prometheus', alertTargetIDs: ['/subscriptions/s/resourcegroups/rg/providers/microsoft.monitor/accounts/amw'],
        configurationItems: ['aks-x'], originAlertId: 'x', firedDateTime: at, ...(condition === 'Resolved' ? { resolvedDateTime: at } : {}), essentialsVersion: '1.0', alertContextVersion: '1.0' },
      alertContext: { interval: 'PT1M', expression: 'kube_node_status_condition{condition="Ready",status="true"} == 0', expressionValue: '0', for: 'PT15M',
        labels: { alertname: 'KubeNodeNotReady', cluster: 'aks-x', node: 'aks-gpu1-12345678-vmss000003', job: 'kube-state-metrics' }, annotations: {}, ruleGroup: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.AlertsManagement/prometheusRuleGroups/g' } },
    });
    const resolved = await post('/api/alerts', JSON.stringify(alert('Resolved', '2026-11-28T10:10:00Z')));
    expect(resolved.body.signals.map((s: { kind: string; status: string }) => [s.kind, s.status])).toEqual([['nodeNotReady', 'processed']]);
    const lateFired = await post('/api/alerts', JSON.stringify(alert('Fired', '2026-11-28T10:00:00Z')));
    expect(lateFired.body.signals.map((s: { status: string }) => s.status)).toEqual(['stale']);
  });
});

describe('the Event Grid trigger onPlatformEvent, served as the Functions host serves it', () => {
  const path = '/runtime/webhooks/eventgrid?functionName=onPlatformEvent';

  it('needs aeg-event-type', async () => {
    expect((await post(path, '[]')).status).toBe(400);
  });

  it('invokes the function per event and answers 202; the events are recorded once', async () => {
    const before = (await signals()).length;
    const events = [1, 2, 3].map((i) => ({
      id: `trigger-${i}`, topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-x', subject: 'aks-x',
      eventType: 'Microsoft.ContainerService.NodePoolRollingStarted', eventTime: `2026-11-28T10:00:0${i}Z`, data: { nodePoolName: `pool${i}` }, dataVersion: '1', metadataVersion: '1',
    }));
    const res = await post(path, JSON.stringify(events), { 'aeg-event-type': 'Notification' });
    expect(res.status).toBe(202);
    expect((await signals()).length).toBe(before + 3);
    await post(path, JSON.stringify(events), { 'aeg-event-type': 'Notification' });
    expect((await signals()).length).toBe(before + 3);
  });

  it('answers the validation handshake itself', async () => {
    const res = await post(path, JSON.stringify(fixture('eventgrid-subscription-validation.json')), { 'aeg-event-type': 'SubscriptionValidation' });
    expect(res).toMatchObject({ status: 200, body: { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' } });
  });
});

describe('the site root', () => {
  it('GET / sends the browser to the dashboard with its query; other unknown paths are 404; the Event Grid webhook still answers', async () => {
    const root = await fetch(`${stack.hostUrl}/?code=abc`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/api/dashboard?code=abc');
    expect((await fetch(`${stack.hostUrl}/no/such/thing`)).status).toBe(404);
    expect((await fetch(`${stack.hostUrl}/api/dashboard`)).status).toBe(200);
    const validation = await fetch(`${stack.hostUrl}/runtime/webhooks/eventgrid?functionName=onPlatformEvent`, { method: 'OPTIONS', headers: { 'webhook-request-origin': 'eventgrid.azure.net' } });
    expect(validation.status).not.toBe(302);
  });
});
