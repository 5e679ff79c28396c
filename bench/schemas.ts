// Issue 15's targets, each a ratio of two contenders measured in the same run (contenders in turns, order rotated
// run by run; medians, and ratios taken within each run), with 1 KB order events under a realistic contract
// (bench/lib/order-contract.ts):
//  - batch: appends of 100 events per call into the `order` category through openStore, validation `enforce`
//    against `off` (the same schema registered in both); target ≥ 0.8×. The bare backend (openBackend, no
//    registry) is printed beside them. SQLite file, and PostgreSQL when it is reachable.
//  - single: one event per call, sequential, the same three contenders; target ≥ 0.9×.
//  - reads: readAll in pages of 1,000 over a log of 1M events written as version 1 with a stored upcaster 1 → 2
//    (rename + default), against the same log read raw and against a log written as version 2 (no upcaster);
//    each event's `data` accessed (target ≥ 0.7×), and each event's toJsonText() (printed, no target). SQLite.
// Every append contender writes into a fresh SQLite file or PostgreSQL schema, set up before the clock starts.
//   npm run bench:schemas
//   npm run bench:schemas -- --quick      (reads over 100k events, 10k batched and 1k single appends, 1 run)
//   npm run bench:schemas -- [--only batch,single,reads] [--events N] [--single-events N] [--read-events N] [--runs N] [--rebuild] [--no-postgres]
// PostgreSQL at TRIBUTARY_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openBackend } from '../src/backends/open-store.js';
import type { EventData } from '../src/core/event.js';
import { openStore } from '../src/open/open-store.js';
import type { EventStore } from '../src/store/event-store.js';
import type { ValidationMode } from '../src/store/schema-registry.js';
import { throwawayDatabase, type TestDatabase } from '../test/support/postgres.js';
import { postgresReachable } from './lib/cached-tag-logs.js';
import { FreshSchemas } from './lib/copy-runs.js';
import { BenchReport, countFlag, partsAskedFor } from './lib/bench-report.js';
import { interleave, runsFromEnv, type Contender, type Figures } from './lib/interleave.js';
import { DATA } from './lib/log-cache.js';
import { rate, table, timed, times } from './lib/measure.js';
import { ORDER_CATEGORY, ORDER_TYPE, orderData } from './lib/order-contract.js';
import { orderLogOf, registerOrders } from './lib/order-logs.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'batch,single,reads' },
    events: { type: 'string' },
    'single-events': { type: 'string' },
    'read-events': { type: 'string' },
    runs: { type: 'string' },
    rebuild: { type: 'boolean', default: false },
    'no-postgres': { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const BATCH = 100;
const BATCH_EVENTS = countFlag('events', args.events, quick ? 10_000 : 50_000);
// one fsync per call: 50k sequential calls would take minutes per contender, and the ratio settles well before
const SINGLE_EVENTS = countFlag('single-events', args['single-events'], quick ? 1_000 : 5_000);
const READ_EVENTS = countFlag('read-events', args['read-events'], quick ? 100_000 : 1_000_000);
const RUNS = countFlag('runs', args.runs, quick ? 1 : runsFromEnv(3));
// medians of an odd count are a run's own figures
if (RUNS % 2 === 0) throw new Error(`the number of runs must be odd, not ${RUNS}`);
if (BATCH_EVENTS % BATCH !== 0) throw new Error(`--events must be a whole number of batches of ${BATCH}`);
const PAGE = 1000;

const PARTS = ['batch', 'single', 'reads'] as const;
type Part = (typeof PARTS)[number];
const parts = partsAskedFor(args.only, PARTS);
const runs = (part: Part) => parts.has(part);

const ENFORCE = 'openStore, enforce';
const OFF = 'openStore, off';
const BARE = 'openBackend, no registry';

const UPCAST = 'v1 log, one upcaster 1→2';
const RAW = 'v1 log, raw: true';
const LATEST = 'v2 log, no upcaster';
const DATA_READ = 'data';
const JSON_READ = 'toJsonText()';

const report = new BenchReport();
const label = (n: number) => n.toLocaleString('en-US');
const runsLabel = `median of ${RUNS} run${RUNS === 1 ? '' : 's'}`;

function target(name: string, ratio: number | undefined, least: number): void {
  report.target(name, times(ratio), `≥ ${least.toFixed(2)}×`, ratio === undefined ? undefined : ratio >= least);
}

/** Where a contender's store lives: a fresh SQLite file or PostgreSQL schema per measurement. */
interface Backend {
  name: string;
  fresh(): FreshStore;
}

interface FreshStore {
  location: string;
  drop: () => Promise<void>;
}

function sqliteBackend(folder: string): Backend {
  let made = 0;
  return {
    name: 'SQLite',
    fresh() {
      const location = join(folder, `append-${made++}.db`);
      return { location, drop: async () => ['', '-wal', '-shm', '-groups', '-signal'].forEach((suffix) => rmSync(`${location}${suffix}`, { force: true })) };
    },
  };
}

function postgresBackend(database: TestDatabase): Backend {
  const schemas = new FreshSchemas(database.url);
  return {
    name: 'PostgreSQL',
    fresh() {
      const { schema, location } = schemas.next('schemas_bench');
      return { location, drop: () => schemas.drop(schema) };
    },
  };
}

/** The batches (or single events) one append measurement writes, made before the clock starts; streams of 1,000 events. */
function appendCalls(events: number, perCall: number): { stream: string; events: EventData[] }[] {
  return Array.from({ length: events / perCall }, (_, call) => ({
    stream: `${ORDER_CATEGORY}-${Math.floor((call * perCall) / 1000)}`,
    events: Array.from({ length: perCall }, (_, n) => ({ type: ORDER_TYPE, data: orderData(call * perCall + n, 1) })),
  }));
}

/** Appends `events` events `perCall` to a call, sequentially, into a fresh store set up for `mode` (undefined: the bare backend). */
async function measureAppends(backend: Backend, mode: ValidationMode | undefined, events: number, perCall: number): Promise<Figures> {
  const { location, drop } = backend.fresh();
  const calls = appendCalls(events, perCall);
  let store: EventStore | undefined;
  try {
    store = mode === undefined ? await openBackend(location) : await openStore(location);
    if (mode !== undefined) {
      await registerOrders(store, false);
      await store.schemas!.setMode(ORDER_CATEGORY, mode);
    }
    // the first append compiles the schema and warms the statements: not what is measured
    await store.append(`${ORDER_CATEGORY}-warm`, appendCalls(perCall, perCall)[0]!.events);
    const writer = store;
    const cpu = process.cpuUsage();
    const seconds = await timed(async () => {
      for (const call of calls) await writer.append(call.stream, call.events);
    });
    const { user, system } = process.cpuUsage(cpu);
    if ((await store.headPosition()) < events + perCall) throw new Error(`${location} holds fewer events than were appended`);
    // this process's CPU per event: what validation adds, without the disk's noise (a PostgreSQL server's own CPU is not in it)
    return { rate: events / seconds, seconds, cpuMicros: (user + system) / events };
  } finally {
    await store?.close();
    await drop();
  }
}

async function appendPart(part: 'batch' | 'single', backend: Backend): Promise<void> {
  const perCall = part === 'batch' ? BATCH : 1;
  const events = part === 'batch' ? BATCH_EVENTS : SINGLE_EVENTS;
  const contenders: Contender[] = [
    { name: ENFORCE, measure: () => measureAppends(backend, 'enforce', events, perCall) },
    { name: OFF, measure: () => measureAppends(backend, 'off', events, perCall) },
    { name: BARE, measure: () => measureAppends(backend, undefined, events, perCall) },
  ];
  const what = part === 'batch' ? `batched appends (${perCall} events per call)` : 'single appends (1 event per call, sequential)';
  const measured = await interleave(RUNS, contenders, (name, run, figures) =>
    console.log(`  measured ${backend.name} ${what}: ${name}, run ${run + 1}: ${rate(figures?.['rate'])} events/s`),
  );
  const ratio = measured.ratio(ENFORCE, OFF);
  console.log(`\n${backend.name}: ${what} of ${label(events)} 1 KB ${ORDER_TYPE} events into the ${ORDER_CATEGORY} category; ${runsLabel}`);
  console.log(
    table(
      ['contender', 'events/s', 'seconds', 'vs off', 'CPU µs/event (this process)'],
      contenders.map(({ name }) => [
        name,
        rate(measured.median(name)),
        measured.median(name, 'seconds')?.toFixed(2) ?? '—',
        times(measured.ratio(name, OFF)),
        measured.median(name, 'cpuMicros')?.toFixed(1) ?? '—',
      ]),
    ),
  );
  console.log(`enforce vs off: ${times(ratio)}; off vs the bare backend: ${times(measured.ratio(OFF, BARE))}`);
  report.eachRun(`${backend.name} ${what}, enforce / off: ${measured.ratios(ENFORCE, OFF).map((value) => times(value)).join(' ')}`);
  target(`${backend.name} ${what}: enforce vs off`, ratio, part === 'batch' ? 0.8 : 0.9);
}

/** Reads the whole log in pages of PAGE, touching each event as `how` says; answers events/s. */
async function measureRead(store: EventStore, raw: boolean, how: typeof DATA_READ | typeof JSON_READ): Promise<Figures> {
  let events = 0;
  let touched = 0;
  const seconds = await timed(async () => {
    for (let after = 0; ; ) {
      const page = await store.readAll({ after, limit: PAGE, raw });
      for (const event of page.events) {
        if (event.type !== ORDER_TYPE) continue;
        events++;
        // what a handler does with an event, and what HTTP sends of it
        touched += how === DATA_READ ? (event.data as { itemCount: number }).itemCount : event.toJsonText().length;
      }
      if (page.next === null) break;
      after = page.next;
    }
  });
  if (events !== READ_EVENTS || touched === 0) throw new Error(`read ${events} order events, not ${READ_EVENTS}`);
  return { rate: events / seconds, seconds };
}

async function readPart(): Promise<void> {
  const v1 = await openStore(await orderLogOf('v1', READ_EVENTS, args.rebuild));
  const v2 = await openStore(await orderLogOf('v2', READ_EVENTS, args.rebuild));
  try {
    const readers = [
      { name: UPCAST, store: v1, raw: false },
      { name: RAW, store: v1, raw: true },
      { name: LATEST, store: v2, raw: false },
    ];
    const contenders: Contender[] = [DATA_READ, JSON_READ].flatMap((how) =>
      readers.map(({ name, store, raw }) => ({ name: `${name}, ${how}`, measure: () => measureRead(store, raw, how as typeof DATA_READ) })),
    );
    // a cold file would be read from the disk by whichever contender comes first: both logs are read once untimed
    for (const store of [v1, v2]) await measureRead(store, true, DATA_READ);
    const measured = await interleave(RUNS, contenders, (name, run, figures) => console.log(`  measured reads: ${name}, run ${run + 1}: ${rate(figures?.['rate'])} events/s`));
    console.log(`\nSQLite: readAll in pages of ${label(PAGE)} over ${label(READ_EVENTS)} 1 KB ${ORDER_TYPE} events; ${runsLabel}`);
    console.log(
      table(
        ['reader', `events/s, ${DATA_READ}`, `events/s, ${JSON_READ}`, `vs raw, ${DATA_READ}`, `vs v2 log, ${DATA_READ}`, `vs raw, ${JSON_READ}`, `vs v2 log, ${JSON_READ}`],
        readers.map(({ name }) => [
          name,
          rate(measured.median(`${name}, ${DATA_READ}`)),
          rate(measured.median(`${name}, ${JSON_READ}`)),
          times(measured.ratio(`${name}, ${DATA_READ}`, `${RAW}, ${DATA_READ}`)),
          times(measured.ratio(`${name}, ${DATA_READ}`, `${LATEST}, ${DATA_READ}`)),
          times(measured.ratio(`${name}, ${JSON_READ}`, `${RAW}, ${JSON_READ}`)),
          times(measured.ratio(`${name}, ${JSON_READ}`, `${LATEST}, ${JSON_READ}`)),
        ]),
      ),
    );
    console.log(`the target applies to the ${DATA_READ} reads (a handler's access); the ${JSON_READ} reads (what HTTP sends) are printed for information`);
    for (const [theirs, against] of [
      [RAW, 'the same log read raw'],
      [LATEST, 'a v2 log with no upcaster'],
    ] as const) {
      const ratio = measured.ratio(`${UPCAST}, ${DATA_READ}`, `${theirs}, ${DATA_READ}`);
      report.eachRun(`reads with one upcaster / ${against}, ${DATA_READ}: ${measured.ratios(`${UPCAST}, ${DATA_READ}`, `${theirs}, ${DATA_READ}`).map((value) => times(value)).join(' ')}`);
      report.eachRun(`reads with one upcaster / ${against}, ${JSON_READ}: ${measured.ratios(`${UPCAST}, ${JSON_READ}`, `${theirs}, ${JSON_READ}`).map((value) => times(value)).join(' ')}`);
      target(`SQLite reads (${DATA_READ}) with one upcaster vs ${against}`, ratio, 0.7);
    }
  } finally {
    await v1.close();
    await v2.close();
  }
}

console.log(`1 KB ${ORDER_TYPE} events; ${RUNS} run${RUNS === 1 ? '' : 's'}, contenders in turns; parts ${[...parts].join(', ')}; Node ${process.version}`);
const appending = runs('batch') || runs('single');
const database: TestDatabase | undefined = appending && !args['no-postgres'] && (await postgresReachable()) ? await throwawayDatabase() : undefined;
mkdirSync(DATA, { recursive: true });
const folder = mkdtempSync(join(DATA, 'schemas-run-'));
try {
  const backends = [sqliteBackend(folder), ...(database === undefined ? [] : [postgresBackend(database)])];
  for (const backend of backends) {
    if (runs('batch')) await appendPart('batch', backend);
    if (runs('single')) await appendPart('single', backend);
  }
  if (runs('reads')) await readPart();
} finally {
  await database?.drop();
  rmSync(folder, { recursive: true, force: true });
}

report.print();
