/**
 * The `autopilot` command (DESIGN §7). `start` is what `npm start` runs; `signals parse <file>`
 * prints the signals one inbound body becomes.
 */
import { readFile } from 'node:fs/promises';
import { parseInboundBody } from '../../shared/signals/parseInbound.js';
import { SignalParseError } from '../../shared/signals/types.js';

const USAGE = `usage:
  autopilot start [--scenario <name> [--speed n]]
                                     run the local twin, host and demo (what npm start runs); with
                                     --scenario, play that game day instead, n× faster (default 20)
  autopilot signals parse <file>     print the JSON array of signals for one inbound body
                                     (Azure Monitor alert, Event Grid or CloudEvents delivery)
  autopilot plan --fleet <file> --signal <file>...
                                     print, as JSON, what the autopilot would do for these signals
                                     against a fresh fleet (all regions healthy, no jobs); acts on nothing
  autopilot simulate <scenario> [--json] [--report <file.html>] [--seed n]
                                     run a game day from scenarios/ (or a file) in virtual time and print its
                                     figures; --report writes an HTML report with plots`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, sub, file] = argv;
  if (command === 'start') {
    const { start } = await import('./start.js');
    await start(argv.slice(1));
    return 0;
  }
  if (command === 'signals' && sub === 'parse' && file) {
    let body: unknown;
    try {
      body = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      console.error(`autopilot: cannot read ${file}: ${(e as Error).message}`);
      return 2;
    }
    try {
      const parsed = parseInboundBody(body);
      if (parsed.kind === 'validation') {
        console.error(`autopilot: ${file} is an Event Grid subscription validation (${parsed.schema}); it carries no signals`);
        console.log('[]');
        return 0;
      }
      console.log(JSON.stringify(parsed.signals, null, 2));
      return 0;
    } catch (e) {
      if (e instanceof SignalParseError) {
        console.error(`autopilot: ${file} is not a body it can read: ${e.message}`);
        return 2;
      }
      throw e;
    }
  }
  if (command === 'simulate') {
    const { simulateCommand } = await import('./simulateCommand.js');
    return simulateCommand(argv.slice(1));
  }
  if (command === 'plan') {
    const { planCommand } = await import('./planCommand.js');
    return planCommand(argv.slice(1));
  }
  console.error(USAGE);
  return 2;
}

const code = await main(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
