import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutate, mutationArb as mutationArb_ } from '../../support/mutation.js';
import { ARM_REGION_NAMES, SignalParseError, parseAlertBody, type Signal } from '../../../shared/signals/index.js';
import {
  EUS2_SWEDEN_SERVICES,
  activityLogAlert,
  commonServiceHealth,
  dcgmXidAlert,
  fixture,
  fixtureNames,
  kubeNodeNotReady,
  legacyActivityLog,
  legacyResourceHealth,
  legacyServiceHealth,
  logAlertV1,
  metricAlert,
  prometheusAlert,
  quotaAlert,
  quotaEntry,
  withField,
} from './alertBodies.js';

/** Parse, and fail the property on anything thrown that is not a SignalParseError. */
function parseOrParseError(body: unknown): Signal[] | SignalParseError {
  try {
    return parseAlertBody(body);
  } catch (e) {
    if (e instanceof SignalParseError) {
      expect(typeof e.field).toBe('string');
      expect(e.field.length).toBeGreaterThan(0);
      return e;
    }
    throw e;
  }
}

function checkSignals(signals: Signal[]): void {
  expect(Array.isArray(signals)).toBe(true);
  // An id is an idempotency key: never twice in one body.
  expect(new Set(signals.map((s) => s.id)).size).toBe(signals.length);
  for (const s of signals) {
    expect(typeof s.id).toBe('string');
    expect(s.id.length).toBeGreaterThan(0);
    expect(['commonAlert', 'legacyAlert']).toContain(s.source);
    expect(new Date(s.observedAt).toISOString()).toBe(s.observedAt);
    if (s.kind === 'regionOutage') {
      expect(s.regions.length).toBeGreaterThan(0);
      for (const r of s.regions) expect(ARM_REGION_NAMES.has(r)).toBe(true);
      expect(['active', 'resolved']).toContain(s.stage);
      expect(s.trackingId.length).toBeGreaterThan(0);
    }
    if (s.kind === 'quotaPressure') {
      expect(ARM_REGION_NAMES.has(s.region)).toBe(true);
      expect(s.family.length).toBeGreaterThan(0);
      expect(Number.isFinite(s.usagePercent) && s.usagePercent >= 0).toBe(true);
      for (const n of [s.used, s.limit]) if (n !== undefined) expect(Number.isFinite(n) && n >= 0).toBe(true);
      expect(['active', 'resolved']).toContain(s.stage);
    }
    if (s.kind === 'nodeNotReady' || s.kind === 'gpuFault') {
      expect(typeof s.node).toBe('string');
      expect(s.node.trim().length).toBeGreaterThan(0);
      expect(['active', 'resolved']).toContain(s.stage);
    }
    if (s.kind === 'gpuFault' && s.xid !== undefined) {
      expect(Number.isSafeInteger(s.xid) && s.xid > 0).toBe(true);
    }
    if (s.kind === 'ignored') {
      expect(s.reason.length).toBeGreaterThan(0);
    }
  }
}

const validBodies: Record<string, unknown>[] = [
  commonServiceHealth(),
  commonServiceHealth({ impactedServices: EUS2_SWEDEN_SERVICES, stage: 'Resolved' }),
  legacyServiceHealth(),
  legacyServiceHealth({ dataStatus: 'Resolved' }),
  quotaAlert(),
  quotaAlert({
    monitorCondition: 'Resolved',
    entries: [
      quotaEntry({ metricValue: '91', usage: '364', quota: '400' }),
      quotaEntry({ location: 'West US 3', quotaName: 'lowPriorityCores', subscriptionId: '22222222-2222-2222-2222-222222222222' }),
      quotaEntry({ location: 'swedencentral', quotaName: 'cores', metricMeasureColumn: null, usage: 10, quota: 20 }),
    ],
  }),
  metricAlert([
    {
      metricName: 'UsagePercentage',
      metricNamespace: 'Microsoft.Compute/locations/usages',
      dimensions: [
        { name: 'location', value: 'eastus2' },
        { name: 'quotaName', value: 'standardNCADSA100v4Family' },
      ],
    },
    { metricName: 'Percentage CPU', metricNamespace: 'Microsoft.Compute/virtualMachines' },
  ]),
  kubeNodeNotReady(),
  kubeNodeNotReady({ monitorCondition: 'Resolved', alertName: 'KubeNodeReadinessFlapping' }),
  dcgmXidAlert({ errCode: '79' }),
  dcgmXidAlert({ errCode: '48', node: null, hostname: 'aks-gpunp-12345678-vmss000002', monitorCondition: 'Resolved' }),
  prometheusAlert({ alertName: 'KubePodCrashLooping' }),
  activityLogAlert(),
  legacyActivityLog(),
  legacyResourceHealth(),
  logAlertV1({ firedDateTime: undefined }),
  ...fixtureNames('monitor-')
    .map((n) => fixture(n))
    .filter((b) => 'schemaId' in b),
];

