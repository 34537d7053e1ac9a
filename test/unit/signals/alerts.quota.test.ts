import { describe, expect, it } from 'vitest';
import { parseAlertBody, type QuotaPressureSignal, type Signal } from '../../../shared/signals/index.js';
import {
  SUB,
  WORKSPACE_ID,
  alertIdOf,
  fixture,
  metricAlert,
  quotaAlert,
  quotaEntry,
  quotaQuery,
  withField,
} from './alertBodies.js';

const QUOTA_ALERT = alertIdOf('00000000-0000-4000-8000-00000000a007');
const METRIC_ALERT = alertIdOf('00000000-0000-4000-8000-0000000000e7');
const USAGES = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/eastus2/usages`;

function only(signals: Signal[]): Signal {
  expect(signals).toHaveLength(1);
  return signals[0] as Signal;
}

describe('Azure Quotas usage alert (Log Alerts V2 over QuotaResources) → quotaPressure', () => {
  it('one entry, numbers as strings, usage and quota dimensions → one signal with used/limit', () => {
    const body = quotaAlert({
      entries: [quotaEntry({ location: 'eastus2', quotaName: 'standardNCADSA100v4Family', metricValue: '92', usage: '368', quota: '400' })],
    });
    expect(parseAlertBody(body)).toEqual([
      {
        kind: 'quotaPressure',
        id: `${QUOTA_ALERT}:Fired:eastus2:standardNCADSA100v4Family`,
        source: 'commonAlert',
        observedAt: '2025-06-02T10:00:00.000Z',
        region: 'eastus2',
        family: 'standardNCADSA100v4Family',
        usagePercent: 92,
        used: 368,
        limit: 400,
        subscriptionId: SUB, // the query's `where subscriptionId =~ '…'`
        stage: 'active',
      },
    ]);
  });

  it('several entries (one per dimension combination) → one signal each, ids unique and naming region and family', () => {
    const body = quotaAlert({
      entries: [
        quotaEntry({ location: 'eastus2', quotaName: 'standardNCADSA100v4Family', metricValue: 95 }),
        quotaEntry({ location: 'West US 3', quotaName: 'lowPriorityCores', metricValue: ' 81.5 ' }),
        quotaEntry({ location: 'swedencentral', quotaName: 'cores', metricValue: '80', usage: 800, quota: '1000' }),
      ],
    });
    const signals = parseAlertBody(body) as QuotaPressureSignal[];
    expect(signals.map((s) => [s.kind, s.region, s.family, s.usagePercent, s.stage])).toEqual([
      ['quotaPressure', 'eastus2', 'standardNCADSA100v4Family', 95, 'active'],
      ['quotaPressure', 'westus3', 'lowPriorityCores', 81.5, 'active'], // display name → ARM name
      ['quotaPressure', 'swedencentral', 'cores', 80, 'active'],
    ]);
    expect(signals.map((s) => s.id)).toEqual([
      `${QUOTA_ALERT}:Fired:eastus2:standardNCADSA100v4Family`,
      `${QUOTA_ALERT}:Fired:westus3:lowPriorityCores`,
      `${QUOTA_ALERT}:Fired:swedencentral:cores`,
    ]);
    expect(signals[2]).toMatchObject({ used: 800, limit: 1000 });
    expect(signals[0]).not.toHaveProperty('used');
    expect(signals[0]).not.toHaveProperty('limit');
  });

  it('Spot: lowPriorityCores is the family, as Azure names it', () => {
    const [s] = parseAlertBody(quotaAlert({ entries: [quotaEntry({ quotaName: 'lowPriorityCores', location: 'eastus2', metricValue: 99 })] }));
    expect(s).toMatchObject({ kind: 'quotaPressure', family: 'lowPriorityCores', region: 'eastus2', usagePercent: 99 });
  });

  it('regional total: cores', () => {
    const [s] = parseAlertBody(quotaAlert({ entries: [quotaEntry({ quotaName: 'cores', location: 'northeurope', metricValue: 85.0 })] }));
    expect(s).toMatchObject({ kind: 'quotaPressure', family: 'cores', region: 'northeurope', usagePercent: 85 });
  });

  it('Resolved → stage resolved, an id of its own, observed at the end of the window that resolved it', () => {
    const fired = parseAlertBody(quotaAlert()) as QuotaPressureSignal[];
    const resolved = parseAlertBody(
      quotaAlert({ monitorCondition: 'Resolved', entries: [quotaEntry({ metricValue: '71' })], windowEndTime: '2025-06-02T11:30:00Z' }),
    ) as QuotaPressureSignal[];
    expect(resolved).toEqual([
      {
        kind: 'quotaPressure',
        id: `${QUOTA_ALERT}:Resolved:eastus2:standardNCADSA100v4Family`,
        source: 'commonAlert',
        observedAt: '2025-06-02T11:30:00.000Z',
        region: 'eastus2',
        family: 'standardNCADSA100v4Family',
        usagePercent: 71,
        subscriptionId: SUB,
        stage: 'resolved',
      },
    ]);
    expect(fired[0]?.stage).toBe('active');
    expect(fired[0]?.id).not.toBe(resolved[0]?.id);
    expect(fired[0]?.observedAt).toBe('2025-06-02T10:00:00.000Z');
  });

  it('monitorCondition in any case; the id uses the canonical Fired/Resolved', () => {
    const [s] = parseAlertBody(quotaAlert({ monitorCondition: 'RESOLVED' }));
    expect(s).toMatchObject({ stage: 'resolved', id: `${QUOTA_ALERT}:Resolved:eastus2:standardNCADSA100v4Family` });
  });

  it('a re-delivery of the same body gives the same ids', () => {
    const body = quotaAlert({ entries: [quotaEntry(), quotaEntry({ location: 'westus3' })] });
    expect(parseAlertBody(structuredClone(body))).toEqual(parseAlertBody(body));
  });

  it('two identical entries → one signal (an id is never repeated within a body)', () => {
    const signals = parseAlertBody(quotaAlert({ entries: [quotaEntry(), quotaEntry()] }));
    expect(signals).toHaveLength(1);
  });

  it('entries that differ only in a subscriptionId dimension get ids naming the subscription', () => {
    const a = 'aaaaaaaa-0000-4000-8000-000000000001';
    const b = 'bbbbbbbb-0000-4000-8000-000000000002';
    const signals = parseAlertBody(
      quotaAlert({ entries: [quotaEntry({ subscriptionId: a }), quotaEntry({ subscriptionId: b })] }),
    ) as QuotaPressureSignal[];
    expect(signals.map((s) => [s.id, s.subscriptionId])).toEqual([
      [`${QUOTA_ALERT}:Fired:eastus2:standardNCADSA100v4Family:${a}`, a],
      [`${QUOTA_ALERT}:Fired:eastus2:standardNCADSA100v4Family:${b}`, b],
    ]);
  });

  it.each([
    {
      what: 'a subscriptionId dimension wins over the query',
      entry: quotaEntry({ subscriptionId: 'cccccccc-0000-4000-8000-000000000003' }),
      targets: [WORKSPACE_ID],
      expected: 'cccccccc-0000-4000-8000-000000000003',
    },
    {
      what: 'a one-value `in~` filter in the query',
      entry: quotaEntry({ searchQuery: quotaQuery("where subscriptionId in~ ('dddddddd-0000-4000-8000-000000000004')") }),
      targets: [WORKSPACE_ID],
      expected: 'dddddddd-0000-4000-8000-000000000004',
    },
    {
      what: 'a query over two subscriptions → the alert target',
      entry: quotaEntry({ searchQuery: quotaQuery("where subscriptionId in~ ('dddddddd-0000-4000-8000-000000000004', 'eeee')") }),
      targets: ['/subscriptions/ffffffff-0000-4000-8000-000000000005/resourcegroups/m/providers/microsoft.operationalinsights/workspaces/w'],
      expected: 'ffffffff-0000-4000-8000-000000000005',
    },
    {
      what: 'no filter and no target → none',
      entry: quotaEntry({ searchQuery: quotaQuery('where true') }),
      targets: [],
      expected: undefined,
    },
  ])('subscriptionId: $what', ({ entry, targets, expected }) => {
    const [s] = parseAlertBody(quotaAlert({ entries: [entry], alertTargetIDs: targets })) as QuotaPressureSignal[];
    expect(s?.kind).toBe('quotaPressure');
    expect(s?.subscriptionId).toBe(expected);
  });

  it('no usagePercent column but usage and quota dimensions → the percentage is computed', () => {
    const [s] = parseAlertBody(
      quotaAlert({ entries: [quotaEntry({ metricMeasureColumn: null, metricValue: 1, usage: '90', quota: '120' })] }),
    );
    expect(s).toMatchObject({ kind: 'quotaPressure', usagePercent: 75, used: 90, limit: 120 });
  });

  it('a rule measuring usage itself: metricValue is the used vCPUs', () => {
    const [s] = parseAlertBody(quotaAlert({ entries: [quotaEntry({ metricMeasureColumn: 'usage', metricValue: '48', quota: 64 })] }));
    expect(s).toMatchObject({ kind: 'quotaPressure', usagePercent: 75, used: 48, limit: 64 });
  });

  it('no type dimension: the query names Compute usages, so it is still a compute quota', () => {
    const [s] = parseAlertBody(quotaAlert({ entries: [quotaEntry({ type: null })] }));
    expect(s).toMatchObject({ kind: 'quotaPressure', family: 'standardNCADSA100v4Family' });
  });

  it.each([
    {
      what: 'a count of rows with no usage/quota dimensions',
      entry: quotaEntry({ metricMeasureColumn: null, metricValue: 3 }),
      reason: 'quota alert for standardNCADSA100v4Family in eastus2 carries no usage percentage (counts result rows)',
    },
    {
      what: 'metricValue missing',
      entry: quotaEntry({ metricValue: undefined }),
      reason: 'quota alert for standardNCADSA100v4Family in eastus2 carries no usage percentage (measures usagePercent)',
    },
    {
      what: 'metricValue not a number',
      entry: quotaEntry({ metricValue: 'n/a' }),
      reason: 'quota alert for standardNCADSA100v4Family in eastus2 carries no usage percentage (measures usagePercent)',
    },
    {
      what: 'no location dimension',
      entry: quotaEntry({ location: undefined }),
      reason: 'quota alert names no location (split the rule by the location dimension)',
    },
    {
      what: 'a location that is no Azure region',
      entry: quotaEntry({ location: 'Global' }),
      reason: 'quota alert location Global is not a known Azure region',
    },
    {
      what: 'no quotaName dimension',
      entry: quotaEntry({ quotaName: undefined }),
      reason: 'quota alert names no quotaName (split the rule by the quotaName dimension)',
    },
    {
      what: 'a count quota, not vCPUs',
      entry: quotaEntry({ quotaName: 'virtualMachines' }),
      reason: 'quota virtualMachines in eastus2 is not a vCPU quota',
    },
    {
      what: 'a network usage',
      entry: quotaEntry({ type: 'microsoft.network/locations/usages', quotaName: 'PublicIPAddresses' }),
      reason: 'quota alert on microsoft.network/locations/usages is not a compute vCPU quota',
    },
  ])('a quota entry with $what → ignored with the reason, never a throw', ({ entry, reason }) => {
    expect(parseAlertBody(quotaAlert({ entries: [entry] }))).toEqual([
      {
        kind: 'ignored',
        id: `${QUOTA_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T10:00:00.000Z',
        reason,
        eventType: 'Log Alerts V2/gpu-quota-usage',
      },
    ]);
  });

  it('in a multi-entry alert an ignored entry is keyed by its position', () => {
    const signals = parseAlertBody(quotaAlert({ entries: [quotaEntry(), quotaEntry({ quotaName: 'availabilitySets' })] }));
    expect(signals.map((s) => [s.kind, s.id])).toEqual([
      ['quotaPressure', `${QUOTA_ALERT}:Fired:eastus2:standardNCADSA100v4Family`],
      ['ignored', `${QUOTA_ALERT}:Fired:#1`],
    ]);
  });

  it('a quota entry next to a non-quota entry: the other is ignored on its own', () => {
    const other = { searchQuery: 'Heartbeat | count', metricMeasureColumn: null, dimensions: [], metricValue: 3 };
    const signals = parseAlertBody(quotaAlert({ entries: [other, quotaEntry()] }));
    expect(signals).toMatchObject([
      { kind: 'ignored', id: `${QUOTA_ALERT}:Fired:#0`, reason: 'Log Alerts V2 condition 0 is not a quota condition (query: Heartbeat | count)' },
      { kind: 'quotaPressure', id: `${QUOTA_ALERT}:Fired:eastus2:standardNCADSA100v4Family` },
    ]);
  });

  it('the fixture with its metricValue as a string, and with dimensions as an object map', () => {
    const base = fixture('monitor-common-log-alert-quota-usage.json');
    const asString = withField(base, 'data.alertContext.condition.allOf', [
      { ...((base['data'] as any).alertContext.condition.allOf[0] as object), metricValue: '87.0' },
    ]);
    expect(parseAlertBody(asString)).toMatchObject([{ kind: 'quotaPressure', usagePercent: 87 }]);
    const asMap = withField(base, 'data.alertContext.condition.allOf', [
      {
        ...((base['data'] as any).alertContext.condition.allOf[0] as object),
        dimensions: { type: 'microsoft.compute/locations/usages', location: 'westus2', quotaName: 'cores' },
      },
    ]);
    expect(parseAlertBody(asMap)).toEqual(parseAlertBody(base));
  });
});

