// Issue 17's history target: `history` of a record among 1M events answers in under 50 ms. The log holds 1M
// 1 KB events: filler deposits over 5,000 streams, one transfer per 1,000 events (a debit and a credit under
// one correlation id), the account account-12345 (20 events spread through the log, one of them reversed), and
// the transfer transfer-target (a debit, a credit and a reversal of the debit, far apart). Contenders in turns,
// order rotated run by run, on one store: a plain readStream of account-12345 (the baseline), history of
// account-12345 (a stream), history of transfer-target (a correlation id). Each measurement times `--reads`
// sequential calls; the table prints the median and p95 latency per call, and the cost against the plain read.
// The log is built once per backend and kept (bench/.data/ for SQLite, a database of its own on PostgreSQL).
//   npm run bench:history
//   npm run bench:history -- --quick      (a log of 100k events, 1 run)
//   npm run bench:history -- [--events N] [--reads N] [--runs N] [--rebuild] [--no-postgres]
// PostgreSQL at TRIBUTARY_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres).
import { parseArgs } from 'node:util';
import { SCHEMA_VERSION } from '../src/backends/sqlite/sqlite-schema.js';
import type { StreamAppend } from '../src/core/stream-appends.js';
import { openStore } from '../src/open/open-store.js';
import type { EventStore } from '../src/store/event-store.js';
import { history } from '../src/time/corrections/history.js';
import { reverse } from '../src/time/corrections/reverse.js';
import { postgresReachable } from './lib/cached-tag-logs.js';
import { BenchReport, countFlag } from './lib/bench-report.js';
import { interleave, median, runsFromEnv, type Contender } from './lib/interleave.js';
import { cachedLog, postgresLogCache, sqliteLogCache, type LogCache } from './lib/log-cache.js';
import { table, timed, times } from './lib/measure.js';
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
const READS = countFlag('reads', args.reads, 200);
const RUNS = countFlag('runs', args.runs, quick ? 1 : runsFromEnv(3));
if (RUNS % 2 === 0) throw new Error(`the number of runs must be odd, not ${RUNS}`);

const ACCOUNT = 'account-12345';
const ACCOUNT_EVENTS = 20;
const TRANSFER = 'transfer-target';
const CALL_EVENTS = 1000;
const CALLS = EVENTS / CALL_EVENTS;
const CALLS_PER_ACCOUNT_EVENT = CALLS / ACCOUNT_EVENTS;
if (!Number.isInteger(CALLS_PER_ACCOUNT_EVENT)) throw new Error(`--events must be a whole number of ${(CALL_EVENTS * ACCOUNT_EVENTS).toLocaleString('en-US')}s`);
const BUILD_IN_FLIGHT = 4;
const TARGET_MS = 50;

const PLAIN = `readStream ${ACCOUNT}`;
const BY_STREAM = `history ${ACCOUNT}`;
const BY_CORRELATION = `history ${TRANSFER}`;

// bump when the layout below changes, so cached logs of the old layout are not reused
const LAYOUT_VERSION = 1;
const caches: LogCache[] = [
  sqliteLogCache((events) => `history-l${LAYOUT_VERSION}-s${SCHEMA_VERSION}-${events}.db`),
  postgresLogCache('tributary_bench_history', (events) => `history_l${LAYOUT_VERSION}_s${SCHEMA_VERSION}_${events}`, 'history_built', ['events', 'streams', 'event_categories', 'event_tags']),
];

/** Call `call` of the build: 998 filler deposits and one transfer; every so often a filler deposit gives way to the account's next event. */
function buildCall(call: number): StreamAppend[] {
  const first = call * CALL_EVENTS;
  const parts: StreamAppend[] = Array.from({ length: 10 }, (_, k) => ({
    stream: `filler-${(call * 10 + k) % 5000}`,
    events: Array.from({ length: k === 0 ? 98 : 100 }, (_, n) => ({ type: 'Deposited', data: depositData(first + k * 100 + n) })),
  }));
  // the target transfer's two legs land a third and two thirds of the way through the log
  const correlationId = call === Math.floor(CALLS / 3) || call === Math.floor((2 * CALLS) / 3) ? TRANSFER : `transfer-${call}`;
  const leg = call === Math.floor((2 * CALLS) / 3) ? 'Credited' : 'Debited';
  parts.push({ stream: `account-t${call % 997}`, events: [{ type: leg, data: depositData(first + 998), metadata: { correlationId } }] });
  parts.push({ stream: `account-u${call % 991}`, events: [{ type: 'Credited', data: depositData(first + 999), metadata: { correlationId: `transfer-${call}` } }] });
  if (call % CALLS_PER_ACCOUNT_EVENT === Math.floor(CALLS_PER_ACCOUNT_EVENT / 2)) {
    parts[1]!.events = parts[1]!.events.slice(1);
    parts.push({ stream: ACCOUNT, events: [{ type: 'Deposited', data: depositData(first) }] });
  }
  return parts;
}

