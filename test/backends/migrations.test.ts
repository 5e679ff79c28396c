import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { loadState, type DomainEvent } from '../../src/command/decider.js';
import { backends, type SqlBackendName } from '../support/backends.js';
import { SQLITE_UNDO_9 } from '../support/sqlite-versions.js';
import { MIGRATIONS as POSTGRES_MIGRATIONS, SCHEMA_VERSION as POSTGRES_VERSION } from '../../src/backends/postgres/postgres-schema.js';
import { postgresUndo9 } from '../support/postgres-versions.js';
import { MIGRATIONS as SQLITE_MIGRATIONS, SCHEMA_VERSION as SQLITE_VERSION } from '../../src/backends/sqlite/sqlite-schema.js';

const versions = (migrations: readonly { version: number; description: string }[]) =>
  migrations.map(({ version, description }) => `${version}: ${description}`);

it('each backend numbers its migrations 1, 2, 3… in list order, as the migration runners assume', () => {
  for (const migrations of [SQLITE_MIGRATIONS, POSTGRES_MIGRATIONS]) {
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, i) => i + 1));
  }
});

it('both backends have the same migrations: the same versions, in the same order, adding the same things', () => {
  expect(versions(SQLITE_MIGRATIONS)).toEqual(versions(POSTGRES_MIGRATIONS));
  expect(SQLITE_VERSION).toBe(POSTGRES_VERSION);
  expect(SQLITE_VERSION).toBe(SQLITE_MIGRATIONS.length);
});

describe.each(backends)('migrations 6 to 8 on $name', ({ name, location }) => {
  it('a store of version 5 upgrades to the latest: its log reads and appends as before, and deciders keep snapshots beside it', async () => {
    const where = location('migration-6');
    const before = await openStore(where);
    await before.append('tally-1', Array.from({ length: 5 }, (_, n) => ({ type: 'Added', data: { n } })));
    await before.close();
    await backTo5[name](where);

    const store = await openStore(where);
    try {
      expect((await store.readStream('tally-1')).events).toHaveLength(5);
      expect(await loadState(store, 'tally-1', tally)).toEqual({ state: 10, revision: 4 });
      expect(await store.snapshots!.read('tally-1', 'tally')).toMatchObject({ version: 1, revision: 4, fromRevision: 0, state: '10' });
      expect(await store.append('tally-1', [{ type: 'Added', data: { n: 1 } }], { expectedRevision: 4 })).toMatchObject({ nextExpectedRevision: 5, position: 6 });
    } finally {
      await store.close();
    }
  });

  it('a store of version 7 upgrades to 8: its events read with no tags, and new events are read by their tags', async () => {
    const where = location('migration-8');
    const before = await openStore(where);
    await before.append('room-1', [{ type: 'Booked', data: {} }, { type: 'Booked', data: {} }]);
    await before.close();
    await backTo7[name](where);

    const store = await openStore(where);
    try {
      expect((await store.readStream('room-1')).events.map((event) => event.tags)).toEqual([[], []]);
      await store.append('room-1', [{ type: 'Booked', data: {}, tags: ['room:1'] }], { condition: { failIfEventsMatch: [{ tags: ['room:1'] }] } });
      const tagged = await store.readAll({ tags: ['room:1'] });
      expect(tagged.events.map((event) => [event.position, event.tags])).toEqual([[3, ['room:1']]]);
    } finally {
      await store.close();
    }
  });
});

/** Takes a store back to the schema version 7 left: no tags column, no tag index, the append function without tags. */
const backTo7 = backTo(7, {
  sqlite: `${SQLITE_UNDO_9} DROP TABLE event_tags; ALTER TABLE events DROP COLUMN tags`,
  postgres: (schema) => [
    postgresUndo9(schema),
    `DROP TABLE ${schema}.event_tags; DROP FUNCTION ${schema}.tag_positions; DROP FUNCTION ${schema}.append_group; ALTER TABLE ${schema}.events DROP COLUMN tags`,
    POSTGRES_MIGRATIONS[6]!.sql.replaceAll('$schema', schema),
  ],
});

const tally = {
  initialState: () => 0,
  evolve: (sum: number, event: DomainEvent<'Added', { n: number }>) => sum + event.data.n,
  snapshot: { name: 'tally', version: 1, every: 5 },
};

/** Takes a store back to the schema version 5 left: no snapshots table, no append function, no tags. */
const backTo5 = backTo(5, {
  sqlite: `${SQLITE_UNDO_9} DROP TABLE tributary_snapshots; DROP TABLE event_tags; ALTER TABLE events DROP COLUMN tags`,
  postgres: (schema) => [
    postgresUndo9(schema),
    `DROP TABLE ${schema}.tributary_snapshots; DROP FUNCTION ${schema}.append_group; DROP FUNCTION ${schema}.tag_positions; DROP TABLE ${schema}.event_tags;
      ALTER TABLE ${schema}.events DROP COLUMN tags`,
  ],
});

/** Undoes the migrations after `version` with the given statements, and records the store as of that version. */
function backTo(version: number, undo: { sqlite: string; postgres: (schema: string) => string[] }): Record<SqlBackendName, (where: string) => Promise<void>> {
  return {
    async sqlite(where) {
      const db = new BetterSqlite3(where);
      db.exec(undo.sqlite);
      db.pragma(`user_version = ${version}`);
      db.close();
    },
    async postgres(where) {
      const url = new URL(where);
      const schema = url.searchParams.get('schema')!;
      url.search = '';
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        for (const statement of undo.postgres(schema)) await client.query(statement);
        await client.query(`DELETE FROM ${schema}.migrations WHERE version > ${version}`);
      } finally {
        await client.end();
      }
    },
  };
}
