// Logs a benchmark builds once and keeps between runs, keyed by size and layout: SQLite files under
// bench/.data/, and one schema per size in a PostgreSQL database of the benchmark's own.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { ADMIN_URL } from '../../test/support/postgres.js';
import { rate } from './measure.js';

export const DATA = join(import.meta.dirname, '..', '.data');

/** Where a backend keeps a benchmark's cached logs. */
export interface LogCache {
  name: string;
  location(events: number): Promise<string>;
  /** True when the location holds a finished build. */
  exists(location: string): Promise<boolean>;
  drop(location: string): Promise<void>;
  markBuilt(location: string): Promise<void>;
  /** What the log takes on disk, indexes included. */
  bytes(location: string): Promise<number>;
}

/** Cached logs in SQLite files named by `fileName`; a `.built` file beside one marks a finished build. */
export function sqliteLogCache(fileName: (events: number) => string): LogCache {
  return {
    name: 'SQLite',
    async location(events) {
      mkdirSync(DATA, { recursive: true });
      return join(DATA, fileName(events));
    },
    exists: async (location) => existsSync(`${location}.built`) && existsSync(location),
    async drop(location) {
      for (const suffix of ['', '-wal', '-shm', '-groups', '-signal', '.built']) rmSync(`${location}${suffix}`, { force: true });
    },
    markBuilt: async (location) => writeFileSync(`${location}.built`, new Date().toISOString()),
    async bytes(location) {
      const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
      return size(location) + size(`${location}-wal`);
    },
  };
}

/**
 * Cached logs in PostgreSQL: database `database`, one schema per size named by `schema`; the table `marker` in
 * the schema marks a finished build, and the tables in `vacuumed` are vacuumed and analysed when it is made.
 */
export function postgresLogCache(database: string, schema: (events: number) => string, marker: string, vacuumed: readonly string[]): LogCache {
  const schemaOf = (location: string) => new URL(location).searchParams.get('schema')!;
  return {
    name: 'PostgreSQL',
    async location(events) {
      await withAdmin(adminDatabase(), async (client) => {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE ${database}`);
      });
      const url = new URL(ADMIN_URL);
      url.pathname = `/${database}`;
      url.searchParams.set('schema', schema(events));
      return url.toString();
    },
    exists: (location) =>
      withAdmin(database, async (client) => {
        const found = await client.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schemaOf(location), marker]);
        return found.rowCount === 1;
      }),
    drop: (location) => withAdmin(database, async (client) => void (await client.query(`DROP SCHEMA IF EXISTS ${schemaOf(location)} CASCADE`))),
    async markBuilt(location) {
      await withAdmin(database, async (client) => {
        await client.query(`CREATE TABLE ${schemaOf(location)}.${marker} (at timestamptz NOT NULL DEFAULT now())`);
        // statistics, hint bits and visibility map as autovacuum leaves them in a long-running database, so the first run does not pay for them
        await client.query(`VACUUM ANALYZE ${vacuumed.map((table) => `${schemaOf(location)}.${table}`).join(', ')}`);
      });
    },
    bytes: (location) =>
      withAdmin(database, async (client) => {
        const result = await client.query<{ bytes: string }>(
          `SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0)::text AS bytes FROM pg_tables WHERE schemaname = $1`,
          [schemaOf(location)],
        );
        return Number(result.rows[0]!.bytes);
      }),
  };
}

/** Runs `body` with a client of `database` at ADMIN_URL's server. */
export async function withAdmin<T>(database: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

export const adminDatabase = (): string => new URL(ADMIN_URL).pathname.slice(1) || 'postgres';

/**
 * The cached log of `events` events in `cache`, built by `build` first when it is missing or `rebuild` asks;
 * answers its location. `build` appends through the store it is given, calls `progress` with the events
 * written so far, and answers the seconds it took.
 */
export async function cachedLog(
  cache: LogCache,
  events: number,
  label: string,
  rebuild: boolean,
  build: (store: EventStore, progress: (written: number) => void) => Promise<number>,
): Promise<string> {
  const location = await cache.location(events);
  if (!rebuild && (await cache.exists(location))) {
    console.log(`${label}: reusing ${location}`);
    return location;
  }
  await cache.drop(location);
  const store = await openStore(location);
  console.log(`${label}: building through appendMany…`);
  let lastReport = Date.now();
  const seconds = await build(store, (written) => {
    if (Date.now() - lastReport < 10_000) return;
    lastReport = Date.now();
    console.log(`  … ${written.toLocaleString('en-US')} of ${events.toLocaleString('en-US')} events`);
  });
  // closed before it is marked: on SQLite, closing moves the build's write-ahead log into the file
  await store.close();
  await cache.markBuilt(location);
  console.log(`${label}: built in ${seconds.toFixed(1)} s, ${rate(events / seconds)} events/s`);
  return location;
}
