/**
 * In-memory EntityStore for unit tests of the pure core. Same observable semantics as TableEntityStore (the contract
 * tests in test/contract/tableEntityStore.test.ts run the same table against both):
 * - values go in and come out through JSON (so no shared references, `undefined` fields vanish, Dates become strings);
 * - every write gets a new etag; replace with a stale etag (or of a missing entity) throws ConcurrencyError;
 * - the same key/size limits (it reuses the Table adapter's codec), and `list` in the same order (by encoded key).
 */
import { ConcurrencyError, type EntityStore, type Versioned } from '../../ports/entityStore.js';
import { assertConcreteEtag, encodeTableKey, serializeValue } from './tableEntityStore.js';

interface Row {
  key: string;
  json: string;
  etag: string;
}

export class MemoryEntityStore implements EntityStore {
  /** encoded partition → encoded key → row */
  private readonly partitions = new Map<string, Map<string, Row>>();
  private version = 0;

  private nextEtag(): string {
    this.version += 1;
    return `W/"mem-${this.version}"`;
  }

  private row(partition: string, key: string): Row | undefined {
    return this.partitions.get(encodeTableKey(partition))?.get(encodeTableKey(key));
  }

  async get<T>(partition: string, key: string): Promise<Versioned<T> | undefined> {
    const row = this.row(partition, key);
    return row ? { value: JSON.parse(row.json) as T, etag: row.etag } : undefined;
  }

  async create<T>(partition: string, key: string, value: T): Promise<'created' | 'exists'> {
    const pk = encodeTableKey(partition);
    const rk = encodeTableKey(key);
    const json = serializeValue(partition, key, value);
    let rows = this.partitions.get(pk);
    if (rows?.has(rk)) return 'exists';
    if (!rows) this.partitions.set(pk, (rows = new Map()));
    rows.set(rk, { key, json, etag: this.nextEtag() });
    return 'created';
  }

  async replace<T>(partition: string, key: string, value: T, etag: string): Promise<string> {
    assertConcreteEtag(etag);
    const json = serializeValue(partition, key, value);
    const row = this.row(partition, key);
    if (!row || row.etag !== etag) throw new ConcurrencyError(partition, key);
    row.json = json;
    row.etag = this.nextEtag();
    return row.etag;
  }

  async list<T>(partition: string): Promise<Array<Versioned<T> & { key: string }>> {
    const rows = this.partitions.get(encodeTableKey(partition));
    if (!rows) return [];
    // Table Storage returns a partition ordered by RowKey (ordinal comparison of the encoded key).
    return [...rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({ key: row.key, value: JSON.parse(row.json) as T, etag: row.etag }));
  }
}
