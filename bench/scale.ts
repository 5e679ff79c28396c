// Every figure at 100k events and on a large log, side by side: append, readAll (unfiltered, a common
// and a rare category, a type), readStream and loadState, without and with snapshots (not recently read and cached), consumer
// catch-up with peak RSS, bytes per event and open time, on SQLite (10M) and PostgreSQL (2M).
//   npm run bench:scale                      (SQLite 10M, PostgreSQL 2M)
//   npm run bench:scale -- --quick           (SQLite 5M, PostgreSQL 1M)
//   npm run bench:scale -- --events 300000 --postgres-events 200000 [--rebuild] [--only sqlite|postgres]
// Built logs stay in bench/.data/ (SQLite files) and in the database tributary_bench_scale (one schema
// per size), keyed by size and layout; a later run reuses them, --rebuild makes them again. Opening one
// with newer code migrates it in place, as it would a user's database.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { openStore } from '../src/open/open-store.js';
import { SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION } from '../src/backends/postgres/postgres-schema.js';
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from '../src/backends/sqlite/sqlite-schema.js';
import { loadState } from '../src/command/decider.js';
import type { EventStore, LogFilter } from '../src/store/event-store.js';
import { startConsumer } from '../src/subscriptions/consumer.js';
import { ADMIN_URL } from '../test/support/postgres.js';
import { adminDatabase, postgresLogCache, sqliteLogCache, withAdmin, type LogCache } from './lib/log-cache.js';
import { rate, table, timed } from './lib/measure.js';
import { payload } from './lib/scenarios.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    'postgres-events': { type: 'string' },
    small: { type: 'string', default: '100000' },
    rebuild: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const SMALL = Number(args.small);
const LARGE = { sqlite: Number(args.events ?? (args.quick ? 5_000_000 : 10_000_000)), postgres: Number(args['postgres-events'] ?? (args.quick ? 1_000_000 : 2_000_000)) };
const RUNS = 3;
const PAGE = 1000;
// bump when the generated layout changes, so cached logs of the old layout are not reused
const LAYOUT_VERSION = 1;
// append runs add events to the cached logs; beyond this growth a log is built again
const GROWTH_TOLERANCE = 0.1;
const BENCH_DATABASE = 'tributary_bench_scale';

// share of events per category: one common, several mid, one rare
const CATEGORIES: readonly [string, number][] = [
  ['account', 0.4],
  ['order', 0.15],
  ['payment', 0.12],
  ['shipment', 0.1],
  ['customer', 0.08],
  ['invoice', 0.07],
  ['cart', 0.05],
  ['refund', 0.029],
  ['audit', 0.001],
];
const COMMON = 'account';
const RARE = 'audit';
const TYPE_FILTER = 'Flagged';
// events per call and calls in flight while building: small calls keep a stream's events spread over the log, group commit batches them
const BUILD_CHUNK = 5;
const BUILD_IN_FLIGHT = 128;

/** Deterministic pseudo-random numbers, so every build of a size is the same log. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Layout {
  streams: { name: string; length: number }[];
  categoryEvents: Map<string, number>;
}

/** Streams of 50 and 150 events (100 on average, so events/100 streams), split among the categories by their share. */
function layoutOf(events: number): Layout {
  const streams: { name: string; length: number }[] = [];
  const categoryEvents = new Map<string, number>();
  for (const [category, share] of CATEGORIES) {
    const total = Math.round(events * share);
    categoryEvents.set(category, total);
    let left = total;
    for (let k = 0; left > 0; k++) {
      const length = Math.min(left, k % 2 === 0 ? 50 : 150);
      streams.push({ name: `${category}-${k}`, length });
      left -= length;
    }
  }
  return { streams, categoryEvents };
}

function typeOf(revision: number, length: number): string {
  if (revision === 0) return 'Opened';
  if (revision === length - 1) return 'Closed';
  if (revision % 20 === 19) return TYPE_FILTER;
  return revision % 3 === 0 ? 'Noted' : 'Changed';
}

/**
 * Appends the layout through the store's own append: chunks of a few events to a window of open streams picked at
 * random, many calls in flight so group commit shares each transaction. The store writes its own rows and indexes,
 * so the log stays right while the schema changes.
 */
