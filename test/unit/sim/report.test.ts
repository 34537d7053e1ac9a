import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../local/sim/driver.js';
import { computeFigures } from '../../../local/sim/figures.js';
import { renderReport } from '../../../local/sim/report.js';
import { loadScenario } from '../../../local/sim/scenario.js';
import { resolveScenario } from '../../../local/sim/scenarioFiles.js';

describe('the game-day report', () => {
  it('is one self-contained page with the figures, the four plots and every action with its reason', async () => {
    const run = await runScenario(await loadScenario(resolveScenario('region-outage')));
    const figures = await computeFigures(run);
    const html = renderReport(run, figures);
    // Self-contained: nothing is fetched, nothing runs.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)|src=|href="http/i);
    // The plots, each an inline SVG under its caption.
    for (const caption of ['GPUs per region', 'Intake queue depth', 'Jobs by state', 'Actions over time']) {
      expect(html).toMatch(new RegExp(`<figcaption>${caption}[^<]*</figcaption><svg viewBox=`));
    }
    // Each region is named on its line (readable without colour), and the outage is marked.
    for (const region of ['eastus2', 'swedencentral', 'westus3']) expect(html).toContain(`${region} (`);
    expect(html).toContain('eastus2 down');
    // The figures, and every action with the plan's reason and its outcome.
    expect(html).toMatch(/jobs lost<\/th><td>0</);
    expect(html).toMatch(/recovery ÷ physical floor<\/th><td>\d+\.\d{3}</);
    expect(html).toContain('train-001: eastus2 is impaired (Service Health incident SH-EUS2-1); requeue as attempt 2 from its last checkpoint, excluding eastus2');
    expect(html).toMatch(/sent train-001:2 to the intake queue, resumeFrom runs\/train-001\/checkpoint_\d+/);
    expect((html.match(/<tr><td>\+\d+:\d\d(:\d\d)?<\/td><td>requeueJob<\/td><td>done</g) ?? []).length).toBe(figures.actions.requeueJob);
    // Lays out for laptops and wide screens.
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toMatch(/@media \(min-width: 1400px\)/);
  });
});
