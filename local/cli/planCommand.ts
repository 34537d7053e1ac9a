/** `autopilot plan --fleet <file> --signal <file>…`: what-if from the command line; nothing is executed. */
import { readFile } from 'node:fs/promises';
import { MemoryEntityStore } from '../../shared/adapters/storage/memoryEntityStore.js';
import { ConfigError } from '../../shared/config/problems.js';
import { parseFleetFile } from '../../shared/fleet/fleetFile.js';
import { whatIf } from '../../shared/planner/whatIf.js';
import { parseInboundBody } from '../../shared/signals/parseInbound.js';
import { SignalParseError, type Signal } from '../../shared/signals/types.js';
import { FleetState } from '../../shared/state/fleetState.js';

export async function planCommand(args: readonly string[]): Promise<number> {
  let fleetPath: string | undefined;
  const signalPaths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === '--fleet' && value) { fleetPath = value; i++; }
    else if (flag === '--signal' && value) { signalPaths.push(value); i++; }
    else { console.error(`autopilot plan: unexpected argument "${flag}"; usage: autopilot plan --fleet <file> --signal <file>...`); return 2; }
  }
  if (!fleetPath || signalPaths.length === 0) {
    console.error('autopilot plan: needs --fleet <file> and at least one --signal <file>');
    return 2;
  }
  let fleet;
  try {
    fleet = parseFleetFile(await readFile(fleetPath, 'utf8'), fleetPath);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : `autopilot plan: cannot read ${fleetPath}: ${(e as Error).message}`);
    return 2;
  }
  const signals: Signal[] = [];
  for (const path of signalPaths) {
    try {
      const parsed = parseInboundBody(JSON.parse(await readFile(path, 'utf8')), { fleet: { clusters: fleet.clusters } });
      if (parsed.kind === 'signals') signals.push(...parsed.signals);
    } catch (e) {
      console.error(`autopilot plan: ${path}: ${e instanceof SignalParseError ? e.message : (e as Error).message}`);
      return 2;
    }
  }
  // A fresh fleet: every region healthy, nothing running, not frozen.
  const now = new Date();
  const snapshot = await new FleetState(new MemoryEntityStore(), fleet).snapshot(now);
  console.log(JSON.stringify({ executed: false, at: now.toISOString(), steps: whatIf(snapshot, signals, now) }, null, 2));
  return 0;
}