async function build(store: EventStore, layout: Layout, total: number): Promise<number> {
  const next = random(12);
  const order = layout.streams.map((s) => ({ ...s, written: 0 }));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  // a stream lives while about a thousand others do: its events are spread over ~100k positions, as in a real log
  const open = order.splice(0, Math.min(1000, order.length));
  let written = 0;
  let lastReport = Date.now();
  const take = () => {
    if (open.length === 0) return undefined;
    const index = Math.floor(next() * open.length);
    const stream = open[index]!;
    const count = Math.min(BUILD_CHUNK, stream.length - stream.written);
    const from = stream.written;
    stream.written += count;
    if (stream.written === stream.length) {
      const replacement = order.pop();
      if (replacement === undefined) open.splice(index, 1);
      else open[index] = replacement;
    }
    return { name: stream.name, events: Array.from({ length: count }, (_, k) => ({ type: typeOf(from + k, stream.length), data: payload(written + k) })) };
  };
  return timed(() =>
    Promise.all(
      Array.from({ length: BUILD_IN_FLIGHT }, async () => {
        for (let call = take(); call !== undefined; call = take()) {
          await store.append(call.name, call.events);
          written += call.events.length;
          if (Date.now() - lastReport > 10_000) {
            lastReport = Date.now();
            console.log(`  … ${written.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} events`);
          }
        }
      }),
    ),
  );
}

interface Log {
  label: string;
  events: number;
  location: string;
  layout: Layout;
  store: EventStore;
  bytes(): Promise<number>;
}

interface Backend extends LogCache {
  schemaVersion: number;
}

const sqlite: Backend = {
  ...sqliteLogCache((events) => `sqlite-l${LAYOUT_VERSION}-${events}.db`),
  schemaVersion: SQLITE_SCHEMA_VERSION,
};

const postgres: Backend = {
  ...postgresLogCache(BENCH_DATABASE, (events) => `scale_l${LAYOUT_VERSION}_${events}`, 'scale_built', ['events', 'streams']),
  schemaVersion: POSTGRES_SCHEMA_VERSION,
};

/** Opens the cached log of this size, building it first when it is missing, stale, grown too much or --rebuild asks. */
async function logOf(backend: Backend, events: number): Promise<Log> {
  const location = await backend.location(events);
  const layout = layoutOf(events);
  let store: EventStore | undefined;
  if (!args.rebuild && (await backend.exists(location))) {
    store = await openStore(location);
    const head = await store.headPosition();
    if (head <= events * (1 + GROWTH_TOLERANCE)) {
      console.log(`${backend.name} ${events.toLocaleString('en-US')}: reusing the log at ${redact(location)} (head ${head.toLocaleString('en-US')})`);
    } else {
      console.log(`${backend.name} ${events.toLocaleString('en-US')}: the log grew to ${head.toLocaleString('en-US')} by append runs; building it again`);
      await store.close();
      store = undefined;
    }
  }
  if (store === undefined) {
    await backend.drop(location);
    store = await openStore(location);
    console.log(`${backend.name} ${events.toLocaleString('en-US')}: building ${layout.streams.length.toLocaleString('en-US')} streams through the store's append…`);
    const seconds = await build(store, layout, events);
    await backend.markBuilt(location);
    console.log(`${backend.name} ${events.toLocaleString('en-US')}: built in ${seconds.toFixed(1)} s, ${rate(events / seconds)} events/s`);
  }
  return { label: events.toLocaleString('en-US'), events, location, layout, store, bytes: () => backend.bytes(location) };
}

