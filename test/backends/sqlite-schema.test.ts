import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { SCHEMA_VERSION } from '../../src/backends/sqlite/sqlite-schema.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-sqlite-schema-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('sqlite: schema and migrations', () => {
  it('several handles opening a new file at once migrate it once, and all work', async () => {
    const path = join(folder, 'racing.db');
    const stores = Array.from({ length: 4 }, () => openSqliteStore({ path }));
    await Promise.all(stores.map((store, i) => store.append(`account-${i}`, [{ type: 'Opened', data: {} }])));
    expect(await stores[3]!.headPosition()).toBe(4);
    await Promise.all(stores.map((store) => store.close()));
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a file migrated by a newer Tributary', () => {
    const path = join(folder, 'future.db');
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openSqliteStore({ path })).toThrow(expect.objectContaining({ code: 'SCHEMA_TOO_NEW' }) as Error);
  });
});
