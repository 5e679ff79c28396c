// Tag logs built once and kept between runs, keyed by size and layout: SQLite files in bench/.data/, and
// one schema per size in the PostgreSQL database tributary_bench_consistency. Opening one with newer code
// migrates it in place, as it would a user's database.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/backends/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { ADMIN_URL } from '../../test/support/postgres.js';
import { rate } from './measure.js';
import { buildTagLog } from './tag-log.js';

// bump when the layout of bench/lib/tag-log.ts changes, so cached logs of the old layout are not reused
const LAYOUT_VERSION = 1;
const DATA = join(import.meta.dirname, '..', '.data');
const BENCH_DATABASE = 'tributary_bench_consistency';

/** Where a backend keeps its cached tag logs. */
export interface TagLogCache {
  name: string;
  location(events: number): Promise<string>;
  /** True when the location holds a finished build. */
  exists(location: string): Promise<boolean>;
  drop(location: string): Promise<void>;
  markBuilt(location: string): Promise<void>;
}

export const sqliteTagLogs: TagLogCache = {
  name: 'SQLite',
  async location(events) {
    mkdirSync(DATA, { recursive: true });
    return join(DATA, `consistency-tags-l${LAYOUT_VERSION}-${events}.db`);
  },
  exists: async (location) => existsSync(`${location}.built`) && existsSync(location),
  async drop(location) {
    for (const suffix of ['', '-wal', '-shm', '-groups', '-signal', '.built']) rmSync(`${location}${suffix}`, { force: true });
  },
  markBuilt: async (location) => writeFileSync(`${location}.built`, new Date().toISOString()),
};

async function admin<T>(database: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
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

const adminDatabase = () => new URL(ADMIN_URL).pathname.slice(1) || 'postgres';
const schemaOf = (location: string) => new URL(location).searchParams.get('schema')!;

export const postgresTagLogs: TagLogCache = {
  name: 'PostgreSQL',
  async location(events) {
    await admin(adminDatabase(), async (client) => {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DATABASE]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${BENCH_DATABASE}`);
    });
    const url = new URL(ADMIN_URL);
    url.pathname = `/${BENCH_DATABASE}`;
    url.searchParams.set('schema', `consistency_tags_l${LAYOUT_VERSION}_${events}`);
    return url.toString();
  },
  exists: (location) =>
    admin(BENCH_DATABASE, async (client) => {
      const found = await client.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schemaOf(location), 'tags_built']);
      return found.rowCount === 1;
    }),
  drop: (location) => admin(BENCH_DATABASE, async (client) => void (await client.query(`DROP SCHEMA IF EXISTS ${schemaOf(location)} CASCADE`))),
  async markBuilt(location) {
    await admin(BENCH_DATABASE, async (client) => {
      await client.query(`CREATE TABLE ${schemaOf(location)}.tags_built (at timestamptz NOT NULL DEFAULT now())`);
      // statistics and visibility map as autovacuum leaves them in a long-running database, so the first run does not pay for them
      await client.query(`VACUUM ANALYZE ${schemaOf(location)}.events`);
    });
  },
};

/** True when PostgreSQL answers at ADMIN_URL; otherwise says why not and answers false. */
export async function postgresReachable(): Promise<boolean> {
  return admin(adminDatabase(), async () => true).catch((error: Error) => {
    console.warn(`skipping PostgreSQL: not reachable at ${redact(ADMIN_URL)}: ${error.message}`);
    return false;
  });
}

export function redact(location: string): string {
  return location.replace(/\/\/[^@/]*@/, '//');
}

/** Opens the cached tag log of `events` events, building it first when it is missing or `rebuild` asks. */
export async function tagLogOf(cache: TagLogCache, events: number, rebuild: boolean): Promise<EventStore> {
  const location = await cache.location(events);
  const label = `${cache.name} ${events.toLocaleString('en-US')}`;
  if (!rebuild && (await cache.exists(location))) {
    const store = await openStore(location);
    console.log(`${label}: reusing the tag log at ${redact(location)} (head ${(await store.headPosition()).toLocaleString('en-US')})`);
    return store;
  }
  await cache.drop(location);
  const store = await openStore(location);
  console.log(`${label}: building the tag log through the store's append…`);
  let lastReport = Date.now();
  const seconds = await buildTagLog(store, events, (written) => {
    if (Date.now() - lastReport < 10_000) return;
    lastReport = Date.now();
    console.log(`  … ${written.toLocaleString('en-US')} of ${events.toLocaleString('en-US')} events`);
  });
  await cache.markBuilt(location);
  console.log(`${label}: built in ${seconds.toFixed(1)} s, ${rate(events / seconds)} events/s`);
  // opened again, as a later run opens it: on SQLite, closing moves the build's write-ahead log into the file
  await store.close();
  return openStore(location);
}