const mutationArb = mutationArb_(['', 'Global', 'East US 2', 'Resolved', 'RCA', 'Incident', '0001-01-01T00:00:00', '{"', '[]', '__proto__', 'toString']);

describe('parseAlertBody never throws anything but SignalParseError', () => {
  it('random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseOrParseError(v);
        if (!(r instanceof SignalParseError)) checkSignals(r);
      }),
      { numRuns: 1000 },
    );
  });

  it('random JSON objects that claim a known schema', () => {
    const claimed = fc.record({
      schemaId: fc.constantFrom('azureMonitorCommonAlertSchema', 'Microsoft.Insights/activityLogs', 'AZUREMONITORCOMMONALERTSCHEMA'),
      data: fc.jsonValue({ maxDepth: 4 }),
    });
    fc.assert(
      fc.property(claimed, (v) => {
        const r = parseOrParseError(v);
        if (!(r instanceof SignalParseError)) checkSignals(r);
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary JavaScript values (not only JSON)', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true, withMap: true, withDate: true }), (v) => {
        const r = parseOrParseError(v);
        if (!(r instanceof SignalParseError)) checkSignals(r);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated versions of valid bodies, and a re-delivery of the mutant parses identically', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: validBodies.length - 1 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        (i, mutations) => {
          const body = mutate(validBodies[i] as Record<string, unknown>, mutations);
          const r = parseOrParseError(body);
          if (r instanceof SignalParseError) {
            // The same bad body always fails on the same field.
            expect((parseOrParseError(structuredClone(body)) as SignalParseError).field).toBe(r.field);
          } else {
            checkSignals(r);
            expect(parseOrParseError(JSON.parse(JSON.stringify(body)))).toEqual(r);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('mutated bodies parsed with a fleet index: still only SignalParseError, still well-formed signals', () => {
    const fleet = {
      clusters: [
        {
          id: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-gpu-eus2',
          name: 'aks-gpu-eus2',
          region: 'eastus2',
        },
      ],
    };
    fc.assert(
      fc.property(fc.nat({ max: validBodies.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (i, mutations) => {
        const body = mutate(validBodies[i] as Record<string, unknown>, mutations);
        try {
          checkSignals(parseAlertBody(body, { fleet }));
        } catch (e) {
          if (!(e instanceof SignalParseError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('every valid body parses', () => {
    for (const b of validBodies) {
      const r = parseOrParseError(b);
      expect(r).not.toBeInstanceOf(SignalParseError);
    }
  });

  it('the valid bodies cover every signal kind the alert parsers produce', () => {
    const kinds = new Set(validBodies.flatMap((b) => parseAlertBody(b).map((s) => s.kind)));
    expect([...kinds].sort()).toEqual(['gpuFault', 'ignored', 'nodeNotReady', 'quotaPressure', 'regionOutage', 'resourceHealth']);
  });
});

describe('Fired/Resolved pairs', () => {
  const stageBearing = validBodies.filter(
    (b) =>
      (b['schemaId'] as string) === 'azureMonitorCommonAlertSchema' &&
      parseAlertBody(b).some((s) => s.kind === 'quotaPressure' || s.kind === 'nodeNotReady' || s.kind === 'gpuFault'),
  );

  it('there are stage-bearing bodies of every alert family', () => {
    expect(stageBearing.length).toBeGreaterThanOrEqual(6);
  });

  it('monitorCondition decides the stage of every quota/node/GPU signal, and Fired and Resolved ids never meet', () => {
    fc.assert(
      fc.property(fc.constantFrom(...stageBearing), fc.constantFrom('Fired', 'fired', 'FIRED'), fc.constantFrom('Resolved', 'resolved'), (body, f, r) => {
        const fired = parseAlertBody(withField(body, 'data.essentials.monitorCondition', f));
        const resolved = parseAlertBody(withField(body, 'data.essentials.monitorCondition', r));
        for (const s of fired) if ('stage' in s && s.kind !== 'regionOutage') expect(s.stage).toBe('active');
        for (const s of resolved) if ('stage' in s && s.kind !== 'regionOutage') expect(s.stage).toBe('resolved');
        const firedIds = new Set(fired.map((s) => s.id));
        for (const s of resolved) expect(firedIds.has(s.id)).toBe(false);
        expect(fired.every((s) => s.id.includes(':Fired'))).toBe(true);
        expect(resolved.every((s) => s.id.includes(':Resolved'))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
