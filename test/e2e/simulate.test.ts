/** `autopilot simulate` as a person runs it: the bin, a scenario name, --json / --report, and clear refusals. */
import { spawnSync } from 'node:child_process';
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
    expect(figures.recoveryRatio).toBeGreaterThanOrEqual(1);
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
