import { ConcurrencyError, type EntityStore } from '../ports/entityStore.js';

const MAX_TRIES = 10;

/**
 * Read-modify-write under optimistic concurrency: re-read and re-decide when someone else wrote
 * first. `decide` returns the new value, or undefined to leave the entity as it is.
 * Returns the value now stored (new or unchanged).
 */
export async function mutate<T>(
  store: EntityStore, partition: string, key: string, decide: (current: T | undefined) => T | undefined,
): Promise<{ value: T | undefined; changed: boolean }> {
  for (let i = 0; i < MAX_TRIES; i++) {
    const current = await store.get<T>(partition, key);
    const next = decide(current?.value);
    if (next === undefined) return { value: current?.value, changed: false };
    try {
      if (!current) {
        if ((await store.create(partition, key, next)) === 'created') return { value: next, changed: true };
      } else {
        await store.replace(partition, key, next, current.etag);
        return { value: next, changed: true };
      }
    } catch (e) {
      if (!(e instanceof ConcurrencyError)) throw e;
    }
  }
  throw new ConcurrencyError(partition, key);
}
