/**
 * Starts the project's own Azurite (node_modules/.bin/azurite) in memory, on free loopback ports, with HTTPS and
 * `--oauth basic`, so clients use the same identity-based path as production (TokenCredential, no account keys).
 * Local development and tests only.
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AzuriteOptions {
  cert: { certPath: string; keyPath: string };
  /** Default true: pass `--silent` (no per-request access log) and do not echo Azurite's output. */
  silent?: boolean;
  /** Default 20 000 ms. */
  startTimeoutMs?: number;
}

export interface RunningAzurite {
  /** `https://127.0.0.1:PORT/devstoreaccount1` */
  blobEndpoint: string;
  tableEndpoint: string;
  queueEndpoint: string;
  pid: number;
  /** Spawn to "all three services listening". */
  startupMs: number;
  /** Kills Azurite and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

const ACCOUNT = 'devstoreaccount1';
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const AZURITE_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'azurite');
const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (https?):\/\/([^\s:/]+):(\d+)/g;

/**
 * Preloaded into the Azurite process: exit as soon as our end of its stdin pipe closes. That happens on `stop()`
 * and also when this process dies in any way (even SIGKILL, where no 'exit' hook runs), so Azurite never outlives
 * the process that started it.
 */
const WATCHDOG =
  'data:text/javascript,' +
  encodeURIComponent(
    "process.stdin.on('end',()=>process.exit(0));process.stdin.on('error',()=>process.exit(0));process.stdin.resume();",
  );

function azuriteScript(): string {
  if (!existsSync(AZURITE_BIN)) {
    throw new Error(`Azurite is not installed at ${AZURITE_BIN}; run \`npm ci\` in ${REPO_ROOT}`);
  }
  // .bin/azurite is a symlink to azurite's dist/src/azurite.js; run that file with this very node binary.
  return realpathSync(AZURITE_BIN);
}

export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
  const silent = options.silent ?? true;
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const script = azuriteScript();
  // --location cannot be combined with --inMemoryPersistence, and Azurite uses its cwd as workspace (telemetry
  // state, debug logs): give it a throwaway cwd so nothing lands in the repo.
  const workdir = await mkdtemp(join(tmpdir(), 'azurite-'));
  const args = [
    '--import', WATCHDOG,
    script,
    '--inMemoryPersistence',
    '--skipApiVersionCheck', // the SDKs send newer x-ms-version values than Azurite 3.35 knows
    '--disableTelemetry',
    '--oauth', 'basic',
    '--cert', options.cert.certPath,
    '--key', options.cert.keyPath,
    '--blobHost', '127.0.0.1', '--blobPort', '0',
    '--queueHost', '127.0.0.1', '--queuePort', '0',
    '--tableHost', '127.0.0.1', '--tablePort', '0',
    ...(silent ? ['--silent'] : []),
  ];
  const env = { ...process.env };
  delete env.AZURITE_ACCOUNTS; // custom accounts would replace devstoreaccount1

  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: workdir, env, stdio: ['pipe', 'pipe', 'pipe'] });

  const cleanupDir = () => rmSync(workdir, { recursive: true, force: true });
  const onParentExit = () => {
    child.kill('SIGKILL');
    cleanupDir();
  };
  process.on('exit', onParentExit);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let output = '';
  const remember = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
    if (!silent) process.stderr.write(chunk);
  };
  child.stderr.on('data', remember);

  let stopped = false;
  const stop = async () => {
    if (stopped) return exited;
    stopped = true;
    child.stdin.end(); // the watchdog exits on EOF
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    process.off('exit', onParentExit);
    cleanupDir();
  };

  try {
    const ports = await new Promise<Record<'Blob' | 'Queue' | 'Table', number>>((resolve, reject) => {
      const found: Partial<Record<'Blob' | 'Queue' | 'Table', number>> = {};
      let scanned = '';
      const timer = setTimeout(
        () => reject(new Error(`Azurite did not report its listening ports within ${timeoutMs} ms. Output:\n${output}`)),
        timeoutMs,
      );
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`could not start Azurite (${script}): ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited during startup (code ${code}, signal ${signal}). Output:\n${output}`));
      });
      child.stdout.on('data', (chunk: Buffer) => {
        remember(chunk);
        if (found.Blob && found.Queue && found.Table) return;
        scanned += chunk.toString('utf8');
        for (const m of scanned.matchAll(LISTENING)) {
          const [, service, protocol, , port] = m as unknown as [string, 'Blob' | 'Queue' | 'Table', string, string, string];
          if (protocol !== 'https') {
            clearTimeout(timer);
            reject(new Error(`Azurite ${service} is listening over ${protocol}, expected https (were --cert/--key ignored?)`));
            return;
          }
          found[service] = Number(port);
        }
        if (found.Blob && found.Queue && found.Table) {
          clearTimeout(timer);
          resolve(found as Record<'Blob' | 'Queue' | 'Table', number>);
        }
      });
    });
    const startupMs = Math.round(performance.now() - t0);
    // Keep draining Azurite's stdout after startup so a full pipe can never block it.
    const url = (port: number) => `https://127.0.0.1:${port}/${ACCOUNT}`;
    return {
      blobEndpoint: url(ports.Blob),
      queueEndpoint: url(ports.Queue),
      tableEndpoint: url(ports.Table),
      pid: child.pid!,
      startupMs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
