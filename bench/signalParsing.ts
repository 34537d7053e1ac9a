/** Signals parsed per second: a 1,000-event Event Grid batch, and single Azure Monitor alerts. In process, medians of rounds. */
import { readFileSync } from 'node:fs';
import { parseAlertBody, parseEventGridBody } from '../shared/signals/index.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../test/fixtures/signals/${name}`, import.meta.url), 'utf8'));
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

function batchOf(n: number): unknown[] {
  const kinds = ['eventgrid-aks-nodepool-rolling-failed.json', 'eventgrid-arn-health-availability-status-changed.json', 'eventgrid-aks-new-kubernetes-version-available.json', 'eventgrid-envelope-blobcreated.json'];
  const samples = kinds.map((k) => { const f = fixture(k); return Array.isArray(f) ? f[0] : f; });
  return Array.from({ length: n }, (_, i) => ({ ...samples[i % samples.length], id: `bench-${i}` }));
}

export function signalParsingBench(): string[] {
  const batch = JSON.stringify(batchOf(1000));
  const alerts = ['monitor-common-activitylog-servicehealth-test-action.json', 'monitor-common-prometheus-kube-node-not-ready.json', 'monitor-common-log-alert-quota-usage.json', 'monitor-common-metric-alert-static.json']
    .map((n) => JSON.stringify(fixture(n)));
  // Each round parses from the JSON text, as a request handler would.
  const batchRates: number[] = [];
  for (let round = 0; round < 15; round++) {
    const t0 = performance.now();
    const parsed = parseEventGridBody(JSON.parse(batch));
    const ms = performance.now() - t0;
    if (parsed.kind !== 'signals' || parsed.signals.length !== 1000) throw new Error('batch did not parse to 1,000 signals');
    batchRates.push(1000 / (ms / 1000));
  }
  const alertRates: number[] = [];
  for (let round = 0; round < 15; round++) {
    const n = 2000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) parseAlertBody(JSON.parse(alerts[i % alerts.length]!));
    alertRates.push(n / ((performance.now() - t0) / 1000));
  }
  const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;
  return [
    'signal parsing (in process, from JSON text, 15 rounds):',
    `  1,000-event Event Grid batch: median ${fmt(median(batchRates))} events (${(1000 / median(batchRates) * 1000).toFixed(1)} ms per batch)`,
    `  single Azure Monitor alerts (Service Health, Prometheus, quota, metric): median ${fmt(median(alertRates))} alerts`,
  ];
}
