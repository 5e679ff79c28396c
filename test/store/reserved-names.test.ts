import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { projectionNameProblem } from '../../src/projections/definition/naming.js';
import { STORE_NAMES, isStoreName } from '../../src/store/reserved-names.js';
import { backends } from '../support/backends.js';

const SCHEMA_FILES = ['src/backends/sqlite/sqlite-schema.ts', 'src/backends/postgres/postgres-schema.ts'];

// a name a SQL projection's generation table, or something hanging off it, could have: `<projection>_g<n>…`
const GENERATION_NAME = /^[a-z][a-z0-9_]{0,39}_g\d+(?:_|$)/;

/** Every name the store's database holds in the store's schema: tables, indexes, sequences, and on PostgreSQL types. */
async function catalogue(location: string): Promise<string[]> {
  const store = await openStore(location);
  try {
    const rows =
      store.sql!.dialect.name === 'sqlite'
        ? await store.sql!.query<{ name: string }>('SELECT name FROM sqlite_master')
        : await store.sql!.query<{ name: string }>(
            `SELECT relname AS name FROM pg_class WHERE relnamespace = (current_schemas(false))[1]::regnamespace
             UNION SELECT typname FROM pg_type WHERE typnamespace = (current_schemas(false))[1]::regnamespace`,
          );
    return rows.map((row) => row.name);
  } finally {
    await store.close();
  }
}

it('the reserved names cover every object the schema files create', () => {
  const created = SCHEMA_FILES.flatMap((file) => {
    const text = readFileSync(resolve(import.meta.dirname, '../..', file), 'utf8');
    return [...text.matchAll(/CREATE (?:UNIQUE |VIRTUAL )?(?:TABLE|INDEX|VIEW|SEQUENCE)(?: IF NOT EXISTS)? (?:\$schema\.|\$\{sqlSchema\}\.)?(\w+)/g)].map(([, name]) => name!);
  });
  expect(created).toContain('tokens');
  expect(created).toContain('log_head');
  expect(created).toContain('tributary_projections');
  expect(created.filter((name) => !isStoreName(name))).toEqual([]);
});

it("no SQL projection can take a name the store's database uses, on either backend; every reserved name is one the databases use", async () => {
  const seen = new Set<string>();
  for (const { name, location } of backends) {
    const names = await catalogue(location(`reserved-${name}`));
    expect(names.length, name).toBeGreaterThan(10);
    for (const found of names) seen.add(found);
    // array types (`_streams`) start with _, which no projection name does
    expect(names.filter((found) => projectionNameProblem(found, 'sql') === undefined), name).toEqual([]);
    expect(names.filter((found) => GENERATION_NAME.test(found)), name).toEqual([]);
  }
  // not a guessed list: each name comes from one of the databases (all of them once both backends ran)
  if (backends.length === 2) expect(STORE_NAMES.filter((name) => !seen.has(name))).toEqual([]);
});
