/** `autopilot simulate` as a person runs it: the bin, a scenario name, --json / --report, and clear refusals. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/autopilot.mjs'), 'simulate', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

describe('autopilot simulate', () => {
  it('--json prints exactly one JSON object with the figures', () => {
    const r = run('region-outage', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const figures = JSON.parse(r.stdout);
    expect(Object.keys(figures).slice(0, 6)).toEqual(['jobsLost', 'jobsRunTwice', 'recoveryRatio', 'gpuHoursLost', 'armWrites', 'actions']);
    expect(figures).toMatchObject({ scenario: 'region-outage', seed: 1, jobsLost: 0, jobsRunTwice: 0, simulatedSeconds: 3600 });
    // At the physical floor (DESIGN §8: ≤ 1.05); a hair under 1 when the job starts in the tick its nodes arrive.
    expect(figures.recoveryRatio).toBeGreaterThanOrEqual(0.99);
    expect(figures.recoveryRatio).toBeLessThanOrEqual(1.05);
    expect(figures.actions.requeueJob).toBeGreaterThan(0);
    expect(figures.armWrites).toBeGreaterThan(0);
  }, 60_000);

  it('prints a table for people and writes the report where asked; --seed picks the seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-sim-'));
    const report = join(dir, 'report.html');
    const r = run('flapping-region', '--report', report, '--seed', '3');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Game day flapping-region \(seed 3\): 60 min of fleet time in [\d.]+ s/);
    expect(r.stdout).toMatch(/jobs lost\s+0\n/);
    expect(r.stdout).toMatch(/recovery ÷ physical floor\s+\d+\.\d{3}/);
    expect(r.stdout).toContain(`report: ${report}`);
    expect(readFileSync(report, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<svg viewBox=/);
  }, 60_000);

  it('refuses an unknown scenario and a bad file with a clear message naming the field, exit 2', () => {
    const unknown = run('volcano');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scenario "volcano": not a name in scenarios\/ \(alert-storm, .*region-outage.*\) nor a file/);

    const dir = mkdtempSync(join(tmpdir(), 'autopilot-sim-'));
    const missing = run(join(dir, 'missing.yaml'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/unknown scenario ".*missing\.yaml"/);

    const original = readFileSync(join(ROOT, 'scenarios/region-outage.yaml'), 'utf8');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, original.replace('count: 24', 'count: many'));
    const shape = run(bad, '--json');
    expect(shape.status).toBe(2);
    expect(shape.stdout).toBe('');
    expect(shape.stderr).toMatch(/jobs\.0\.count: /);

    writeFileSync(bad, original.replace('{ at: 15m, event: regionDown, region: eastus2', '{ at: 15m, event: regionDown, region: uksouth'));
    const region = run(bad);
    expect(region.status).toBe(2);
    expect(region.stderr).toMatch(/timeline\.0\.region: uksouth is not a region of the fleet/);
  }, 60_000);
});

describe('autopilot start --scenario', () => {
  it('refuses an unknown game day before starting anything', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/autopilot.mjs'), 'start', '--scenario', 'volcano'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PORT: '0' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/autopilot start: unknown scenario "volcano"/);
    expect(r.stdout).not.toMatch(/Starting/);
  });

  it('plays a game day on the live stack, faster than fleet time, says what it could not play, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-live-'));
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, `
name: tiny
description: eastus2 fails for two minutes
duration: 6m
fleet:
  provisioning: 1m
  regions:
    eastus2:
      quota: { familyVcpus: 576, regionalVcpus: 1000 }
      clusters:
        - name: aks-eastus2-a
          pools: [{ name: gpu, vmSize: Standard_NC24ads_A100_v4, count: 8, minCount: 2, maxCount: 16 }]
        - name: aks-elsewhere
          pools: [{ name: gpu, vmSize: Standard_NC24ads_A100_v4, count: 8, minCount: 2, maxCount: 16 }]
jobs:
  - { name: tiny, count: 2, gpus: 2, steps: 600, checkpointEvery: 20, every: 5s }
timeline:
  - { at: 2m, event: regionDown, region: eastus2, trackingId: SH-TINY }
  - { at: 3m, event: gpuXid, cluster: aks-elsewhere, nodes: 1 }
  - { at: 4m, event: regionUp, region: eastus2, trackingId: SH-TINY }
`);
    const child = spawn(process.execPath, [join(ROOT, 'bin/autopilot.mjs'), 'start', '--scenario', file, '--speed', '60'], { cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 60_000;
    while (!/★ Game day tiny played/.test(out)) {
      if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`the game day did not finish:\n${out}`); }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(out).toMatch(/Game day: tiny at 60× \(6 min of fleet time in 0\.1 min\)/);
    expect(out).toMatch(/not played \(no stack hook for it\): timeline\.1 gpuXid at 180 s: cluster aks-elsewhere is not in this fleet/);
    expect(out).toMatch(/◆ eastus2 goes dark; Service Health incident SH-TINY Active/);
    expect(out).toMatch(/◆ eastus2 is back; Service Health incident SH-TINY Resolved/);
    expect(out).toMatch(/2 jobs submitted/);
    expect(out).toMatch(/ticks in which a job ran twice: 0/);
    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    expect(out).toContain('Stopped. Nothing left running.');
  }, 90_000);
});