function redact(location: string): string {
  return location.replace(/\/\/[^@/]*@/, '//');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

// a read of the small log takes a tenth of a second: passes repeat to a second so warm-up and preemption do not dominate
const MIN_SECONDS = 1;

/** Reads the whole log with `filter` in pages of 1,000, again until MIN_SECONDS have passed; totals over the passes. */
async function readWhole(store: EventStore, filter: LogFilter): Promise<{ matches: number; scanned: number; seconds: number }> {
  let matches = 0;
  let scanned = 0;
  let seconds = 0;
  while (seconds < MIN_SECONDS) {
    scanned += await store.headPosition();
    seconds += await timed(async () => {
      let after: number | null = 0;
      while (after !== null) {
        const page = await store.readAll({ ...filter, after, limit: PAGE });
        matches += page.events.length;
        after = page.next;
      }
    });
  }
  return { matches, scanned, seconds };
}

/** Streams of a given length, each handed out once per process, so a "not recently read" stream really was not. */
function picker(log: Log, length: number, seed: number): () => string {
  const pool = log.layout.streams.filter((s) => s.length === length).map((s) => s.name);
  const next = random(seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return () => {
    const name = pool.pop();
    if (name === undefined) throw new Error(`no unread stream of ${length} events left in the ${log.label} log`);
    return name;
  };
}

const counter = { initialState: () => 0, evolve: (n: number) => n + 1 };

// as a decider keeps them on a ~50-event stream: the newest snapshot at revision 39, ten events after it
const SNAPSHOT_EVERY = 20;
const snapshotCounter = { ...counter, snapshot: { name: 'scale-counter', version: 1, every: SNAPSHOT_EVERY } };

/** Every stream's snapshot as `snapshotCounter` would have kept it, in one statement (kept from run to run with the log). */
async function keepSnapshots(store: EventStore): Promise<void> {
  const kept = `last_revision - ((last_revision + 1) % ${SNAPSHOT_EVERY})`;
  await store.sql!.transaction((tx) =>
    tx.execute(
      tx.dialect.placeholders(`INSERT INTO tributary_snapshots (stream, name, version, revision, from_revision, state, written_at)
        SELECT name, ?, 1, ${kept}, 0, CAST(${kept} + 1 AS TEXT), 0 FROM streams WHERE last_revision >= ${SNAPSHOT_EVERY - 1}
        ON CONFLICT (stream, name) DO NOTHING`),
      [snapshotCounter.snapshot.name],
    ),
  );
}

/** One figure: `measure` returns values by name for one log; run RUNS times, small and large taking turns. */
interface Figure {
  name: string;
  unit: string;
  /** Higher is better (a rate) or lower is better (a time, bytes). */
  better: 'higher' | 'lower';
}

type Measure = (log: Log, run: number) => Promise<Record<string, number>>;

// present under node --expose-gc (npm run bench:scale)
const collect = (globalThis as { gc?: () => void }).gc;

/** Medians by figure name, small and large, for the lines under the table. */
const medians = new Map<string, [number, number]>();

async function figures(logs: [Log, Log], rows: string[][], defs: Figure[], measure: Measure, runs = RUNS): Promise<void> {
  const results: Record<string, number>[][] = [[], []];
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < 2; i++) {
      // the garbage of a run on the large log must not be collected inside the next run on the small one
      collect?.();
      results[i]!.push(await measure(logs[i]!, run));
    }
  }
  for (const def of defs) {
    const small = median(results[0]!.map((r) => r[def.name]!));
    const large = median(results[1]!.map((r) => r[def.name]!));
    medians.set(def.name, [small, large]);
    const ratio = def.better === 'higher' ? large / small : small / large;
    const row = [`${def.name} (${def.unit})`, format(small, def.unit), format(large, def.unit), ratio.toFixed(2)];
    rows.push(row);
    console.log(`  ${row.join(' | ')}`);
  }
}

function format(value: number, unit: string): string {
  if (unit === 'ms') return value.toFixed(2);
  if (unit === 'MB' || unit === 'B/event') return value.toFixed(0);
  return rate(value);
}

