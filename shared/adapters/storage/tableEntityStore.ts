/**
 * EntityStore over Azure Table Storage (`@azure/data-tables`), identity-based (TokenCredential; no account keys).
 *
 * Layout: one table entity per value. PartitionKey / RowKey are the port's partition / key, encoded with
 * `encodeTableKey` (Table keys may not contain `/ \ # ?` or control characters, and our keys are things like ARM
 * resource ids). The value is JSON in the string property `data`.
 */
import type { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { RestError, TableClient, odata } from '@azure/data-tables';
import { ConcurrencyError, type EntityStore, type Versioned } from '../../ports/entityStore.js';

/**
 * Largest accepted `data` property, in bytes as Table Storage counts them: string properties are UTF-16, limited to
 * 64 KiB per property (1 MiB per entity). We refuse above 60 KiB to keep headroom, i.e. 30 720 UTF-16 code units of
 * JSON. Shared by MemoryEntityStore so the fake refuses exactly what the real store refuses.
 */
export const MAX_VALUE_BYTES = 60 * 1024;
/** Table keys may be up to 1 KiB; in UTF-16 that is 512 code units of the *encoded* key. */
export const MAX_KEY_CHARS = 512;

export class EntityTooLargeError extends Error {
  override readonly name = 'EntityTooLargeError';
  constructor(readonly partition: string, readonly key: string, readonly bytes: number) {
    super(
      `value for ${partition}/${key} is ${bytes} bytes as stored (UTF-16 JSON); the limit is ${MAX_VALUE_BYTES} bytes ` +
        `(Table Storage allows 64 KiB per string property)`,
    );
  }
}

/** Serialises a value as the store keeps it, enforcing the size limit. */
export function serializeValue(partition: string, key: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`value for ${partition}/${key} is not JSON-serialisable`);
  const bytes = json.length * 2;
  if (bytes > MAX_VALUE_BYTES) throw new EntityTooLargeError(partition, key, bytes);
  return json;
}

/**
 * Characters Table Storage refuses in PartitionKey/RowKey: `/ \ # ?`, U+0000–U+001F and U+007F–U+009F. We also
 * escape our escape character `~`, `%` (some tools URL-decode keys) and `'` (OData string quote), so every key
 * round-trips. Each becomes `~XX` (two upper-case hex digits; all of them are below U+00A0).
 * `alertId:Fired` → `alertId:Fired`; `/subscriptions/s/resourceGroups/rg` → `~2Fsubscriptions~2Fs~2FresourceGroups~2Frg`.
 */
const NEEDS_ESCAPE = /[/\\#?~%'\u0000-\u001f\u007f-\u009f]/g;

export function encodeTableKey(raw: string): string {
  const encoded = raw.replace(NEEDS_ESCAPE, (c) => '~' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
  if (encoded.length > MAX_KEY_CHARS) {
    throw new RangeError(`table key too long (${encoded.length} > ${MAX_KEY_CHARS} encoded chars): ${raw.slice(0, 80)}…`);
  }
  return encoded;
}

export function decodeTableKey(encoded: string): string {
  return encoded.replace(/~([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

interface StoredEntity {
  partitionKey: string;
  rowKey: string;
  data: string;
}

function statusOf(err: unknown): number | undefined {
  return err instanceof RestError ? err.statusCode : (err as { statusCode?: number } | undefined)?.statusCode;
}

export interface TableEntityStoreOptions {
  /** `https://<account>.table.core.windows.net`, or Azurite's `https://127.0.0.1:PORT/devstoreaccount1`. */
  endpoint: string;
  tableName: string;
  credential: TokenCredential;
  /** Node-only HTTPS agent, e.g. one that trusts a local test CA. */
  agent?: Agent;
}

export class TableEntityStore implements EntityStore {
  constructor(private readonly client: TableClient) {}

  /** Builds the client and makes sure the table exists (an existing table is fine). */
  static async create(options: TableEntityStoreOptions): Promise<TableEntityStore> {
    const client = new TableClient(options.endpoint, options.tableName, options.credential, {
      ...(options.agent ? { agent: options.agent } : {}),
    });
    try {
      await client.createTable();
    } catch (err) {
      // The SDK already swallows TableAlreadyExists; tolerate it here as well in case that ever changes.
      if (statusOf(err) !== 409) throw err;
    }
    return new TableEntityStore(client);
  }

  async get<T>(partition: string, key: string): Promise<Versioned<T> | undefined> {
    try {
      const entity = await this.client.getEntity<StoredEntity>(encodeTableKey(partition), encodeTableKey(key));
      return { value: JSON.parse(entity.data) as T, etag: entity.etag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async create<T>(partition: string, key: string, value: T): Promise<'created' | 'exists'> {
    const entity: StoredEntity = {
      partitionKey: encodeTableKey(partition),
      rowKey: encodeTableKey(key),
      data: serializeValue(partition, key, value),
    };
    try {
      await this.client.createEntity(entity);
      return 'created';
    } catch (err) {
      if (statusOf(err) === 409) return 'exists';
      throw err;
    }
  }

  async replace<T>(partition: string, key: string, value: T, etag: string): Promise<string> {
    assertConcreteEtag(etag);
    const entity: StoredEntity = {
      partitionKey: encodeTableKey(partition),
      rowKey: encodeTableKey(key),
      data: serializeValue(partition, key, value),
    };
    try {
      const result = await this.client.updateEntity(entity, 'Replace', { etag });
      if (!result.etag) throw new Error(`Table service returned no etag for ${partition}/${key}`);
      return result.etag;
    } catch (err) {
      // 412: someone else wrote since our read. 404: someone deleted it; our etag cannot match either.
      const status = statusOf(err);
      if (status === 412 || status === 404) throw new ConcurrencyError(partition, key);
      throw err;
    }
  }

  async list<T>(partition: string): Promise<Array<Versioned<T> & { key: string }>> {
    const out: Array<Versioned<T> & { key: string }> = [];
    const entities = this.client.listEntities<StoredEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${encodeTableKey(partition)}`, select: ['RowKey', 'data'] },
    });
    for await (const entity of entities) {
      out.push({ key: decodeTableKey(entity.rowKey!), value: JSON.parse(entity.data!) as T, etag: entity.etag });
    }
    return out;
  }
}

/** `*` would turn an optimistic replace into a blind overwrite; the port requires the etag that was read. */
export function assertConcreteEtag(etag: string): void {
  if (!etag || etag === '*') throw new TypeError(`replace needs the etag returned by get/list/replace, not ${JSON.stringify(etag)}`);
}
