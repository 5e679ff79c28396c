import { expect, it } from 'vitest';
import { MIGRATIONS as POSTGRES_MIGRATIONS, SCHEMA_VERSION as POSTGRES_VERSION } from '../../src/backends/postgres/postgres-schema.js';
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
