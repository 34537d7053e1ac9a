import { describe, expect, it } from 'vitest';
import { KqlValueError, kqlLet, kqlString, kqlStringList } from '../../../../shared/adapters/monitor/kql.js';
import { recogniseNodeReadiness } from '../../../../local/twin/monitor/logsAnswer.js';
import { NODE_READINESS_BODY, nodeReadinessQuery, windowDuration } from '../../../../shared/adapters/monitor/nodeReadinessQuery.js';

const ID = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-fleet-eastus2/providers/Microsoft.ContainerService/managedClusters/aks-eastus2-a';

describe('KQL literals', () => {
  it('escapes backslash and double quote so a value cannot end its string', () => {
    expect(kqlString('plain')).toBe('"plain"');
    expect(kqlString('a"b')).toBe('"a\\"b"');
    expect(kqlString('a\\"); KubeNodeInventory | take 1 //')).toBe('"a\\\\\\"); KubeNodeInventory | take 1 //"');
    expect(kqlString('c:\\dir\\')).toBe('"c:\\\\dir\\\\"');
  });

  it('refuses control characters and line breaks instead of escaping them', () => {
    for (const bad of ['a\nb', 'a\rb', 'tab\there', 'nul\u0000', 'ls\u2028']) {
      expect(() => kqlString(bad)).toThrow(KqlValueError);
    }
  });

  it('writes lists as dynamic arrays and only binds valid identifiers', () => {
    expect(kqlStringList(['a', 'b"c'])).toBe('dynamic(["a", "b\\"c"])');
    expect(kqlStringList([])).toBe('dynamic([])');
    expect(kqlLet('clusterIds', 'dynamic([])')).toBe('let clusterIds = dynamic([]);');
    expect(() => kqlLet('x; drop', '1')).toThrow(KqlValueError);
  });
});

describe('node readiness query', () => {
  it('is the marker, one let binding with the ids, and a fixed body', () => {
    expect(nodeReadinessQuery([ID, ID.replace('-a', '-b')])).toBe([
      '// autopilot:node-readiness v1',
      `let clusterIds = dynamic(["${ID}", "${ID.replace('-a', '-b')}"]);`,
      'KubeNodeInventory',
      '| where ClusterId in~ (clusterIds)',
      '| summarize arg_max(TimeGenerated, Status) by Cluster = tolower(ClusterId), Computer',
      '| project Cluster, Computer, Ready = set_has_element(split(Status, ","), "Ready"), TimeGenerated',
    ].join('\n'));
  });

  it('keeps values out of the body whatever they hold', () => {
    const hostile = ['x"]); KubePodInventory | take 1000 //', 'y\\', '"'];
    const q = nodeReadinessQuery(hostile);
    expect(q.endsWith(`\n${NODE_READINESS_BODY}`)).toBe(true);
    expect(q.split('\n')).toHaveLength(2 + NODE_READINESS_BODY.split('\n').length);
    // Read back as KQL would (the twin's parser of the let line): the same values, nothing more.
    const read = recogniseNodeReadiness(q);
    expect(read).toEqual({ ok: true, clusterIds: hostile });
  });

  it('the twin knows exactly this body: one changed character and it refuses', () => {
    expect(recogniseNodeReadiness(nodeReadinessQuery([ID])).ok).toBe(true);
    const changed = nodeReadinessQuery([ID]).replace('in~', 'in');
    expect(recogniseNodeReadiness(changed)).toMatchObject({ ok: false, reason: expect.stringContaining('differs from the one the twin knows') });
    expect(recogniseNodeReadiness('KubeNodeInventory | take 1')).toMatchObject({ ok: false, reason: expect.stringContaining('does not interpret KQL') });
  });

  it('asks for whole minutes from 1 to a day', () => {
    expect(windowDuration(15)).toBe('PT15M');
    expect(windowDuration(1440)).toBe('PT1440M');
    for (const bad of [0, -5, 1.5, 1441, Number.NaN]) expect(windowDuration(bad)).toBeUndefined();
  });
});
