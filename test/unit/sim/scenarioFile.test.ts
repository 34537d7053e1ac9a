import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config/problems.js';
import { parseDuration, parseScenario } from '../../../local/sim/scenario.js';
import { SCENARIOS_DIR, scenarioNames } from '../../../local/sim/scenarioFiles.js';

const problemsOf = (text: string): readonly string[] => {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('the scenario was accepted');
};

const VALID = `
name: tiny
description: one region, one job
duration: 10m
fleet:
  provisioning: 2m
  regions:
    eastus2:
      quota: { familyVcpus: 96, regionalVcpus: 200 }
      clusters:
        - name: aks-a
          pools: [{ name: gpu, vmSize: Standard_NC24ads_A100_v4, count: 2, minCount: 1, maxCount: 4 }]
jobs:
  - { name: t, count: 1, gpus: 1, steps: 100, checkpointEvery: 10 }
`;

describe('scenario files', () => {
  it('the library holds the nine game days, and every one validates', () => {
    expect(scenarioNames()).toEqual(['alert-storm', 'arm-throttling', 'bad-day', 'flapping-region', 'gpu-xid', 'node-failure-storm', 'quota-exhaustion', 'region-outage', 'spot-eviction-wave']);
    for (const name of scenarioNames()) {
      const s = parseScenario(readFileSync(join(SCENARIOS_DIR, `${name}.yaml`), 'utf8'), name);
      expect(s.name).toBe(name);
      expect(s.duration).toBe(3_600_000);
    }
  });

  it('reads durations as seconds or text', () => {
    expect(parseDuration(90)).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('accepts a small valid file with defaults filled in', () => {
    const s = parseScenario(VALID, 'tiny.yaml');
    expect(s).toMatchObject({ seed: 1, step: 1000, timeline: [], autopilot: { reconcileSchedule: '0 * * * * *', armPollInterval: 2000 } });
  });

  it('names the field of every problem, all at once', () => {
    const problems = problemsOf(VALID
      .replace('duration: 10m', 'duration: ten minutes')
      .replace('count: 2, minCount: 1', 'count: 9, minCount: 1')
      .replace('jobs:', 'timeline:\n  - { at: 5m, event: regionDown, region: westus9, trackingId: T1 }\n  - { at: 1m, event: armFault, kind: throttled }\njobs:'));
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^duration: "ten minutes" is not a duration/),
      expect.stringMatching(/^fleet\.regions\.eastus2\.clusters\.0\.pools\.0\.count: count 9 is outside minCount\.\.maxCount/),
      expect.stringMatching(/^timeline\.1\.for: give "for"/),
    ]));
    // Checks that need the whole file run once the shape is right, and also name the field.
    const more = problemsOf(VALID.replace('jobs:', 'policy: { recoveryHoldDownSecs: 5 }\ntimeline:\n  - { at: 5m, event: regionDown, region: westus3, trackingId: T1 }\n  - { at: 2h, event: regionUp, region: eastus2, trackingId: T1 }\njobs:')
      .replace('Standard_NC24ads_A100_v4', 'Standard_Imaginary_v9'));
    expect(more).toEqual(expect.arrayContaining([
      expect.stringMatching(/^timeline\.0\.region: westus3 is not a region of the fleet/),
      expect.stringMatching(/^timeline\.1\.at: 7200 s is after the end of the run/),
      expect.stringMatching(/^policy: .*recoveryHoldDownSecs/),
      expect.stringMatching(/^fleet\.regions\.eastus2\.clusters\.0\.pools\.0\.vmSize: Standard_Imaginary_v9 is not in the VM size catalogue/),
    ]));
  });

  it('an event of an unknown kind names the field and the kinds there are', () => {
    expect(problemsOf(VALID.replace('jobs:', 'timeline:\n  - { at: 1m, event: meteorStrike }\njobs:'))).toEqual([expect.stringMatching(/^timeline\.0\.event: /)]);
  });
});
