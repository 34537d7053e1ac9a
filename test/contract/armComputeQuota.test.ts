/**
 * Contract: `ComputeQuota` through the real `@azure/arm-compute` client (usage.list, following nextLink) against
 * the ARM face of the twin over HTTPS.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArmTwin } from '../../local/twin/arm/armTwin.js';
import { startArmFace, type ArmFace } from '../../local/twin/arm/armFace.js';
import { StaticTokenCredential } from '../../local/fakeCredential.js';
import { ensureLocalCertificate, type LocalCertificate } from '../../local/tls.js';
import { ArmCallError } from '../../shared/adapters/arm/armErrors.js';
import { ComputeQuota } from '../../shared/adapters/arm/computeQuota.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SUB = '00000000-0000-0000-0000-000000000000';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-fleet-eastus2/providers/Microsoft.ContainerService/managedClusters/aks-ray-eastus2`;
const USAGES = JSON.parse(readFileSync(new URL('../fixtures/control-plane/compute-usages-list.eastus2.json', import.meta.url), 'utf8')) as {
  value: Array<{ unit: string; currentValue: number; limit: number; name: { value: string; localizedValue: string } }>;
};
const fixtureUsage = (name: string) => USAGES.value.find((u) => u.name.value === name)!;

let cert: LocalCertificate;
let agent: Agent;
let twin: ArmTwin;
let face: ArmFace;

beforeAll(async () => {
  cert = await ensureLocalCertificate(join(REPO, '.local', 'certs'));
  agent = new Agent({ ca: cert.cert });
});
afterAll(() => agent.destroy());

beforeEach(() => {
  twin = new ArmTwin({ provisioningMs: 50 });
  // Buckets as in the fixture (names exactly as Azure spells them, limits and other workloads' usage).
  for (const name of ['standardDDSv5Family', 'standardNDSH100v5Family', 'standardNCADSH100v5Family', 'StandardNCADSA100v4Family', 'Standard NDASv4_A100 Family']) {
    const u = fixtureUsage(name);
    twin.setQuota(SUB, 'eastus2', name, u.limit, { localizedValue: u.name.localizedValue });
  }
  twin.setQuota(SUB, 'eastus2', 'cores', 700);
  twin.setQuota(SUB, 'eastus2', 'lowPriorityCores', 400);
  twin.setBaseline(SUB, 'eastus2', 'standardDDSv5Family', 24); // the system pools nobody scales
  twin.addPool({ clusterId: CLUSTER, pool: 'gpuh100', vmSize: 'Standard_ND96isr_H100_v5', vcpusPerNode: 96, count: 2, family: 'standardNDSH100v5Family', region: 'eastus2', subscriptionId: SUB });
  twin.addPool({ clusterId: CLUSTER, pool: 'gpua100', vmSize: 'Standard_NC24ads_A100_v4', vcpusPerNode: 24, count: 1, family: 'standardNCADSA100v4Family', region: 'eastus2', subscriptionId: SUB });
  twin.addPool({ clusterId: CLUSTER, pool: 'gpuspot', vmSize: 'Standard_NC40ads_H100_v5', vcpusPerNode: 40, count: 4, spot: true, family: 'standardNCADSH100v5Family', region: 'eastus2', subscriptionId: SUB });
});
afterEach(async () => {
  await face?.close();
  twin.close();
});

const quota = (extra: Partial<ConstructorParameters<typeof ComputeQuota>[0]> = {}) =>
  new ComputeQuota({ credential: new StaticTokenCredential(), endpoint: face.url, agent, ...extra });

describe('ComputeQuota against the ARM face', () => {
  it('lists usages with names as Azure spells them, usage derived from the pools', async () => {
    face = await startArmFace(twin, { cert: cert.cert, key: cert.key });
    const usages = await quota().usages(SUB, 'eastus2');
    const byName = new Map(usages.map((u) => [u.name, u]));
    expect(byName.get('standardNDSH100v5Family')).toEqual({ name: 'standardNDSH100v5Family', used: 192, limit: 384 });
    // The pool says standardNCADSA100v4Family; the bucket keeps the casing it was set with.
    expect(byName.get('StandardNCADSA100v4Family')).toEqual({ name: 'StandardNCADSA100v4Family', used: 24, limit: 96 });
    expect(byName.get('Standard NDASv4_A100 Family')).toEqual({ name: 'Standard NDASv4_A100 Family', used: 0, limit: 0 });
    expect(byName.get('standardDDSv5Family')).toEqual({ name: 'standardDDSv5Family', used: 24, limit: 350 });
    // Spot counts in lowPriorityCores only; cores = every on-demand bucket.
    expect(byName.get('standardNCADSH100v5Family')).toEqual({ name: 'standardNCADSH100v5Family', used: 0, limit: 160 });
    expect(byName.get('lowPriorityCores')).toEqual({ name: 'lowPriorityCores', used: 160, limit: 400 });
    expect(byName.get('cores')).toEqual({ name: 'cores', used: 192 + 24 + 24, limit: 700 });
    expect(byName.get('virtualMachines')).toMatchObject({ used: 7 });
    expect(usages.map((u) => u.name).slice(0, 4)).toEqual(['availabilitySets', 'cores', 'virtualMachines', 'virtualMachineScaleSets']);
    expect(usages.at(-1)!.name).toBe('lowPriorityCores');
  });

  it('serves the wire shape of Microsoft.Compute usages', async () => {
    const wire = twin.usagesWire(SUB, 'eastus2');
    for (const item of wire) expect(Object.keys(item).sort()).toEqual(Object.keys(USAGES.value[0]!).sort());
    const h100 = wire.find((u) => u.name.value === 'standardNDSH100v5Family')!;
    expect(h100).toEqual({ ...fixtureUsage('standardNDSH100v5Family') }); // 192 of 384, same localized name
    expect(wire.find((u) => u.name.value === 'cores')!.name.localizedValue).toBe('Total Regional vCPUs');
    expect(wire.find((u) => u.name.value === 'lowPriorityCores')!.name.localizedValue).toBe('Total Regional Low-priority vCPUs');
  });

  it('follows nextLink across pages', async () => {
    face = await startArmFace(twin, { cert: cert.cert, key: cert.key, usagesPageSize: 3 });
    const usages = await quota().usages(SUB, 'eastus2');
    expect(usages.map((u) => u.name)).toEqual(twin.usage(SUB, 'eastus2').map((u) => u.name));
    const pages = face.requests.filter((r) => /\/usages\?/i.test(r.url));
    expect(pages.length).toBe(Math.ceil(usages.length / 3));
    expect(pages.slice(1).every((r) => /\$skiptoken=\d+/.test(r.url) && /api-version=/.test(r.url))).toBe(true);
  });

  it('sees a scale-up hold quota while it runs and after it succeeds', async () => {
    face = await startArmFace(twin, { cert: cert.cert, key: cert.key });
    const pool = twin.pool(CLUSTER, 'gpuh100')!;
    const put = twin.putPool(CLUSTER, 'gpuh100', { properties: { ...pool.resource.properties, count: 3 } }, { ifMatch: pool.eTag });
    expect(put).toMatchObject({ kind: 'reply', status: 200 });
    const used = async () => (await quota().usages(SUB, 'eastus2')).find((u) => u.name === 'standardNDSH100v5Family')!.used;
    expect(await used()).toBe(288);
    await new Promise((r) => setTimeout(r, 80));
    expect(twin.pool(CLUSTER, 'gpuh100')!.count).toBe(3);
    expect(await used()).toBe(288);
  });

  it('throws ArmCallError: invalid for a missing token, transient when nothing answers', async () => {
    face = await startArmFace(twin, { cert: cert.cert, key: cert.key });
    const noToken: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: '', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const unauthenticated = await quota({ credential: noToken }).usages(SUB, 'eastus2').catch((e: unknown) => e);
    expect(unauthenticated).toBeInstanceOf(ArmCallError);
    expect((unauthenticated as ArmCallError).failure).toMatchObject({ class: 'invalid', statusCode: 401, code: 'AuthenticationFailed' });

    const closed = quota({ maxRetries: 0 });
    await face.close();
    const down = await closed.usages(SUB, 'eastus2').catch((e: unknown) => e);
    expect(down).toBeInstanceOf(ArmCallError);
    expect((down as ArmCallError).failure).toMatchObject({ class: 'transient', code: 'ECONNREFUSED' });
  });
});
