import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARM_REGION_NAMES, SignalParseError, parseAlertBody, type Signal } from '../../../shared/signals/index.js';
import { EUS2_SWEDEN_SERVICES, commonServiceHealth, fixture, fixtureNames, legacyServiceHealth } from './alertBodies.js';

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
  }
}

const validBodies: Record<string, unknown>[] = [
  commonServiceHealth(),
  commonServiceHealth({ impactedServices: EUS2_SWEDEN_SERVICES, stage: 'Resolved' }),
  legacyServiceHealth(),
  legacyServiceHealth({ dataStatus: 'Resolved' }),
  ...fixtureNames('monitor-')
    .map((n) => fixture(n))
    .filter((b) => 'schemaId' in b),
];

type Path = (string | number)[];

function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      paths(x, [...prefix, i], out);
    });
  } else if (typeof v === 'object' && v !== null) {
    for (const k of Object.keys(v)) {
      out.push([...prefix, k]);
      paths((v as Record<string, unknown>)[k], [...prefix, k], out);
    }
  }
  return out;
}

type Mutation = { at: number; op: 'set' | 'delete' | 'stringify' | 'recase' | 'numberToString'; value: unknown };

function mutate(body: Record<string, unknown>, mutations: Mutation[]): unknown {
  let root: unknown = structuredClone(body);
  for (const m of mutations) {
    const all = paths(root);
    if (all.length === 0) {
      root = m.value;
      continue;
    }
    const p = all[m.at % all.length] as Path;
    const parent = p.slice(0, -1).reduce<any>((o, k) => o[k], root);
    const key = p[p.length - 1] as string | number;
    const current = parent[key];
    switch (m.op) {
      case 'set':
        parent[key] = m.value;
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case 'stringify':
        parent[key] = JSON.stringify(current ?? null);
        break;
      case 'numberToString':
        parent[key] = typeof current === 'number' ? String(current) : typeof current === 'string' ? Number(current) : current;
        break;
      case 'recase':
        if (!Array.isArray(parent) && typeof key === 'string') {
          delete parent[key];
          parent[key.toLowerCase() === key ? key.toUpperCase() : key.toLowerCase()] = current;
        }
        break;
    }
  }
  return root;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set', 'delete', 'stringify', 'recase', 'numberToString'),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('', 'Global', 'East US 2', 'Resolved', 'RCA', 'Incident', '0001-01-01T00:00:00', '{"', '[]', '__proto__', 'toString'),
  ),
});

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

  it('every valid body parses', () => {
    for (const b of validBodies) {
      const r = parseOrParseError(b);
      expect(r).not.toBeInstanceOf(SignalParseError);
    }
  });
});
