import { postgresUndo9 } from '../support/postgres-versions.js';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/backends/postgres/postgres-schema.js';
import { listProjections } from '../../src/projections/lifecycle/registry.js';
import { expectReadsMatchScan, fillCategoryLog } from '../support/category-log.js';
import { throwawayDatabase } from '../support/postgres.js';
import { expectRegistryUpgraded } from '../support/registry-upgrade.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());

// the projection registry as Tributary created it on first use before version 4, in its two shapes
const REGISTRY_ON_FIRST_USE = `CREATE TABLE $schema.tributary_projections (
  name TEXT PRIMARY KEY, sink TEXT NOT NULL, mode TEXT NOT NULL, live INTEGER NOT NULL, live_version INTEGER NOT NULL,
  live_position BIGINT NOT NULL, building INTEGER, building_version INTEGER, building_position BIGINT, retired INTEGER,
  definition TEXT, location TEXT, updated_at BIGINT NOT NULL, removed_at BIGINT
)`;
const REGISTRY_BEFORE_REMOVALS = REGISTRY_ON_FIRST_USE.replace(', removed_at BIGINT', '');

/** Runs `work` with a plain connection to the test database. */
async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: database!.url });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** A schema as Tributary 3 left it: migrations 1 to 3, and the registry in the shape given, holding a documents projection. */
async function versionThreeSchema(schema: string, registry?: string): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const migration of MIGRATIONS.slice(0, 3)) {
      await admin.query(migration.sql.replaceAll('$schema', schema));
      await admin.query(`INSERT INTO ${schema}.migrations (version) VALUES ($1)`, [migration.version]);
    }
    if (registry !== undefined) {
      await admin.query(registry.replaceAll('$schema', schema));
      await admin.query(
        `INSERT INTO ${schema}.tributary_projections (name, sink, mode, live, live_version, live_position, updated_at)
         VALUES ('old_docs', 'documents', 'async', 1, 1, 7, 0)`,
      );
      await admin.query(`CREATE TABLE ${schema}.old_docs_g1 (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
      await admin.query(`CREATE VIEW ${schema}.old_docs AS SELECT * FROM ${schema}.old_docs_g1`);
    }
  });
}

/** The registry's columns and their types in `schema`. */
function registryColumns(schema: string): Promise<string[]> {
  return withAdmin(async (admin) => {
    const rows = await admin.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'tributary_projections' ORDER BY ordinal_position`,
      [schema],
    );
    return rows.rows.map((row) => `${row.column_name} ${row.data_type}`);
  });
}

