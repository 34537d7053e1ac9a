/**
 * Durable state behind optimistic concurrency. Azure Table Storage in Azure (adapters/tables),
 * an in-memory map in unit tests. Values are plain JSON.
 */
export interface Versioned<T> {
  readonly value: T;
  /** Opaque version token; pass it back to `replace` so a concurrent writer makes us lose, not them. */
  readonly etag: string;
}

export interface EntityStore {
  get<T>(partition: string, key: string): Promise<Versioned<T> | undefined>;
  /** Creates the entity if absent. Returns 'exists' (and writes nothing) when it is already there. */
  create<T>(partition: string, key: string, value: T): Promise<'created' | 'exists'>;
  /** Replaces only if `etag` still matches; otherwise throws ConcurrencyError. Returns the new etag. */
  replace<T>(partition: string, key: string, value: T, etag: string): Promise<string>;
  list<T>(partition: string): Promise<Array<Versioned<T> & { key: string }>>;
}

/** Someone else wrote first (HTTP 412 / 409). Re-read and decide again. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(readonly partition: string, readonly key: string) {
    super(`concurrent update of ${partition}/${key}`);
  }
}
