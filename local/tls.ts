/**
 * A self-signed TLS certificate for loopback stand-ins (Azurite with `--oauth basic` needs HTTPS, because the
 * Azure SDKs refuse to send bearer tokens over plain http). Local development and tests only; never deployed.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface LocalCertificate {
  certPath: string;
  keyPath: string;
  /** PEM; also what clients trust (`new https.Agent({ ca: cert })`), since the certificate is its own issuer. */
  cert: string;
  key: string;
}

const CERT_FILE = 'localhost.cert.pem';
const KEY_FILE = 'localhost.key.pem';
const LOCK_FILE = 'localhost.lock';
const DAY_MS = 24 * 60 * 60 * 1000;
const VALIDITY_DAYS = 365;

/**
 * Returns a certificate for `localhost` and `127.0.0.1` (subjectAltName), cached as PEM files in `dir`.
 * A cached pair is reused when it parses, the key matches, both names are covered and it is valid for more than a
 * day; otherwise a new pair is generated (selfsigned 5 is async-only and pure JS: no openssl binary needed).
 */
export async function ensureLocalCertificate(dir: string): Promise<LocalCertificate> {
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  const lockPath = join(dir, LOCK_FILE);
  const deadline = Date.now() + 30_000;
  // Several test runs may start at once (one Azurite each). Generation is serialised by an exclusive lock file, and
  // a usable pair is never overwritten, so a run never sees its files swapped under it.
  for (;;) {
    const cached = await readUsable(certPath, keyPath);
    if (cached) return cached;
    await mkdir(dir, { recursive: true });
    let lock;
    try {
      lock = await open(lockPath, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 60_000) await rm(lockPath, { force: true }); // left behind by a crashed process
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath} (remove it if no run is active)`);
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    try {
      return (await readUsable(certPath, keyPath)) ?? (await generateInto(certPath, keyPath));
    } finally {
      await lock.close();
      await rm(lockPath, { force: true });
    }
  }
}

async function generateInto(certPath: string, keyPath: string): Promise<LocalCertificate> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 5 * 60 * 1000), // tolerate small clock differences
    notAfterDate: new Date(now + VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  // Temporary names + rename: a reader never sees a half-written file.
  const suffix = `.${process.pid}.${now}.tmp`;
  await writeFile(keyPath + suffix, pems.private, { mode: 0o600 });
  await writeFile(certPath + suffix, pems.cert, { mode: 0o644 });
  await rename(keyPath + suffix, keyPath);
  await rename(certPath + suffix, certPath);
  return { certPath, keyPath, cert: pems.cert, key: pems.private };
}

async function readUsable(certPath: string, keyPath: string): Promise<LocalCertificate | undefined> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch {
    return undefined;
  }
  try {
    const x509 = new X509Certificate(cert);
    if (Date.parse(x509.validTo) - Date.now() < DAY_MS) return undefined;
    if (Date.parse(x509.validFrom) > Date.now()) return undefined;
    if (!x509.checkHost('localhost') || !x509.checkIP('127.0.0.1')) return undefined;
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
  } catch {
    return undefined;
  }
  return { certPath, keyPath, cert, key };
}