async function build(store: EventStore, progress: (written: number) => void): Promise<number> {
  let next = 0;
  let written = 0;
  return timed(async () => {
    await Promise.all(
      Array.from({ length: BUILD_IN_FLIGHT }, async () => {
        for (let call = next++; call < CALLS; call = next++) {
          await store.appendMany(buildCall(call));
          written += CALL_EVENTS;
          progress(written);
        }
      }),
    );
    // the mistakes: the account's fifth deposit and the target transfer's debit, reversed at the end of the log
    const fifth = (await store.readStream(ACCOUNT, { from: 4, limit: 1 })).events[0]!;
    await reverse(store, fifth.id, { reason: 'keyed twice by the teller' });
    const debit = (await store.lookup!.correlated(TRANSFER)).find((event) => event.type === 'Debited')!;
    await reverse(store, debit.id, { reason: 'refused by the bank' });
  });
}

/** Milliseconds per call of `READS` sequential calls of `call`, as median and p95. */
async function measureCalls(call: () => Promise<number>, expected: number): Promise<{ p50: number; p95: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < READS; i++) {
    const start = process.hrtime.bigint();
    const found = await call();
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (found !== expected) throw new Error(`a call found ${found} events, not ${expected}`);
  }
  latencies.sort((a, b) => a - b);
  return { p50: median(latencies)!, p95: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.95))]! };
}

const report = new BenchReport();
const label = (n: number) => n.toLocaleString('en-US');
const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));

async function measureBackend(cache: LogCache): Promise<void> {
  const location = await cachedLog(cache, EVENTS, `${cache.name} log of ${label(EVENTS)} events`, args.rebuild, build);
  const store = await openStore(location);
  try {
    const contenders: Contender[] = [
      { name: PLAIN, measure: () => measureCalls(async () => (await store.readStream(ACCOUNT)).events.length, ACCOUNT_EVENTS + 1) },
      { name: BY_STREAM, measure: () => measureCalls(async () => (await history(store, ACCOUNT)).entries.length, ACCOUNT_EVENTS + 1) },
      { name: BY_CORRELATION, measure: () => measureCalls(async () => (await history(store, TRANSFER)).entries.length, 3) },
    ];
    // statements prepared and pages cached before the clock starts, for every contender alike
    for (const contender of contenders) await contender.measure(-1);
    const measured = await interleave(RUNS, contenders, (name, run, figures) => console.log(`  ${cache.name}: ${name}, run ${run + 1}: p50 ${ms(figures?.['p50'])} ms`));
    console.log(`\n${cache.name}: ${label(READS)} sequential calls in a log of ${label(EVENTS)} 1 KB events; median of ${RUNS} run${RUNS === 1 ? '' : 's'}`);
    console.log(
      table(
        ['call', 'p50 ms', 'p95 ms', 'cost vs plain read (p50)'],
        contenders.map(({ name }) => [name, ms(measured.median(name, 'p50')), ms(measured.median(name, 'p95')), times(measured.ratio(name, PLAIN, 'p50'))]),
      ),
    );
    for (const name of [BY_STREAM, BY_CORRELATION]) {
      report.eachRun(`${cache.name}, ${name} / plain read (p50): ${measured.ratios(name, PLAIN, 'p50').map((value) => times(value)).join(' ')}`);
      const p95 = measured.median(name, 'p95');
      report.target(`${cache.name}: ${name}, p95 per call`, `${ms(p95)} ms`, `< ${TARGET_MS} ms`, p95 === undefined ? undefined : p95 < TARGET_MS);
    }
  } finally {
    await store.close();
  }
}

console.log(`the history of a record; ${RUNS} run${RUNS === 1 ? '' : 's'}, contenders in turns; Node ${process.version}`);
await measureBackend(caches[0]!);
if (!args['no-postgres'] && (await postgresReachable())) await measureBackend(caches[1]!);
else report.target('PostgreSQL: history, p95 per call', '—', `< ${TARGET_MS} ms`, undefined);
report.print();
