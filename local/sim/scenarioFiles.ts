/** Where scenarios live: `scenarios/<name>.yaml` in the repository, or any path to a scenario file. */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** The names in scenarios/, sorted. */
export function scenarioNames(): string[] {
  if (!existsSync(SCENARIOS_DIR)) return [];
  return readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}

export class UnknownScenarioError extends Error {
  override readonly name = 'UnknownScenarioError';
}

/** A name from scenarios/ or a path (relative to the working directory). Throws UnknownScenarioError. */
export function resolveScenario(nameOrPath: string, cwd = process.cwd()): string {
  if (/^[a-z][a-z0-9-]*$/.test(nameOrPath) && existsSync(join(SCENARIOS_DIR, `${nameOrPath}.yaml`))) return join(SCENARIOS_DIR, `${nameOrPath}.yaml`);
  const path = isAbsolute(nameOrPath) ? nameOrPath : resolve(cwd, nameOrPath);
  if ((nameOrPath.includes('/') || /\.ya?ml$/.test(nameOrPath)) && existsSync(path)) return path;
  throw new UnknownScenarioError(`unknown scenario "${nameOrPath}": not a name in scenarios/ (${scenarioNames().join(', ') || 'none'}) nor a file`);
}
