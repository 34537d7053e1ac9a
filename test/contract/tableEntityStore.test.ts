/**
 * EntityStore contract: the same behavioural table runs against TableEntityStore (real @azure/data-tables SDK →
 * Azurite over HTTPS with a fake-JWT TokenCredential) and against MemoryEntityStore, so the fake cannot drift.
 */
import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../local/fakeCredential.js';
import { MemoryEntityStore } from '../../shared/adapters/storage/memoryEntityStore.js';
import {
  EntityTooLargeError,
  MAX_VALUE_BYTES,
  TableEntityStore,
  decodeTableKey,
  encodeTableKey,
} from '../../shared/adapters/storage/tableEntityStore.js';
import { ConcurrencyError, type EntityStore } from '../../shared/ports/entityStore.js';
import { testStorage } from '../support/storage.js';

const storage = testStorage();
// Table names: alphanumeric, 3–63 chars, starting with a letter. Unique per run of this file.
const TABLE = `contract${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

const ARM_POOL_ID =
  '/subscriptions/0000-1111/resourceGroups/rg-gpu-westeurope/providers/Microsoft.ContainerService/managedClusters/aks-we-1/agentPools/a100';
const AWKWARD_KEYS = [
  ARM_POOL_ID,
  'alertId:Fired',
  'a#b?c\\d/e',
  'tab\there\nnewline\u0000nul\u007fdel\u0085nel',
  "quote'single\"double",
  '100% ~2F literal tilde',
  '~2F', // must not collide with '/'
  '/',
  'ünïcødé ✓ 𝔾',
  ' leading and trailing ',
];

let partitionCounter = 0;
/** A fresh partition per test, so tests do not see each other's entities. */
const freshPartition = (label: string) => `${label}-${++partitionCounter}-${randomBytes(2).toString('hex')}`;

const implementations: Array<[string, () => Promise<EntityStore>]> = [
  [
    'tables (Azurite)',
    () =>
      TableEntityStore.create({
        endpoint: storage.tableEndpoint,
        tableName: TABLE,
        credential: storage.credential,
        agent: storage.agent,
      }),
  ],
  ['memory', async () => new MemoryEntityStore()],
];

describe.each(implementations)('EntityStore contract: %s', (_name, make) => {
  let store: EntityStore;
  beforeAll(async () => {
    store = await make();
  });

  it('create writes once; a second create reports exists and writes nothing', async () => {
    const p = freshPartition('create');
    expect(await store.create(p, 'k', { n: 1 })).toBe('created');
    expect(await store.create(p, 'k', { n: 2 })).toBe('exists');
    expect((await store.get<{ n: number }>(p, 'k'))?.value).toEqual({ n: 1 });
  });

  it('get returns undefined for a missing entity, and value + etag for a present one', async () => {
    const p = freshPartition('get');
    expect(await store.get(p, 'missing')).toBeUndefined();
    await store.create(p, 'k', { nested: { list: [1, 'two', null, true] }, s: 'x' });
    const got = await store.get(p, 'k');
    expect(got?.value).toEqual({ nested: { list: [1, 'two', null, true] }, s: 'x' });
    expect(typeof got?.etag).toBe('string');
    expect(got?.etag.length).toBeGreaterThan(0);
    // Same partition, other key; same key, other partition.
    expect(await store.get(p, 'k2')).toBeUndefined();
    expect(await store.get(freshPartition('get-other'), 'k')).toBeUndefined();
  });

  it('replace with the current etag writes and returns a new etag that get then reports', async () => {
    const p = freshPartition('replace');
    await store.create(p, 'k', { v: 1 });
    const first = (await store.get(p, 'k'))!;
    const etag2 = await store.replace(p, 'k', { v: 2 }, first.etag);
    expect(etag2).not.toBe(first.etag);
    const second = (await store.get(p, 'k'))!;
    expect(second).toEqual({ value: { v: 2 }, etag: etag2 });
    // The etag returned by replace is itself usable for the next replace.
    const etag3 = await store.replace(p, 'k', { v: 3 }, etag2);
    expect(new Set([first.etag, etag2, etag3]).size).toBe(3);
    expect((await store.get(p, 'k'))?.value).toEqual({ v: 3 });
  });

  it('replace with a stale etag throws ConcurrencyError and leaves the value unchanged', async () => {
    const p = freshPartition('stale');
    await store.create(p, 'k', { owner: 'a' });
    const stale = (await store.get(p, 'k'))!.etag;
    const winner = await store.replace(p, 'k', { owner: 'b' }, stale);
    const err = await store.replace(p, 'k', { owner: 'c' }, stale).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(err).toMatchObject({ name: 'ConcurrencyError', partition: p, key: 'k' });
    expect(await store.get(p, 'k')).toEqual({ value: { owner: 'b' }, etag: winner });
  });

  it('replace of a missing entity throws ConcurrencyError and creates nothing', async () => {
    const p = freshPartition('replace-missing');
    await store.create(p, 'other', 1);
    const etag = (await store.get(p, 'other'))!.etag;
    await expect(store.replace(p, 'missing', 1, etag)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.get(p, 'missing')).toBeUndefined();
  });

  it("replace refuses the wildcard etag '*' (it would be a blind overwrite)", async () => {
    const p = freshPartition('wildcard');
    await store.create(p, 'k', 1);
    await expect(store.replace(p, 'k', 2, '*')).rejects.toBeInstanceOf(TypeError);
    expect((await store.get(p, 'k'))?.value).toBe(1);
  });

  it('list returns exactly one partition, with decoded keys, values, current etags, ordered by encoded key', async () => {
    const p = freshPartition('list');
    const sibling = `${p}0`; // a partition whose name extends p's must not leak in
    for (const key of ['b', '/x/y', 'a:Fired', 'a']) await store.create(p, key, { key });
    await store.create(sibling, 'a', { key: 'sibling' });
    const etagB = await store.replace(p, 'b', { key: 'b', v: 2 }, (await store.get(p, 'b'))!.etag);

    const listed = await store.list<{ key: string; v?: number }>(p);
    // RowKey order of the *encoded* keys: '/' is encoded as '~2F', and '~' sorts after letters.
    expect(listed.map((e) => e.key)).toEqual(['a', 'a:Fired', 'b', '/x/y']);
    expect(listed.find((e) => e.key === 'b')).toEqual({ key: 'b', value: { key: 'b', v: 2 }, etag: etagB });
    for (const entry of listed) expect(entry.etag).toBe((await store.get(p, entry.key))!.etag);
    expect(await store.list(freshPartition('list-empty'))).toEqual([]);
  });

  it('round-trips awkward partitions and keys (ARM ids, `alertId:Fired`, / \\ # ?, control chars, ~ and %)', async () => {
    const run = freshPartition('keys');
    for (const [i, key] of AWKWARD_KEYS.entries()) {
      expect(await store.create(`${run}${key}`, key, { i })).toBe('created');
    }
    for (const [i, key] of AWKWARD_KEYS.entries()) {
      expect((await store.get(`${run}${key}`, key))?.value).toEqual({ i });
    }
    // All in one partition too: distinct raw keys stay distinct entities and list decodes them back.
    const p = freshPartition('keys-one');
    for (const [i, key] of AWKWARD_KEYS.entries()) await store.create(p, key, i);
    const listed = await store.list<number>(p);
    expect(new Set(listed.map((e) => e.key))).toEqual(new Set(AWKWARD_KEYS));
    for (const e of listed) expect(e.value).toBe(AWKWARD_KEYS.indexOf(e.key));
    expect((await store.get(p, ARM_POOL_ID))?.value).toBe(0);
  });

  it('refuses an oversize value with a clear error, writes nothing, and accepts one just under the limit', async () => {
    const p = freshPartition('size');
    // JSON of { s } is s.length + 8 UTF-16 code units; the limit is MAX_VALUE_BYTES / 2 code units.
    const limitUnits = MAX_VALUE_BYTES / 2;
    const under = { s: 'x'.repeat(limitUnits - 8) };
    const over = { s: 'x'.repeat(limitUnits - 7) };
    const err = await store.create(p, 'big', over).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EntityTooLargeError);
    expect((err as Error).message).toMatch(/limit is 61440 bytes/);
    expect(await store.get(p, 'big')).toBeUndefined();

    expect(await store.create(p, 'fits', under)).toBe('created');
    expect((await store.get<{ s: string }>(p, 'fits'))?.value.s.length).toBe(limitUnits - 8);
    const etag = (await store.get(p, 'fits'))!.etag;
    await expect(store.replace(p, 'fits', over, etag)).rejects.toBeInstanceOf(EntityTooLargeError);
    expect((await store.get(p, 'fits'))?.etag).toBe(etag);
  });

  it('values are copied in and out (JSON semantics: undefined fields dropped, Dates become strings)', async () => {
    const p = freshPartition('copy');
    const input = { list: [1], inner: { a: 1 }, gone: undefined, at: new Date(0) };
    await store.create(p, 'k', input);
    input.list.push(2);
    input.inner.a = 99;
    const out = (await store.get<{ list: number[]; inner: { a: number } }>(p, 'k'))!;
    expect(out.value).toEqual({ list: [1], inner: { a: 1 }, at: '1970-01-01T00:00:00.000Z' });
    expect('gone' in out.value).toBe(false);
    out.value.list.push(3);
    expect((await store.get(p, 'k'))?.value).toEqual({ list: [1], inner: { a: 1 }, at: '1970-01-01T00:00:00.000Z' });
    const [listed] = await store.list<{ list: number[] }>(p);
    listed!.value.list.push(4);
    expect((await store.get<{ list: number[] }>(p, 'k'))?.value.list).toEqual([1]);
  });

  it('refuses values that are not JSON', async () => {
    const p = freshPartition('nonjson');
    await expect(store.create(p, 'k', undefined)).rejects.toBeInstanceOf(TypeError);
    expect(await store.get(p, 'k')).toBeUndefined();
  });
});

describe('TableEntityStore wiring (identity-based, HTTPS)', () => {
  it('authenticates with the TokenCredential for the storage scope', async () => {
    const credential = new StaticTokenCredential();
    const store = await TableEntityStore.create({
      endpoint: storage.tableEndpoint,
      tableName: TABLE,
      credential,
      agent: storage.agent,
    });
    await store.get('wiring', 'k');
    expect(credential.scopesSeen.flat()).toContain('https://storage.azure.com/.default');
  });

  it('is refused with a token for another audience (Azurite really checks OAuth)', async () => {
    const wrongAudience = new StaticTokenCredential({ audience: 'https://management.azure.com' });
    const store = new TableEntityStore(
      new TableClient(storage.tableEndpoint, TABLE, wrongAudience, { agent: storage.agent }),
    );
    await expect(store.get('wiring', 'k')).rejects.toMatchObject({ statusCode: 403 });
  });

  it('fails TLS verification without the agent that trusts the local certificate', async () => {
    await expect(
      TableEntityStore.create({ endpoint: storage.tableEndpoint, tableName: TABLE, credential: storage.credential }),
    ).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  it('creating the store for an existing table is fine', async () => {
    const a = await TableEntityStore.create({ endpoint: storage.tableEndpoint, tableName: TABLE, credential: storage.credential, agent: storage.agent });
    const b = await TableEntityStore.create({ endpoint: storage.tableEndpoint, tableName: TABLE, credential: storage.credential, agent: storage.agent });
    const p = freshPartition('twice');
    expect(await a.create(p, 'k', 1)).toBe('created');
    expect(await b.create(p, 'k', 1)).toBe('exists');
  });
});

describe('table key codec', () => {
  it('round-trips any string and never emits characters Table Storage refuses', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (raw) => {
        const encoded = encodeTableKey(raw);
        expect(encoded).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
        expect(decodeTableKey(encoded)).toBe(raw);
      }),
      { numRuns: 2000 },
    );
  });

  it('is readable for ordinary keys and escapes ARM ids', () => {
    expect(encodeTableKey('alertId:Fired')).toBe('alertId:Fired');
    expect(encodeTableKey('/subscriptions/s/resourceGroups/rg')).toBe('~2Fsubscriptions~2Fs~2FresourceGroups~2Frg');
    expect(encodeTableKey('~2F')).toBe('~7E2F');
  });

  it('refuses keys longer than Table Storage allows', () => {
    expect(() => encodeTableKey('k'.repeat(512))).not.toThrow();
    expect(() => encodeTableKey('k'.repeat(513))).toThrow(RangeError);
    expect(() => encodeTableKey('/'.repeat(171))).toThrow(RangeError); // 171 × '~2F' = 513 chars
  });
});
