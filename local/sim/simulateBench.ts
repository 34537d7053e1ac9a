/**
 * `npm run bench`, simulate section: the wall time one simulated hour takes (median of a few runs, as the machine is
 * shared and noisy), with the game day's figures, for region-outage and bad-day.
 */
import { runScenario } from './driver.js';
import { computeFigures } from './figures.js';
import { loadScenario } from './scenario.js';
import { resolveScenario } from './scenarioFiles.js';

const median = (xs: readonly number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

export async function simulateBench(names: readonly string[] = ['region-outage', 'bad-day'], runs = 5): Promise<string[]> {
  const lines = [`simulate (in process, virtual time; ${runs} runs each, median wall time):`];
  for (const name of names) {
    const scenario = await loadScenario(resolveScenario(name));
    const walls: number[] = [];
    let figures;
    for (let i = 0; i < runs; i++) {
      const run = await runScenario(scenario);
      walls.push(run.wallMs);
      figures = await computeFigures(run);
    }
    const hours = scenario.duration / 3_600_000;
    const f = figures!;
    lines.push(`  ${name}: ${(median(walls) / hours).toFixed(0)} ms of wall time per simulated hour  [${walls.map((w) => w.toFixed(0)).join(', ')}]; ` +
      `jobs lost ${f.jobsLost}, run twice ${f.jobsRunTwice}, recovery ÷ floor ${f.recoveryRatio?.toFixed(3) ?? 'n/a'} (target ≤ 1.05), GPU-hours lost ${f.gpuHoursLost.toFixed(3)}, ARM writes ${f.armWrites}`);
  }
  return lines;
}
