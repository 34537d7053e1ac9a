/** `autopilot start --scenario <name> [--speed n] [--seed n]`: which game day the live stack plays, checked before anything starts. */
import { ConfigError } from '../../shared/config/problems.js';
import { DEFAULT_SPEED, liveStackOptions, type LiveSetup } from './liveGameDay.js';
import { loadScenario, type Scenario } from './scenario.js';
import { resolveScenario, UnknownScenarioError } from './scenarioFiles.js';

export interface StartGameDay {
  readonly scenario: Scenario;
  readonly speed: number;
  readonly seed?: number;
  readonly setup: LiveSetup;
}

/** undefined: plain `start` (the built-in demo). A string: what is wrong with the arguments. */
export async function startGameDay(args: readonly string[]): Promise<StartGameDay | undefined | string> {
  let name: string | undefined;
  let speed = DEFAULT_SPEED;
  let seed: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === '--scenario' && value) { name = value; i++; }
    else if (flag === '--speed' && value && Number(value) > 0) { speed = Number(value); i++; }
    else if (flag === '--seed' && value && /^\d+$/.test(value)) { seed = Number(value); i++; }
    else return `unexpected argument "${flag}"; usage: autopilot start [--scenario <name> [--speed n] [--seed n]]`;
  }
  if (!name) return args.length ? '--speed and --seed need --scenario <name>' : undefined;
  try {
    const scenario = await loadScenario(resolveScenario(name));
    return { scenario, speed, ...(seed !== undefined ? { seed } : {}), setup: liveStackOptions(scenario, speed) };
  } catch (e) {
    if (e instanceof UnknownScenarioError || e instanceof ConfigError) return e.message;
    throw e;
  }
}
