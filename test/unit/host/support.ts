/** Helpers shared by the local host tests. */
import { fileURLToPath } from 'node:url';
import type { LogRecord } from '../../../local/host/localHost.js';

export const FIXTURE_ENTRY = fileURLToPath(new URL('../../support/functionsFixture/index.ts', import.meta.url));
export const KEY = 'test-function-key';

export function logSink(): { records: LogRecord[]; log: (r: LogRecord) => void } {
  const records: LogRecord[] = [];
  return { records, log: (r) => records.push(r) };
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
