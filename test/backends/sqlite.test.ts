import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { describeEventStoreContract } from '../contract/event-store.contract.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-sqlite-'));
let files = 0;
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describeEventStoreContract({
  name: 'sqlite',
  async open(options) {
    return openSqliteStore({ path: join(folder, `store-${files++}.db`), ...options });
  },
  async openAnother(store: EventStore) {
    return openSqliteStore({ path: store.location });
  },
});

describe('sqlite: connection settings', () => {
  it('keeps temporary storage in memory, so the statement journal of a group commit\'s savepoints never goes to a file', async () => {
    const store = openSqliteStore({ path: join(folder, `store-${files++}.db`) });
    try {
      // 2 is MEMORY; the default, 0, lets SQLite spill the journal to a temporary file
      expect(await store.sql.query<{ temp_store: number }>('PRAGMA temp_store')).toEqual([{ temp_store: 2 }]);
    } finally {
      await store.close();
    }
  });
});
