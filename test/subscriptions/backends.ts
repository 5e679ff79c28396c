import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { throwawayDatabase } from '../support/postgres.js';

/** A store location on each backend for the process tests: a SQLite file, and a PostgreSQL schema when a server answers. */
export interface BackendLocation {
  name: string;
  /** A fresh location on this backend for `label`. */
  location: (label: string) => string;
}

const folder = mkdtempSync(join(tmpdir(), 'tributary-subscriptions-'));
const database = await throwawayDatabase();
afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  await database?.drop();
});

export const scratch = folder;

export const backends: BackendLocation[] = [
  { name: 'sqlite', location: (label) => join(folder, `${label}.db`) },
  ...(database === undefined ? [] : [{ name: 'postgres', location: (label: string) => `${database.url}?schema=${label.replaceAll('-', '_')}` }]),
];
