import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { throwawayDatabase } from './postgres.js';

/**
 * Every backend the store runs on, the one list the tests go by: each has a
 * folder in src/backends and runs the contract suite in test/backends/<name>.test.ts.
 */
export const BACKENDS = ['sqlite', 'postgres', 'remote'] as const;

export type BackendName = (typeof BACKENDS)[number];

/** The backends that keep a database of their own beside the log (projections, tokens); a remote store uses its server's. */
export type SqlBackendName = Exclude<BackendName, 'remote'>;

/** A store location on one SQL backend. */
export interface BackendLocation {
  name: SqlBackendName;
  /** A fresh location on this backend for `label`. */
  location: (label: string) => string;
}

const folder = mkdtempSync(join(tmpdir(), 'tributary-backends-'));

/** This test file's PostgreSQL database; undefined when none answers (never under CI=true, which fails instead). */
export const database = await throwawayDatabase();

afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  await database?.drop();
});

/** A folder of this test file's own, removed afterwards. */
export const scratch = folder;

const locations: Record<SqlBackendName, ((label: string) => string) | undefined> = {
  sqlite: (label) => join(folder, `${label}.db`),
  postgres: database === undefined ? undefined : (label) => `${database.url}?schema=${label.replaceAll('-', '_')}`,
};

/** The SQL backends this run has: SQLite always, PostgreSQL when it answers. */
export const backends: BackendLocation[] = (Object.keys(locations) as SqlBackendName[]).flatMap((name) => {
  const location = locations[name];
  return location === undefined ? [] : [{ name, location }];
});
