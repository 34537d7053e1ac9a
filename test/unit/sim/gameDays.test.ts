/** The library's own game days, as `autopilot simulate` runs them: what the autopilot must never do. */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../local/sim/driver.js';
import { computeFigures } from '../../../local/sim/figures.js';
import { loadScenario } from '../../../local/sim/scenario.js';
import { resolveScenario } from '../../../local/sim/scenarioFiles.js';

const play = async (name: string) => computeFigures(await runScenario(await loadScenario(resolveScenario(name))));

describe('game days', () => {
  it('region-outage: the region\'s jobs move and run again, none lost, none run twice', async () => {
    const f = await play('region-outage');
    expect({ lost: f.lost, runTwice: f.runTwice, errors: f.invocationErrors, unreadable: f.unreadableAlerts }).toEqual({ lost: [], runTwice: [], errors: [], unreadable: [] });
    expect(f).toMatchObject({ jobsLost: 0, jobsRunTwice: 0, jobsSubmitted: 24 });
    expect(f.recoveries).toHaveLength(1);
    expect(f.recoveries[0]).toMatchObject({ unrecovered: 0, neededNewNodes: true });
    expect(f.actions.requeueJob).toBe(f.recoveries[0]!.interrupted);
  });

  it('bad-day: everything at once, still none lost and none run twice', async () => {
    const f = await play('bad-day');
    expect({ lost: f.lost, runTwice: f.runTwice, errors: f.invocationErrors, unreadable: f.unreadableAlerts }).toEqual({ lost: [], runTwice: [], errors: [], unreadable: [] });
    expect(f).toMatchObject({ jobsLost: 0, jobsRunTwice: 0, jobsSubmitted: 30 });
    // Every kind of disruption happened, and every interrupted job ran again.
    expect(f.recoveries.map((r) => r.disruption.split(' ')[0])).toEqual(expect.arrayContaining(['eastus2', 'GPU', 'Spot', 'nodes', 'westus3']));
    expect(f.recoveries.every((r) => r.unrecovered === 0)).toBe(true);
    // The storm of duplicated quota alerts never became a storm of PUTs.
    expect(f.signals.duplicate).toBeGreaterThan(500);
    expect(f.armWrites).toBeLessThan(30);
  });
});