async function bench(backend: Backend, large: number): Promise<void> {
  console.log(`\n${backend.name}: ${SMALL.toLocaleString('en-US')} and ${large.toLocaleString('en-US')} events`);
  const logs: [Log, Log] = [await logOf(backend, SMALL), await logOf(backend, large)];
  const rows: string[][] = [];
  const samples = (log: Log, length: number) => Math.min(200, Math.floor(log.layout.streams.filter((s) => s.length === length).length / RUNS / 2));
  const readPickers = logs.map((log, i) => picker(log, 50, 100 + i));
  const statePickers = logs.map((log, i) => picker(log, 150, 200 + i));

  // bytes first: the append runs below add to the log
  // the read path compiled before the first timed run, which is on the small log
  for (const filter of [{}, { categories: [COMMON] }, { categories: [RARE] }, { types: [TYPE_FILTER] }]) await readWhole(logs[0].store, filter);

  const perEvent: number[] = [];
  for (const log of logs) perEvent.push((await log.bytes()) / (await log.store.headPosition()));
  rows.push(['file bytes per event (B/event)', format(perEvent[0]!, 'B/event'), format(perEvent[1]!, 'B/event'), (perEvent[0]! / perEvent[1]!).toFixed(2)]);

  await figures(logs, rows, [{ name: 'readAll, no filter', unit: 'ev/s', better: 'higher' }], async (log) => {
    const r = await readWhole(log.store, {});
    return { 'readAll, no filter': r.matches / r.seconds };
  });
  await figures(logs, rows, [{ name: `readAll, common category ${COMMON} (40%)`, unit: 'ev/s', better: 'higher' }], async (log) => {
    const r = await readWhole(log.store, { categories: [COMMON] });
    return { [`readAll, common category ${COMMON} (40%)`]: r.matches / r.seconds };
  });
  const rareDefs: Figure[] = [
    { name: `readAll, rare category ${RARE} (0.1%), positions scanned`, unit: '/s', better: 'higher' },
    { name: `readAll, rare category ${RARE} (0.1%), matches`, unit: 'ev/s', better: 'higher' },
  ];
  await figures(logs, rows, rareDefs, async (log) => {
    const r = await readWhole(log.store, { categories: [RARE] });
    return { [rareDefs[0]!.name]: r.scanned / r.seconds, [rareDefs[1]!.name]: r.matches / r.seconds };
  });
  await figures(logs, rows, [{ name: `readAll, type ${TYPE_FILTER} (~5%)`, unit: 'ev/s', better: 'higher' }], async (log) => {
    const r = await readWhole(log.store, { types: [TYPE_FILTER] });
    return { [`readAll, type ${TYPE_FILTER} (~5%)`]: r.matches / r.seconds };
  });

  const streamDefs: Figure[] = [
    { name: 'readStream ~50 events, not recently read, p50', unit: 'ms', better: 'lower' },
    { name: 'readStream ~50 events, not recently read, p99', unit: 'ms', better: 'lower' },
    { name: 'readStream ~50 events, cached, p50', unit: 'ms', better: 'lower' },
    { name: 'readStream ~50 events, cached, p99', unit: 'ms', better: 'lower' },
  ];
  await figures(logs, rows, streamDefs, async (log) => {
    const pick = readPickers[logs.indexOf(log)]!;
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < samples(log, 50); i++) {
      const stream = pick();
      cold.push((await timed(() => log.store.readStream(stream))) * 1000);
      // a stream can be read cold only once, but cached many times: more samples for the cached p99
      for (let again = 0; again < 5; again++) warm.push((await timed(() => log.store.readStream(stream))) * 1000);
    }
    cold.sort((a, b) => a - b);
    warm.sort((a, b) => a - b);
    return { [streamDefs[0]!.name]: percentile(cold, 0.5), [streamDefs[1]!.name]: percentile(cold, 0.99), [streamDefs[2]!.name]: percentile(warm, 0.5), [streamDefs[3]!.name]: percentile(warm, 0.99) };
  });

  const stateDefs: Figure[] = [
    { name: 'loadState to revision 20, not recently read, p50', unit: 'ms', better: 'lower' },
    { name: 'loadState to revision 20, not recently read, p99', unit: 'ms', better: 'lower' },
    { name: 'loadState to revision 20, cached, p50', unit: 'ms', better: 'lower' },
  ];
  await figures(logs, rows, stateDefs, async (log) => {
    const pick = statePickers[logs.indexOf(log)]!;
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < samples(log, 150); i++) {
      const stream = pick();
      cold.push((await timed(() => loadState(log.store, stream, counter, { untilRevision: 20 }))) * 1000);
      warm.push((await timed(() => loadState(log.store, stream, counter, { untilRevision: 20 }))) * 1000);
    }
    cold.sort((a, b) => a - b);
    warm.sort((a, b) => a - b);
    return { [stateDefs[0]!.name]: percentile(cold, 0.5), [stateDefs[1]!.name]: percentile(cold, 0.99), [stateDefs[2]!.name]: percentile(warm, 0.5) };
  });

  for (const log of logs) await keepSnapshots(log.store);
  const snapshotDefs: Figure[] = [
    { name: `loadState ~50 events with snapshots every ${SNAPSHOT_EVERY}, not recently read, p50`, unit: 'ms', better: 'lower' },
    { name: `loadState ~50 events with snapshots every ${SNAPSHOT_EVERY}, not recently read, p99`, unit: 'ms', better: 'lower' },
    { name: `loadState ~50 events with snapshots every ${SNAPSHOT_EVERY}, cached, p50`, unit: 'ms', better: 'lower' },
  ];
  await figures(logs, rows, snapshotDefs, async (log) => {
    // the streams readStream left unread: each picker hands out at most half of its pool
    const pick = readPickers[logs.indexOf(log)]!;
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < samples(log, 50); i++) {
      const stream = pick();
      cold.push((await timed(() => loadState(log.store, stream, snapshotCounter))) * 1000);
      warm.push((await timed(() => loadState(log.store, stream, snapshotCounter))) * 1000);
    }
    cold.sort((a, b) => a - b);
    warm.sort((a, b) => a - b);
    return { [snapshotDefs[0]!.name]: percentile(cold, 0.5), [snapshotDefs[1]!.name]: percentile(cold, 0.99), [snapshotDefs[2]!.name]: percentile(warm, 0.5) };
  });

  const catchUpDefs: Figure[] = [
    { name: `consumer catch-up, category ${COMMON}`, unit: 'ev/s', better: 'higher' },
    { name: 'consumer catch-up, peak RSS', unit: 'MB', better: 'lower' },
  ];
  await figures(logs, rows, catchUpDefs, async (log, run) => {
    const expected = log.layout.categoryEvents.get(COMMON)!;
    let handled = 0;
    let seconds = 0;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    // a fresh consumer per pass, each from the beginning, until MIN_SECONDS have passed
    for (let pass = 0; seconds < MIN_SECONDS; pass++) {
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const target = handled + expected;
      let consumer: Awaited<ReturnType<typeof startConsumer>> | undefined;
      seconds += await timed(async () => {
        consumer = await startConsumer(log.store, {
          name: `scale-catch-up-${Date.now()}-${run}-${pass}`,
          filter: { categories: [COMMON] },
          handler: () => {
            if (++handled === target) done();
          },
        });
        await finished;
      });
      await consumer!.stop();
    }
    clearInterval(sampler);
    return { [catchUpDefs[0]!.name]: handled / seconds, [catchUpDefs[1]!.name]: peak / 1024 / 1024 };
  });

  await figures(logs, rows, [{ name: 'open time (openStore on the log)', unit: 'ms', better: 'lower' }], async (log) => {
    let opened: EventStore | undefined;
    const seconds = await timed(async () => (opened = await openStore(log.location)));
    await opened!.close();
    return { 'open time (openStore on the log)': seconds * 1000 };
  });

  // appends last: they grow the cached log (into category bench, which no figure above reads)
  const SINGLES = 500;
  const BATCHES = 20;
  const appendDefs: Figure[] = [
    { name: 'append, 1 event per call', unit: 'ev/s', better: 'higher' },
    { name: 'append, 100 events per call', unit: 'ev/s', better: 'higher' },
  ];
  await figures(logs, rows, appendDefs, async (log, run) => {
    const single = await timed(async () => {
      for (let i = 0; i < SINGLES; i++) await log.store.append(`bench-${run}${i % 100}`, [{ type: 'Deposited', data: payload(i) }]);
    });
    const batch = await timed(async () => {
      for (let call = 0; call < BATCHES; call++) {
        await log.store.append(
          `bench-${run}${call % 100}`,
          Array.from({ length: 100 }, (_, i) => ({ type: 'Deposited', data: payload(call * 100 + i) })),
        );
      }
    });
    return { [appendDefs[0]!.name]: SINGLES / single, [appendDefs[1]!.name]: (BATCHES * 100) / batch };
  });

  for (const log of logs) await log.store.close();
  console.log(`\n${backend.name} (schema ${backend.schemaVersion}), median of ${RUNS}, small and large taking turns; ratio below 1 = worse at the large size`);
  console.log(table(['figure', logs[0].label, logs[1].label, 'ratio'], rows));
  const unfiltered = medians.get('readAll, no filter')!;
  const common = medians.get(`readAll, common category ${COMMON} (40%)`)!;
  console.log(`common category against an unfiltered read (target ≥ 0.8): ${(common[0] / unfiltered[0]).toFixed(2)} at ${logs[0].label}, ${(common[1] / unfiltered[1]).toFixed(2)} at ${logs[1].label}`);
}

const loadAtStart = loadavg();
const only = args.only?.toLowerCase();
if (only === undefined || only === 'sqlite') await bench(sqlite, LARGE.sqlite);
if (only === undefined || only === 'postgres') {
  const reachable = await withAdmin(adminDatabase(), async () => true).catch((error: Error) => {
    console.warn(`\nskipping PostgreSQL: not reachable at ${redact(ADMIN_URL)}: ${error.message}`);
    return false;
  });
  if (reachable) await bench(postgres, LARGE.postgres);
}
const loadAtEnd = loadavg();
const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
console.log(`\nload average (1, 5, 15 min): ${load(loadAtStart)} at start, ${load(loadAtEnd)} at end`);
