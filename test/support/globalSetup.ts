/**
 * Vitest globalSetup: one Azurite for the whole run (in memory, free loopback ports, HTTPS + `--oauth basic`), with
 * a self-signed certificate cached in <repo>/.local/certs (gitignored). Tests get the endpoints and the CA through
 * `inject('storage')`; see test/support/storage.ts. No account keys or connection strings anywhere.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../../local/azurite.js';
import { ensureLocalCertificate } from '../../local/tls.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ProvidedStorage {
  /** `https://127.0.0.1:PORT/devstoreaccount1` */
  blobEndpoint: string;
  tableEndpoint: string;
  /** PEM of the self-signed certificate Azurite serves; trust it with `new https.Agent({ ca })`. */
  caPem: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    storage: ProvidedStorage;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cert = await ensureLocalCertificate(join(REPO_ROOT, '.local', 'certs'));
  const azurite = await startAzurite({ cert, silent: true });
  if (process.env.AZURITE_TIMING) console.log(`azurite ready in ${azurite.startupMs} ms`);
  project.provide('storage', {
    blobEndpoint: azurite.blobEndpoint,
    tableEndpoint: azurite.tableEndpoint,
    caPem: cert.cert,
  });
  return () => azurite.stop();
}
