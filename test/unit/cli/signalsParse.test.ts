/** `npx autopilot signals parse <file>`, run as a user would (through the package's bin). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/autopilot.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
const fixture = (name: string) => join(ROOT, 'test/fixtures/signals', name);

describe('autopilot signals parse', () => {
  it('prints the signals of an Event Grid body as a JSON array', () => {
    const r = run('signals', 'parse', fixture('eventgrid-aks-nodepool-rolling-failed.json'));
    expect(r.status, r.stderr).toBe(0);
    const signals = JSON.parse(r.stdout);
    expect(signals).toMatchObject([{ kind: 'poolRollout', phase: 'failed', pool: 'nodepool1', source: 'eventGrid' }]);
  });

  it('prints the signals of an Azure Monitor alert body', () => {
    const r = run('signals', 'parse', fixture('monitor-common-prometheus-kube-node-not-ready.json'));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ kind: 'nodeNotReady', source: 'commonAlert' });
  });

  it('prints the deadline of a Spot preemption (occurredTime + 30 s) with the node it takes away', () => {
    const r = run('signals', 'parse', fixture('eventgrid-arn-health-resource-annotated-spot-preempted.json'));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([
      { kind: 'resourceHealth', status: 'unavailable', node: 'aks-spotgpu-12345678-vmss00000a', deadline: '2025-04-15T20:12:12.123Z' },
    ]);
  });

  it('exits 2 with a clear message for a body it cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-cli-'));
    writeFileSync(join(dir, 'nope.json'), JSON.stringify({ hello: 'world' }));
    writeFileSync(join(dir, 'broken.json'), '{"schemaId": ');
    const notABody = run('signals', 'parse', join(dir, 'nope.json'));
    expect(notABody.status).toBe(2);
    expect(notABody.stderr).toMatch(/is not a body it can read: /);
    const broken = run('signals', 'parse', join(dir, 'broken.json'));
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/cannot read .*broken\.json/);
    expect(run('signals', 'parse', join(dir, 'missing.json')).status).toBe(2);
    expect(run('frobnicate').status).toBe(2);
  });
});
