import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/backends/sqlite/sqlite-schema.js';
import { listProjections } from '../../src/projections/lifecycle/registry.js';
import { expectReadsMatchScan, fillCategoryLog } from '../support/category-log.js';
import { expectRegistryUpgraded } from '../support/registry-upgrade.js';
import { SQLITE_UNDO_9 } from '../support/sqlite-versions.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-sqlite-schema-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// the projection registry as Tributary created it on first use before version 4, in its two shapes
const REGISTRY_ON_FIRST_USE = `CREATE TABLE tributary_projections (
  name TEXT PRIMARY KEY, sink TEXT NOT NULL, mode TEXT NOT NULL, live INTEGER NOT NULL, live_version INTEGER NOT NULL,
  live_position BIGINT NOT NULL, building INTEGER, building_version INTEGER, building_position BIGINT, retired INTEGER,
  definition TEXT, location TEXT, updated_at BIGINT NOT NULL, removed_at BIGINT
)`;
const REGISTRY_BEFORE_REMOVALS = REGISTRY_ON_FIRST_USE.replace(', removed_at BIGINT', '');

/** A file as Tributary 3 left it: migrations 1 to 3, and the registry in the shape given, holding a documents projection. */
function versionThreeFile(name: string, registry?: string): string {
  const path = join(folder, name);
  const db = new BetterSqlite3(path);
  for (const migration of MIGRATIONS.slice(0, 3)) migration.up(db, () => undefined);
  db.pragma('user_version = 3');
  if (registry !== undefined) {
    db.exec(registry);
    db.exec(`INSERT INTO tributary_projections (name, sink, mode, live, live_version, live_position, updated_at)
      VALUES ('old_docs', 'documents', 'async', 1, 1, 7, 0)`);
    db.exec('CREATE TABLE old_docs_g1 (id TEXT PRIMARY KEY, doc TEXT NOT NULL)');
    db.exec('CREATE VIEW old_docs AS SELECT * FROM old_docs_g1');
  }
  db.close();
  return path;
}

const columnsOf = (path: string) => {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('tributary_projections')").all().map((column) => column.name);
  } finally {
    db.close();
  }
};

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

  it('a new file gets the projection registry from the migrations, before any projection runs', async () => {
    const store = openSqliteStore({ path: join(folder, 'fresh.db') });
    expect(await listProjections(store.sql)).toEqual([]);
    await store.close();
    expect(columnsOf(join(folder, 'fresh.db'))).toContain('removed_at');
  });

  it.each([
    { label: 'none', registry: undefined },
    { label: 'first-use', registry: REGISTRY_ON_FIRST_USE },
    { label: 'before-removals', registry: REGISTRY_BEFORE_REMOVALS },
  ])('a file of version 3 with registry $label upgrades to the registry a new file has, keeping its projections, which remove', async ({ label, registry }) => {
    const fresh = join(folder, `fresh-${label}.db`);
    await openSqliteStore({ path: fresh }).close();
    const path = versionThreeFile(`v3-${label}.db`, registry);
    const store = openSqliteStore({ path });
    try {
      await expectRegistryUpgraded(store, registry !== undefined);
    } finally {
      await store.close();
    }
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    expect(columnsOf(path)).toEqual(columnsOf(fresh));
  });

  it('refuses a file migrated by a newer Tributary', () => {
    const path = join(folder, 'future.db');
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openSqliteStore({ path })).toThrow(expect.objectContaining({ code: 'SCHEMA_TOO_NEW' }) as Error);
  });
  it('a file of version 4 upgrades to 5: its category and type reads return what a scan returns, before and after a scavenge, and the index keeps no rows of removed events', async () => {
    const path = join(folder, 'v4-categories.db');
    const before = openSqliteStore({ path });
    await fillCategoryLog(before);
    const expected = await expectReadsMatchScan(before);
    await before.close();
    // back to the file Tributary 4 left: no category table, no type index
    const db = new BetterSqlite3(path);
    db.exec(`${SQLITE_UNDO_9} DROP TABLE event_categories; DROP INDEX events_by_type; DROP TABLE tributary_snapshots; DROP TABLE event_tags; ALTER TABLE events DROP COLUMN tags`);
    db.pragma('user_version = 4');
    db.close();

    const lines: string[] = [];
    const store = openSqliteStore({ path, onMigrationProgress: (line) => lines.push(line) });
    try {
      expect(await expectReadsMatchScan(store)).toEqual(expected);
      expect(lines).toEqual([]);
      expect((await store.scavenge()).removed).toBeGreaterThan(0);
      await expectReadsMatchScan(store);
      await store.append('order-9', [{ type: 'Paid', data: {} }]);
      await expectReadsMatchScan(store);
    } finally {
      await store.close();
    }
    const after = new BetterSqlite3(path, { readonly: true });
    try {
      expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const count = (sql: string) => after.prepare<[], { n: number }>(sql).get()!.n;
      const indexed = count(`SELECT count(*) AS n FROM events e JOIN streams s ON s.stream_id = e.stream_id
        JOIN event_categories c ON c.category = s.category AND c.position = e.position`);
      expect(count('SELECT count(*) AS n FROM event_categories')).toBe(count('SELECT count(*) AS n FROM events'));
      expect(indexed).toBe(count('SELECT count(*) AS n FROM events'));
    } finally {
      after.close();
    }
  });
});
