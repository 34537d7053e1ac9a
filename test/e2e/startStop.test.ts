/** `autopilot start` (what `npm start` runs) comes up, says where to look, and Ctrl-C leaves no process behind. */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const childrenOf = (pid: number): number[] => {
  try { return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter(Boolean); } catch { return []; }
};

describe('autopilot start', () => {
  it('starts the twin and the host, prints where to look, and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli/autopilot.ts', 'start'], {
      cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!/Demo: a job every/.test(out)) {
      if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`did not start:\n${out}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).toMatch(/Azurite \(Tables, Blobs; HTTPS \+ OAuth\) ready/);
    expect(out).toMatch(/Local Functions host on http:\/\/127\.0\.0\.1:\d+ serving: .*onMonitorAlert.*onJobQueued/);
    expect(out).toMatch(/curl -s -H 'x-functions-key: [\w-]+' http:\/\/127\.0\.0\.1:\d+\/api\/fleet/);
    const descendants = childrenOf(child.pid!);
    expect(descendants.length).toBeGreaterThan(0); // Azurite
    child.kill('SIGINT');
    const code = await exited;
    expect(out).toContain('Stopped. Nothing left running.');
    expect(code, out).toBe(0);
    // Azurite is gone before "Stopped" is printed; tsx's esbuild service exits when its parent's pipe
    // closes, which on a loaded machine can take a moment. Nothing may outlive a few seconds.
    const deadline2 = Date.now() + 5_000;
    while (descendants.some(alive) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 100));
    expect(descendants.filter(alive)).toEqual([]);
  }, 60_000);
});
