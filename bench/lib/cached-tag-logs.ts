// Tag logs built once and kept between runs, keyed by size and layout: SQLite files in bench/.data/, and
// one schema per size in the PostgreSQL database tributary_bench_consistency. Opening one with newer code
// migrates it in place, as it would a user's database.
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { ADMIN_URL } from '../../test/support/postgres.js';
import { adminDatabase, postgresLogCache, sqliteLogCache, withAdmin, type LogCache } from './log-cache.js';
import { rate } from './measure.js';
import { buildTagLog } from './tag-log.js';

// bump when the layout of bench/lib/tag-log.ts changes, so cached logs of the old layout are not reused
const LAYOUT_VERSION = 1;
const BENCH_DATABASE = 'tributary_bench_consistency';

export const sqliteTagLogs: LogCache = sqliteLogCache((events) => `consistency-tags-l${LAYOUT_VERSION}-${events}.db`);

export const postgresTagLogs: LogCache = postgresLogCache(BENCH_DATABASE, (events) => `consistency_tags_l${LAYOUT_VERSION}_${events}`, 'tags_built', ['events', 'event_tags', 'event_categories']);

/** True when PostgreSQL answers at ADMIN_URL; otherwise says why not and answers false. */
export async function postgresReachable(): Promise<boolean> {
  return withAdmin(adminDatabase(), async () => true).catch((error: Error) => {
    console.warn(`skipping PostgreSQL: not reachable at ${redact(ADMIN_URL)}: ${error.message}`);
    return false;
  });
}

export function redact(location: string): string {
  return location.replace(/\/\/[^@/]*@/, '//');
}

/** Opens the cached tag log of `events` events, building it first when it is missing or `rebuild` asks. */
export async function tagLogOf(cache: LogCache, events: number, rebuild: boolean): Promise<EventStore> {
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
