/**
 * `autopilot simulate <scenario> [--json] [--report <file.html>] [--seed n]`: a game day in virtual time (an hour of
 * fleet time in about a second), its figures as a table, or as one JSON object with `--json`, and optionally an
 * HTML report. Exit 2 for an unknown scenario, an invalid file (naming every bad field) or bad arguments.
 */
import { writeFile } from 'node:fs/promises';
import { ConfigError } from '../../shared/config/problems.js';
import { runScenario } from '../sim/driver.js';
import { computeFigures } from '../sim/figures.js';
import { renderReport } from '../sim/report.js';
import { loadScenario } from '../sim/scenario.js';
import { resolveScenario, UnknownScenarioError } from '../sim/scenarioFiles.js';
import { summaryJson, summaryLines } from '../sim/summary.js';

const USAGE = 'usage: autopilot simulate <scenario> [--json] [--report <file.html>] [--seed n]';

export async function simulateCommand(args: readonly string[]): Promise<number> {
  let scenarioArg: string | undefined;
  let json = false;
  let reportPath: string | undefined;
  let seed: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--report' && args[i + 1]) reportPath = args[++i];
    else if (arg === '--seed' && args[i + 1] !== undefined && /^\d+$/.test(args[i + 1]!)) seed = Number(args[++i]);
    else if (!arg.startsWith('--') && scenarioArg === undefined) scenarioArg = arg;
    else { console.error(`autopilot simulate: unexpected argument "${arg}"; ${USAGE}`); return 2; }
  }
  if (!scenarioArg) { console.error(`autopilot simulate: which scenario? ${USAGE}`); return 2; }

  let scenario;
  try {
    scenario = await loadScenario(resolveScenario(scenarioArg));
  } catch (e) {
    if (e instanceof UnknownScenarioError || e instanceof ConfigError) { console.error(`autopilot simulate: ${e.message}`); return 2; }
    throw e;
  }
  const run = await runScenario(scenario, seed !== undefined ? { seed } : {});
  const figures = await computeFigures(run);
  if (reportPath) await writeFile(reportPath, renderReport(run, figures));
  if (json) console.log(JSON.stringify(summaryJson(figures)));
  else {
    for (const line of summaryLines(figures)) console.log(line);
    if (reportPath) console.log(`  report: ${reportPath}`);
  }
  return 0;
}
