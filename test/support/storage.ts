/**
 * Storage wiring for tests: the Azurite endpoints from globalSetup, a static fake-JWT credential and an HTTPS agent
 * that trusts Azurite's self-signed certificate (and nothing else). Never a DefaultAzureCredential here.
 */
import https from 'node:https';
import { inject } from 'vitest';
import { StaticTokenCredential } from '../../local/fakeCredential.js';

export interface TestStorage {
  credential: StaticTokenCredential;
  agent: https.Agent;
  blobEndpoint: string;
  tableEndpoint: string;
}

export function testStorage(): TestStorage {
  const { blobEndpoint, tableEndpoint, caPem } = inject('storage');
  return {
    credential: new StaticTokenCredential(),
    agent: new https.Agent({ ca: caPem, keepAlive: true }),
    blobEndpoint,
    tableEndpoint,
  };
}