describe.skipIf(database === undefined)('postgres: schema and migrations', () => {
  it('many processes opening a new database at the same moment migrate it once, and all work', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore({ url: database!.url, schema: 'racing', poolSize: 1 })));
    try {
      await Promise.all(stores.map((store, i) => store.append(`account-${i}`, [{ type: 'Opened', data: {} }])));
      expect(await stores[0]!.headPosition()).toBe(6);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    try {
      const versions = await admin.query<{ version: number }>('SELECT version FROM racing.migrations ORDER BY version');
      expect(versions.rows.map((row) => row.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await admin.end();
    }
  });

  it('a schema named like an SQL keyword works: every statement quotes it', async () => {
    const store = await openPostgresStore({ url: database!.url, schema: 'user', poolSize: 2 });
    try {
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      expect((await store.readAll({ categories: ['order'] })).events).toHaveLength(1);
      expect((await store.consumers.register({ name: 'c', partitions: 1, startAt: 0, filter: {} })).partitions).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('opening an up-to-date schema runs no DDL, so it never queues behind in-flight appends', async () => {
    const first = await openPostgresStore({ url: database!.url, schema: 'settled', poolSize: 1 });
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    try {
      // hold the lock a DDL statement on events would need; a second open must not wait for it
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE settled.events IN SHARE ROW EXCLUSIVE MODE');
      const started = Date.now();
      const second = await openPostgresStore({ url: database!.url, schema: 'settled', poolSize: 1 });
      expect(Date.now() - started).toBeLessThan(2000);
      await second.close();
    } finally {
      await admin.query('ROLLBACK');
      await admin.end();
      await first.close();
    }
  });

  it('a new schema gets the projection registry from the migrations, before any projection runs', async () => {
    const store = await openPostgresStore({ url: database!.url, schema: 'fresh', poolSize: 1 });
    try {
      expect(await listProjections(store.sql)).toEqual([]);
    } finally {
      await store.close();
    }
    expect(await registryColumns('fresh')).toContain('removed_at bigint');
  });

  it.each([
    { label: 'none', registry: undefined },
    { label: 'first_use', registry: REGISTRY_ON_FIRST_USE },
    { label: 'before_removals', registry: REGISTRY_BEFORE_REMOVALS },
  ])('a schema of version 3 with registry $label upgrades to the registry a new schema has, keeping its projections, which remove', async ({ label, registry }) => {
    const fresh = `fresh_${label}`;
    await (await openPostgresStore({ url: database!.url, schema: fresh, poolSize: 1 })).close();
    const schema = `v3_${label}`;
    await versionThreeSchema(schema, registry);
    const store = await openPostgresStore({ url: database!.url, schema, poolSize: 1 });
    try {
      await expectRegistryUpgraded(store, registry !== undefined);
    } finally {
      await store.close();
    }
    const versions = await withAdmin((admin) => admin.query<{ version: number }>(`SELECT version FROM ${schema}.migrations ORDER BY version`));
    expect(versions.rows.map((row) => row.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    expect(await registryColumns(schema)).toEqual(await registryColumns(fresh));
  });

  it('a schema of version 4 upgrades to 5: its category and type reads return what a scan returns, before and after a scavenge, and the index keeps no rows of removed events', async () => {
    const schema = 'v4_categories';
    const before = await openPostgresStore({ url: database!.url, schema });
    await fillCategoryLog(before);
    const expected = await expectReadsMatchScan(before);
    await before.close();
    // back to the schema Tributary 4 left: no category table, no type index, no page functions, no append function
    await withAdmin((admin) =>
      admin.query(`${postgresUndo9(schema)} DROP TABLE ${schema}.event_categories; DROP INDEX ${schema}.events_by_type;
        DROP FUNCTION ${schema}.category_positions; DROP FUNCTION ${schema}.type_positions; DROP TABLE ${schema}.tributary_snapshots;
        DROP FUNCTION ${schema}.append_group; DROP FUNCTION ${schema}.tag_positions; DROP TABLE ${schema}.event_tags; ALTER TABLE ${schema}.events DROP COLUMN tags;
        DELETE FROM ${schema}.migrations WHERE version >= 5`),
    );

    const lines: string[] = [];
    const store = await openPostgresStore({ url: database!.url, schema, onMigrationProgress: (line) => lines.push(line) });
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
    const counts = await withAdmin((admin) =>
      admin.query<{ events: number; indexed: number; rows: number }>(`SELECT
        (SELECT count(*)::integer FROM ${schema}.events) AS events,
        (SELECT count(*)::integer FROM ${schema}.event_categories) AS rows,
        (SELECT count(*)::integer FROM ${schema}.events e JOIN ${schema}.streams s ON s.stream_id = e.stream_id
           JOIN ${schema}.event_categories c ON c.category = s.category AND c.position = e.position) AS indexed`),
    );
    const { events, indexed, rows } = counts.rows[0]!;
    expect({ indexed, rows }).toEqual({ indexed: events, rows: events });
  });

  it('refuses a schema name that would need quoting', async () => {
    await expect(openPostgresStore({ url: database!.url, schema: 'Robert"); DROP' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses a schema migrated by a newer Tributary', async () => {
    const store = await openPostgresStore({ url: database!.url, schema: 'future', poolSize: 1 });
    await store.close();
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    await admin.query('INSERT INTO future.migrations (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
    await admin.end();
    await expect(openPostgresStore({ url: database!.url, schema: 'future' })).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' });
  });
});
