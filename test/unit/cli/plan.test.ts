/** `npx autopilot plan --fleet … --signal …`: what-if from the command line. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serviceHealthAlertBody } from '../../../local/twin/serviceHealthAlert.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/autopilot.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
const FLEET = `regions:
  eastus2:
    clusters:
      - id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-e
        gpus: 8
        ray: { endpoint: "https://ray-e.example.internal" }
  westus3:
    clusters:
      - id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-w
        gpus: 8
        ray: { endpoint: "https://ray-w.example.internal" }
`;

describe('autopilot plan', () => {
  it('plans each signal on top of the previous ones: a second impaired region freezes the autopilot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-plan-'));
    writeFileSync(join(dir, 'fleet.yaml'), FLEET);
    const at = new Date();
    writeFileSync(join(dir, 'a.json'), JSON.stringify(serviceHealthAlertBody({ subscriptionId: 's', trackingId: 'T-1', regions: ['East US 2'], stage: 'Active', at })));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(serviceHealthAlertBody({ subscriptionId: 's', trackingId: 'T-2', regions: ['West US 3'], stage: 'Active', at })));
    const r = run('plan', '--fleet', join(dir, 'fleet.yaml'), '--signal', join(dir, 'a.json'), '--signal', join(dir, 'b.json'));
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.executed).toBe(false);
    expect(out.steps.map((s: { plan: { actions: Array<{ kind: string }> } }) => s.plan.actions.map((a) => a.kind))).toEqual([['applyIncident'], ['applyIncident', 'freeze']]);
    expect(out.steps[1].plan.reasons.join(' ')).toMatch(/eastus2 and westus3 impaired/);
  });

  it('names every problem of a bad fleet file, and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-plan-'));
    writeFileSync(join(dir, 'fleet.yaml'), 'regions:\n  East US: {}\n');
    writeFileSync(join(dir, 'a.json'), '{}');
    const r = run('plan', '--fleet', join(dir, 'fleet.yaml'), '--signal', join(dir, 'a.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/regions\.East US/);
    expect(run('plan', '--fleet', join(dir, 'fleet.yaml')).status).toBe(2);
  });
});
