// Issue 16's as-of target: a read of a stream as of a time costs at most 2× a plain read of the same stream,
// on a log of 1M 1 KB events. The stream (account-12345, 20 events) lies spread through the log, one event in
// every 50,000. Contenders in turns, order rotated run by run, on one store: readStream of the whole stream;
// readStream as of the time its 10th event was recorded (the time resolves through positionAt: probes of the
// primary key on SQLite, one position_at call on PostgreSQL); readStream as of that event's position. Each
// measurement times `--reads` sequential reads; medians, and ratios taken within each run.
// The log is built once per backend and kept (bench/.data/ for SQLite, a database of its own on PostgreSQL).
//   npm run bench:as-of
//   npm run bench:as-of -- --quick      (a log of 100k events, 1 run)
//   npm run bench:as-of -- [--events N] [--reads N] [--runs N] [--rebuild] [--no-postgres]
// PostgreSQL at TRIBUTARY_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres).
import { parseArgs } from 'node:util';
import { SCHEMA_VERSION } from '../src/backends/sqlite/sqlite-schema.js';
import type { StreamAppend } from '../src/core/stream-appends.js';
import { openStore } from '../src/open/open-store.js';
import type { EventStore, ReadStreamOptions } from '../src/store/event-store.js';
import { postgresReachable } from './lib/cached-tag-logs.js';
import { BenchReport, countFlag } from './lib/bench-report.js';
import { interleave, runsFromEnv, type Contender } from './lib/interleave.js';
import { cachedLog, postgresLogCache, sqliteLogCache, type LogCache } from './lib/log-cache.js';
import { rate, table, timed, times } from './lib/measure.js';
import { depositData } from './lib/payload.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    reads: { type: 'string' },
    runs: { type: 'string' },
    rebuild: { type: 'boolean', default: false },
    'no-postgres': { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const EVENTS = countFlag('events', args.events, quick ? 100_000 : 1_000_000);
const READS = countFlag('reads', args.reads, 1000);
const RUNS = countFlag('runs', args.runs, quick ? 1 : runsFromEnv(3));
// medians of an odd count are a run's own figures
if (RUNS % 2 === 0) throw new Error(`the number of runs must be odd, not ${RUNS}`);

const STREAM = 'account-12345';
const STREAM_EVENTS = 20;
const CALL_EVENTS = 1000;
const CALLS = EVENTS / CALL_EVENTS;
const CALLS_PER_STREAM_EVENT = CALLS / STREAM_EVENTS;
if (!Number.isInteger(CALLS_PER_STREAM_EVENT)) throw new Error(`--events must be a whole number of ${(CALL_EVENTS * STREAM_EVENTS).toLocaleString('en-US')}s`);
// calls in flight while building: group commit shares their transactions
const BUILD_IN_FLIGHT = 4;

const PLAIN = 'readStream';
const AS_OF_TIME = 'readStream, asOf a time';
const AS_OF_POSITION = 'readStream, asOf a position';

// bump when the layout below changes, so cached logs of the old layout are not reused
const LAYOUT_VERSION = 1;
const caches: LogCache[] = [
  sqliteLogCache((events) => `as-of-l${LAYOUT_VERSION}-s${SCHEMA_VERSION}-${events}.db`),
  postgresLogCache('tributary_bench_as_of', (events) => `as_of_l${LAYOUT_VERSION}_s${SCHEMA_VERSION}_${events}`, 'as_of_built', ['events', 'streams', 'event_categories']),
];

/** Call `call` of the build: 1,000 deposits over ten filler streams, one of them replaced by the stream's next event every so many calls. */
function buildCall(call: number): StreamAppend[] {
  const first = call * CALL_EVENTS;
  const parts: StreamAppend[] = Array.from({ length: 10 }, (_, k) => ({
    stream: `filler-${(call * 10 + k) % 5000}`,
    events: Array.from({ length: CALL_EVENTS / 10 }, (_, n) => ({ type: 'Deposited', data: depositData(first + k * 100 + n) })),
  }));
  if (call % CALLS_PER_STREAM_EVENT === Math.floor(CALLS_PER_STREAM_EVENT / 2)) {
    parts[0]!.events = parts[0]!.events.slice(1);
    parts.push({ stream: STREAM, events: [{ type: 'Deposited', data: depositData(first) }] });
  }
  return parts;
}

async function build(store: EventStore, progress: (written: number) => void): Promise<number> {
  let next = 0;
  let written = 0;
  return timed(() =>
    Promise.all(
      Array.from({ length: BUILD_IN_FLIGHT }, async () => {
        // in order, one call after another per worker: the stream's events keep their order in the log
        for (let call = next++; call < CALLS; call = next++) {
          await store.appendMany(buildCall(call));
          written += CALL_EVENTS;
          progress(written);
        }
      }),
    ),
  );
}

/** Reads per second of `READS` sequential reads of the stream with `options`. */
async function measureReads(store: EventStore, options: ReadStreamOptions, expected: number): Promise<{ rate: number }> {
  const seconds = await timed(async () => {
    for (let i = 0; i < READS; i++) {
      const page = await store.readStream(STREAM, options);
      if (page.events.length !== expected) throw new Error(`a read returned ${page.events.length} events, not ${expected}`);
    }
  });
  return { rate: READS / seconds };
}

const report = new BenchReport();
const label = (n: number) => n.toLocaleString('en-US');
const runsLabel = `median of ${RUNS} run${RUNS === 1 ? '' : 's'}`;

async function measureBackend(cache: LogCache): Promise<void> {
  const location = await cachedLog(cache, EVENTS, `${cache.name} log of ${label(EVENTS)} events`, args.rebuild, build);
  const store = await openStore(location);
  try {
    const events = (await store.readStream(STREAM)).events;
    if (events.length !== STREAM_EVENTS) throw new Error(`${STREAM} holds ${events.length} events, not ${STREAM_EVENTS}`);
    const middle = events[STREAM_EVENTS / 2 - 1]!;
    // the time of the middle event stands for it and for any later one recorded in the same millisecond
    const byTime = events.filter((event) => event.recordedAtMillis <= middle.recordedAtMillis).length;
    const contenders: Contender[] = [
      { name: PLAIN, measure: () => measureReads(store, {}, STREAM_EVENTS) },
      { name: AS_OF_TIME, measure: () => measureReads(store, { asOf: middle.recordedAt }, byTime) },
      { name: AS_OF_POSITION, measure: () => measureReads(store, { asOf: middle.position }, STREAM_EVENTS / 2) },
    ];
    // statements prepared and pages cached before the clock starts, for every contender alike
    for (const contender of contenders) await contender.measure(-1);
    const measured = await interleave(RUNS, contenders, (name, run, figures) => console.log(`  ${cache.name}: ${name}, run ${run + 1}: ${rate(figures?.['rate'])} reads/s`));
    console.log(`\n${cache.name}: ${label(READS)} reads of a ${STREAM_EVENTS}-event stream in a log of ${label(EVENTS)} 1 KB events; ${runsLabel}`);
    // cost per read relative to the plain read: the plain read's rate over the contender's
    const cost = (name: string) => measured.ratio(PLAIN, name);
    console.log(
      table(
        ['read', 'reads/s', 'µs per read', 'cost vs plain read'],
        contenders.map(({ name }) => {
          const perSecond = measured.median(name);
          return [name, rate(perSecond), perSecond === undefined ? '—' : (1e6 / perSecond).toFixed(1), times(name === PLAIN ? 1 : cost(name))];
        }),
      ),
    );
    for (const name of [AS_OF_TIME, AS_OF_POSITION]) {
      report.eachRun(`${cache.name}, ${name} / plain read (cost): ${measured.ratios(PLAIN, name).map((value) => times(value)).join(' ')}`);
    }
    const ratio = cost(AS_OF_TIME);
    report.target(`${cache.name}: as-of-time read / plain read (cost)`, times(ratio), '≤ 2.00×', ratio === undefined ? undefined : ratio <= 2);
  } finally {
    await store.close();
  }
}

console.log(`as-of reads; ${RUNS} run${RUNS === 1 ? '' : 's'}, contenders in turns; Node ${process.version}`);
await measureBackend(caches[0]!);
if (!args['no-postgres'] && (await postgresReachable())) await measureBackend(caches[1]!);
else report.target('PostgreSQL: as-of-time read / plain read (cost)', '—', '≤ 2.00×', undefined);
report.print();