describe('Log Alerts V2 that are not about quota', () => {
  it('→ one ignored naming the gist of the query (whitespace collapsed, cut)', () => {
    const query = 'KubePodInventory\n| where   Namespace == "ray"\n| summarize count() by Computer, ClusterName, PodStatus, ContainerStatusReason';
    const body = quotaAlert({ entries: [{ searchQuery: query, metricMeasureColumn: null, dimensions: [{ name: 'Computer', value: 'x' }], metricValue: 3 }] });
    expect(parseAlertBody(body)).toEqual([
      {
        kind: 'ignored',
        id: `${QUOTA_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T10:00:00.000Z',
        reason: 'Log Alerts V2 alert is not a quota alert (query: KubePodInventory | where Namespace == "ray" | summarize cou…)',
        eventType: 'Log Alerts V2/gpu-quota-usage',
      },
    ]);
  });

  it.each([
    ['alertContext missing', undefined],
    ['alertContext without condition', { conditionType: 'LogQueryCriteria' }],
    ['allOf not an array', { condition: { allOf: 'x' } }],
    ['allOf empty', { condition: { allOf: [] } }],
  ])('%s → ignored, not an error', (_what, ctx) => {
    const body = withField(quotaAlert(), 'data.alertContext', ctx);
    expect(parseAlertBody(body)).toMatchObject([
      { kind: 'ignored', reason: 'Log Alerts V2 alert without a search query is not a quota alert' },
    ]);
  });

  it('condition as JSON text is read like an object', () => {
    const body = quotaAlert();
    const ctx = (body['data'] as any).alertContext;
    ctx.condition = JSON.stringify(ctx.condition);
    expect(parseAlertBody(body)).toMatchObject([{ kind: 'quotaPressure', region: 'eastus2' }]);
  });
});

describe('Platform metric alerts', () => {
  it('a Compute usages metric with quotaName and location dimensions → quotaPressure', () => {
    const body = metricAlert([
      {
        metricName: 'UsagePercentage',
        metricNamespace: 'Microsoft.Compute/locations/usages',
        metricValue: '88.5',
        dimensions: [
          { name: 'location', value: 'eastus2' },
          { name: 'quotaName', value: 'standardNDSH100v5Family' },
        ],
      },
    ]);
    expect(parseAlertBody(body)).toEqual([
      {
        kind: 'quotaPressure',
        id: `${METRIC_ALERT}:Fired:eastus2:standardNDSH100v5Family`,
        source: 'commonAlert',
        observedAt: '2025-06-02T11:00:00.000Z',
        region: 'eastus2',
        family: 'standardNDSH100v5Family',
        usagePercent: 88.5,
        subscriptionId: SUB,
        stage: 'active',
      },
    ]);
  });

  it('a Compute usages count metric: region from the target id, percent from the limit dimension; Resolved', () => {
    const body = metricAlert(
      [
        {
          metricName: 'cores',
          metricNamespace: 'microsoft.compute/locations/usages',
          metricValue: 900,
          dimensions: [{ name: 'limit', value: '1000' }],
        },
      ],
      { monitorCondition: 'Resolved', resolvedDateTime: '2025-06-02T11:20:00Z', alertTargetIDs: [USAGES.replace('eastus2', 'westus3')] },
    );
    expect(parseAlertBody(body)).toEqual([
      {
        kind: 'quotaPressure',
        id: `${METRIC_ALERT}:Resolved:westus3:cores`,
        source: 'commonAlert',
        observedAt: '2025-06-02T11:20:00.000Z',
        region: 'westus3',
        family: 'cores',
        usagePercent: 90,
        used: 900,
        limit: 1000,
        subscriptionId: SUB,
        stage: 'resolved',
      },
    ]);
  });

  it.each([
    ['Percentage CPU', 'Microsoft.Compute/virtualMachines'],
    ['Usage', 'Microsoft.Compute/virtualMachineScaleSets'],
    ['Percentage CPU', 'Microsoft.Compute/virtualMachineScaleSets'],
    ['cores', 'Microsoft.Compute/virtualMachines'],
  ])('%s on %s is not quota → ignored naming the metric', (metricName, metricNamespace) => {
    const body = metricAlert([{ metricName, metricNamespace, dimensions: [{ name: 'location', value: 'eastus2' }] }]);
    expect(parseAlertBody(body)).toEqual([
      {
        kind: 'ignored',
        id: `${METRIC_ALERT}:Fired`,
        source: 'commonAlert',
        observedAt: '2025-06-02T11:00:00.000Z',
        reason: `Platform metric alert on ${metricName} (${metricNamespace}) is not handled (only microsoft.compute/locations/usages quota metrics are)`,
        eventType: 'Platform/fleet-metric-rule',
      },
    ]);
  });

  it('several non-quota metrics are all named, once each', () => {
    const body = metricAlert([
      { metricName: 'Percentage CPU', metricNamespace: 'Microsoft.Compute/virtualMachines' },
      { metricName: 'Available Memory Bytes', metricNamespace: 'Microsoft.Compute/virtualMachines' },
      { metricName: 'Percentage CPU', metricNamespace: 'Microsoft.Compute/virtualMachines' },
    ]);
    expect(only(parseAlertBody(body))).toMatchObject({
      kind: 'ignored',
      reason:
        'Platform metric alert on Percentage CPU (Microsoft.Compute/virtualMachines), Available Memory Bytes (Microsoft.Compute/virtualMachines) is not handled (only microsoft.compute/locations/usages quota metrics are)',
    });
  });

  it('a Compute usages metric without a quota name → ignored, not an error', () => {
    const body = metricAlert([
      { metricName: 'UsagePercentage', metricNamespace: 'Microsoft.Compute/locations/usages', dimensions: [] },
    ]);
    expect(parseAlertBody(body)).toMatchObject([
      { kind: 'ignored', reason: 'quota alert names no quotaName (split the rule by the quotaName dimension)' },
    ]);
  });

  it('a metric alert without criteria → ignored', () => {
    const body = withField(fixture('monitor-common-metric-alert-static.json'), 'data.alertContext', undefined);
    expect(parseAlertBody(body)).toMatchObject([
      { kind: 'ignored', reason: 'Platform metric alert without a metric criterion is not handled' },
    ]);
  });
});
