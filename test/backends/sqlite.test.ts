import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
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
