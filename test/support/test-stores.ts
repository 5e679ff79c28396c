import { afterEach } from 'vitest';
import { openSqliteStore } from '../../src/entry/sqlite.js';
import type { EventStore } from '../../src/store/event-store.js';

/** Opens SQLite stores for a test file (in memory unless given a path), each closed after the test that opened it. */
export function sqliteStoresPerTest(): (path?: string) => EventStore {
  let open: EventStore[] = [];
  afterEach(async () => {
    await Promise.all(open.map((store) => store.close()));
    open = [];
  });
  return (path = ':memory:') => {
    const store = openSqliteStore({ path });
    open.push(store);
    return store;
  };
}
