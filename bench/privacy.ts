// Issue 17's crypto-shredding targets, each a ratio of two contenders measured in the same run (contenders in
// turns, order rotated run by run; medians, ratios taken within each run), with 1 KB order events
// (bench/lib/order-contract.ts) whose `order` category declares two personal fields (shippingAddress and salesRep,
// subject customerId, 10,000 customers):
//  - appends: 100 events per call through openStore into a category with the declaration, against the same
//    appends into a store with none; target ≥ 0.7×. Every customer's key exists before the clock starts
//    (a customer's key is made once in its life), and keys are re-read as their cache ages, as in service.
//  - reads: readAll in pages of 1,000 over a log written with the declaration (each event decrypted, its data
//    accessed) against the same log written without one; target ≥ 0.6×.
// SQLite file, and PostgreSQL for the appends when it is reachable.
//   npm run bench:privacy
//   npm run bench:privacy -- --quick      (10k appends, reads over 20k events, 1 run)
//   npm run bench:privacy -- [--events N] [--read-events N] [--runs N] [--no-postgres]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EventData } from '../src/core/event.js';
import { openStore } from '../src/open/open-store.js';
import type { EventStore } from '../src/store/event-store.js';
import { throwawayDatabase, type TestDatabase } from '../test/support/postgres.js';
import { postgresReachable } from './lib/cached-tag-logs.js';
import { FreshSchemas } from './lib/copy-runs.js';
import { BenchReport, countFlag } from './lib/bench-report.js';
import { interleave, runsFromEnv, type Contender, type Figures } from './lib/interleave.js';
import { DATA } from './lib/log-cache.js';
import { rate, table, timed, times } from './lib/measure.js';
import { ORDER_CATEGORY, ORDER_TYPE, orderData } from './lib/order-contract.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    'read-events': { type: 'string' },
    runs: { type: 'string' },
    'no-postgres': { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const BATCH = 100;
const CUSTOMERS = 10_000;
const APPEND_EVENTS = countFlag('events', args.events, quick ? 10_000 : 50_000);
const READ_EVENTS = countFlag('read-events', args['read-events'], quick ? 20_000 : 200_000);
const RUNS = countFlag('runs', args.runs, quick ? 1 : runsFromEnv(3));
if (RUNS % 2 === 0) throw new Error(`the number of runs must be odd, not ${RUNS}`);
if (APPEND_EVENTS % BATCH !== 0 || READ_EVENTS % BATCH !== 0) throw new Error(`event counts must be whole batches of ${BATCH}`);
const PAGE = 1_000;
const PERSONAL = { subject: 'data.customerId', fields: ['data.shippingAddress', 'data.salesRep'] };

const DECLARED = 'two personal fields encrypted';
const PLAIN = 'no declaration';

const report = new BenchReport();
const label = (n: number) => n.toLocaleString('en-US');
const runsLabel = `median of ${RUNS} run${RUNS === 1 ? '' : 's'}`;

interface Backend {
  name: string;
  fresh(): { location: string; drop: () => Promise<void> };
}

function sqliteBackend(folder: string): Backend {
  let made = 0;
  return {
    name: 'SQLite',
    fresh() {
      const location = join(folder, `privacy-${made++}.db`);
      return { location, drop: async () => ['', '-wal', '-shm', '-groups', '-signal'].forEach((suffix) => rmSync(`${location}${suffix}`, { force: true })) };
    },
  };
}

function postgresBackend(database: TestDatabase): Backend {
  const schemas = new FreshSchemas(database.url);
  return {
    name: 'PostgreSQL',
    fresh() {
      const { schema, location } = schemas.next('privacy_bench');
      return { location, drop: () => schemas.drop(schema) };
    },
  };
}

/** The batches one measurement writes, made before the clock starts; streams of 1,000 events. */
function appendCalls(events: number, from = 0): { stream: string; events: EventData[] }[] {
  return Array.from({ length: events / BATCH }, (_, call) => ({
    stream: `${ORDER_CATEGORY}-${Math.floor((from + call * BATCH) / 1000)}`,
    events: Array.from({ length: BATCH }, (_, n) => ({ type: ORDER_TYPE, data: orderData(from + call * BATCH + n, 1) })),
  }));
}

/** A store with or without the declaration, and every customer's key made (one event each), untimed. */
async function prepared(location: string, declared: boolean): Promise<EventStore> {
  const store = await openStore(location);
  if (declared) await store.privacy!.declare(ORDER_CATEGORY, PERSONAL);
  for (const call of appendCalls(CUSTOMERS, 1_000_000)) await store.append(`${ORDER_CATEGORY}-warm`, call.events);
  return store;
}

async function measureAppends(backend: Backend, declared: boolean): Promise<Figures> {
  const { location, drop } = backend.fresh();
  const calls = appendCalls(APPEND_EVENTS);
  let store: EventStore | undefined;
  try {
    store = await prepared(location, declared);
    const writer = store;
    const seconds = await timed(async () => {
      for (const call of calls) await writer.append(call.stream, call.events);
    });
    return { rate: APPEND_EVENTS / seconds, seconds };
  } finally {
    await store?.close();
    await drop();
  }
}

async function appendPart(backend: Backend): Promise<void> {
  const contenders: Contender[] = [
    { name: DECLARED, measure: () => measureAppends(backend, true) },
    { name: PLAIN, measure: () => measureAppends(backend, false) },
  ];
  const measured = await interleave(RUNS, contenders, (name, run, figures) => console.log(`  measured ${backend.name} appends: ${name}, run ${run + 1}: ${rate(figures?.['rate'])} events/s`));
  console.log(`\n${backend.name}: appends of ${label(APPEND_EVENTS)} 1 KB events, ${BATCH} per call; ${runsLabel}`);
  console.log(table(['contender', 'events/s', 'seconds', 'vs no declaration'], contenders.map(({ name }) => [name, rate(measured.median(name)), measured.median(name, 'seconds')?.toFixed(2) ?? '—', times(measured.ratio(name, PLAIN))])));
  report.eachRun(`${backend.name} appends, encrypted / plain: ${measured.ratios(DECLARED, PLAIN).map((value) => times(value)).join(' ')}`);
  const ratio = measured.ratio(DECLARED, PLAIN);
  report.target(`${backend.name} appends: two personal fields encrypted vs none`, times(ratio), '≥ 0.70×', ratio === undefined ? undefined : ratio >= 0.7);
}

async function measureReads(store: EventStore): Promise<Figures> {
  let events = 0;
  let touched = 0;
  const seconds = await timed(async () => {
    for (let after = 0; ; ) {
      const page = await store.readAll({ after, limit: PAGE, categories: [ORDER_CATEGORY] });
      for (const event of page.events) {
        events++;
        // what a handler does with an event: looks into its data, here into a personal field
        touched += ((event.data as { shippingAddress: { city: string } }).shippingAddress.city ?? '').length;
      }
      if (page.next === null) break;
      after = page.next;
    }
  });
  if (events !== READ_EVENTS + CUSTOMERS || touched === 0) throw new Error(`read ${events} events, not ${READ_EVENTS + CUSTOMERS}`);
  return { rate: events / seconds, seconds };
}

async function readPart(backend: Backend): Promise<void> {
  const logs = [backend.fresh(), backend.fresh()];
  const stores: EventStore[] = [];
  try {
    for (const [i, log] of logs.entries()) {
      const store = await prepared(log.location, i === 0);
      for (const call of appendCalls(READ_EVENTS)) await store.append(call.stream, call.events);
      stores.push(store);
    }
    const [declared, plain] = stores as [EventStore, EventStore];
    // a cold file would be read from the disk by whichever contender comes first: both are read once untimed
    for (const store of stores) await measureReads(store);
    const contenders: Contender[] = [
      { name: DECLARED, measure: () => measureReads(declared) },
      { name: PLAIN, measure: () => measureReads(plain) },
    ];
    const measured = await interleave(RUNS, contenders, (name, run, figures) => console.log(`  measured ${backend.name} reads: ${name}, run ${run + 1}: ${rate(figures?.['rate'])} events/s`));
    console.log(`\n${backend.name}: readAll in pages of ${label(PAGE)} over ${label(READ_EVENTS + CUSTOMERS)} 1 KB events, data accessed; ${runsLabel}`);
    console.log(table(['log', 'events/s', 'seconds', 'vs no declaration'], contenders.map(({ name }) => [name, rate(measured.median(name)), measured.median(name, 'seconds')?.toFixed(2) ?? '—', times(measured.ratio(name, PLAIN))])));
    report.eachRun(`${backend.name} reads, decrypting / plain: ${measured.ratios(DECLARED, PLAIN).map((value) => times(value)).join(' ')}`);
    const ratio = measured.ratio(DECLARED, PLAIN);
    report.target(`${backend.name} reads: decrypting two personal fields vs none`, times(ratio), '≥ 0.60×', ratio === undefined ? undefined : ratio >= 0.6);
  } finally {
    for (const store of stores) await store.close();
    for (const log of logs) await log.drop();
  }
}

console.log(`1 KB ${ORDER_TYPE} events, two personal fields of ${label(CUSTOMERS)} customers; ${RUNS} run${RUNS === 1 ? '' : 's'}, contenders in turns; Node ${process.version}`);
const database: TestDatabase | undefined = !args['no-postgres'] && (await postgresReachable()) ? await throwawayDatabase() : undefined;
mkdirSync(DATA, { recursive: true });
const folder = mkdtempSync(join(DATA, 'privacy-run-'));
try {
  const sqlite = sqliteBackend(folder);
  await appendPart(sqlite);
  if (database !== undefined) await appendPart(postgresBackend(database));
  await readPart(sqlite);
} finally {
  await database?.drop();
  rmSync(folder, { recursive: true, force: true });
}

report.print();
