// The embedded store against raw better-sqlite3 (Tributary's own schema, same durability) and Emmett's
// SQLite store, with 1 KB JSON events. Each run measures every contender once, in an order rotated run
// by run; the tables print medians, and ratios taken within each run before their median.
//  - append, 1 event per call: raw commits each event in its own transaction;
//  - append, 100 events per call: raw commits 100 rows per transaction;
//  - 64 concurrent callers, 1 and 10 events per call: raw is a batching writer committing as many rows
//    per transaction as Tributary's group commit did (counted in each run: callers of one commit are
//    answered together); when raw's turn comes before Tributary's, it takes the figure of the run before;
//  - replay of the global log: readAll in pages of 1,000 against raw scanning the table in order.
// The raw writers write what Tributary writes for an event (its row and its category index row),
// with none of the store's checks and no stream rows.
//   npm run bench:setup   (once: installs Emmett into bench/emmett, never into the package)
//   npm run bench         BENCH_RUNS=3 BENCH_SINGLE=1000 BENCH_BATCHES=300 BENCH_PER_CALLER=40 BENCH_REPLAY=200000
//                         BENCH_ONLY=single,batch,concurrent,replay (picks scenarios)
//   npm run bench:profile (the same under --cpu-prof: a profile per process in bench/results/)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { migrate } from '../src/backends/sqlite/sqlite-schema.js';
import { openSqliteStore } from '../src/backends/sqlite/sqlite-store.js';
import { newEventId } from '../src/core/event-id.js';
import { loadEmmett } from './lib/emmett.js';
import { interleave, rateOf, runsFromEnv, type Contender, type Runs } from './lib/interleave.js';
import { rate, table, timed, times } from './lib/measure.js';
import { appendScenarios, payload, replayScenario, type Run, type Sizes } from './lib/scenarios.js';

const RUNS = runsFromEnv(3);
const SINGLE_EVENTS = Number(process.env['BENCH_SINGLE'] ?? 1000);
const BATCH_CALLS = Number(process.env['BENCH_BATCHES'] ?? 300);
const CALLERS = 64;
const PER_CALLER = Number(process.env['BENCH_PER_CALLER'] ?? 40);
const REPLAY_EVENTS = Number(process.env['BENCH_REPLAY'] ?? 200_000);
const STREAMS = 100;
const SCENARIOS = ['single', 'batch', 'concurrent', 'replay'] as const;
const ONLY = new Set((process.env['BENCH_ONLY'] ?? SCENARIOS.join(',')).split(',').map((part) => part.trim()));
for (const part of ONLY) {
  if (!(SCENARIOS as readonly string[]).includes(part)) throw new Error(`BENCH_ONLY: unknown scenario ${JSON.stringify(part)}; the scenarios are ${SCENARIOS.join(', ')}`);
}
const SIZES: Sizes = { single: SINGLE_EVENTS, batchCalls: BATCH_CALLS, callers: CALLERS, perCaller: PER_CALLER, streams: STREAMS };

const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
let files = 0;
const freshPath = () => join(folder, `bench-${files++}.db`);

/** A fresh database given Tributary's schema by its own migrations, opened raw: `write` adds the rows Tributary would for one event. */
function rawDatabase() {
  const db = new BetterSqlite3(freshPath());
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  migrate(db, () => undefined);
  const insertEvent = db.prepare(
    'INSERT INTO events (stream_id, revision, id, stream, type, recorded_at, metadata, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertCategory = db.prepare('INSERT INTO event_categories (category, position) VALUES (?, ?)');
  const revisions = new Array<number>(STREAMS).fill(-1);
  let next = 0;
  const write = (stream: number) => {
    const { lastInsertRowid } = insertEvent.run(
      stream + 1, ++revisions[stream]!, newEventId(), `account-${stream}`, 'Deposited', Date.now(), null, JSON.stringify(payload(next++)),
    );
    insertCategory.run('account', lastInsertRowid);
  };
  return { db, write };
}

const raw = {
  single: async () => {
    const { db, write } = rawDatabase();
    const once = db.transaction((i: number) => write(i % STREAMS));
    const seconds = await timed(() => {
      for (let i = 0; i < SINGLE_EVENTS; i++) once.immediate(i);
    });
    db.close();
    return rateOf({ events: SINGLE_EVENTS, seconds });
  },
  batch: async () => {
    const { db, write } = rawDatabase();
    const hundred = db.transaction((call: number) => {
      for (let i = 0; i < 100; i++) write(call % STREAMS);
    });
    const seconds = await timed(() => {
      for (let call = 0; call < BATCH_CALLS; call++) hundred.immediate(call);
    });
    db.close();
    return rateOf({ events: BATCH_CALLS * 100, seconds });
  },
  /** The callers' events, appends taken in turn, committed `rowsPerCommit` rows to a transaction. */
  batching: (eventsPerCall: number, rowsPerCommit: number) => async () => {
    const { db, write } = rawDatabase();
    const events = CALLERS * PER_CALLER * eventsPerCall;
    const some = db.transaction((from: number, to: number) => {
      for (let row = from; row < to; row++) write(Math.floor(row / eventsPerCall) % CALLERS);
    });
    const seconds = await timed(() => {
      for (let from = 0; from < events; from += rowsPerCommit) some.immediate(from, Math.min(events, from + rowsPerCommit));
    });
    db.close();
    return { ...rateOf({ events, seconds }), rowsPerCommit };
  },
  replay: async (path: string) => {
    const db = new BetterSqlite3(path, { readonly: true });
    let events = 0;
    const seconds = await timed(() => {
      for (const row of db.prepare('SELECT position, id, stream, revision, type, recorded_at, metadata, data FROM events ORDER BY position').raw(true).iterate()) {
        if (row) events++;
      }
    });
    db.close();
    return rateOf({ events, seconds });
  },
};

/** A log of REPLAY_EVENTS written with batched appends, shared by the replay contenders. */
async function buildReplayLog(): Promise<string> {
  const path = freshPath();
  const store = openSqliteStore({ path });
  for (let written = 0; written < REPLAY_EVENTS; written += 1000) {
    const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'Deposited', data: payload(written + i) }));
    await store.append(`account-${(written / 1000) % STREAMS}`, events);
  }
  await store.close();
  return path;
}

const contender = (name: string, run: Run | undefined): Contender[] => (run === undefined ? [] : [{ name, measure: run }]);

/**
 * Tributary's concurrent callers against the raw batching writer, which commits as many rows per
 * transaction as Tributary did in the same run (or, going first, in the run before).
 */
function concurrentContenders(ours: Run, eventsPerCall: number, emmett: Run | undefined): Contender[] {
  const perRun: number[] = [];
  return [
    {
      name: 'tributary',
      measure: async (run) => {
        const figures = await ours();
        perRun[run] = figures['rowsPerCommit']!;
        return figures;
      },
    },
    {
      name: 'raw',
      measure: async (run) => {
        const rows = perRun[run] ?? perRun[run - 1];
        // only run 0 could lack it, and there tributary goes first
        if (rows === undefined) throw new Error('the raw batching writer ran before any Tributary run');
        return raw.batching(eventsPerCall, Math.max(1, Math.round(rows)))();
      },
    },
    ...contender('emmett', emmett),
  ];
}

interface Scenario {
  name: string;
  runs: Runs;
  /** What raw commits per transaction, as printed. */
  rawRows: string;
}

async function main(): Promise<void> {
  const emmett = await loadEmmett();
  const theirs = emmett === undefined ? undefined : appendScenarios(SIZES, async () => emmett.open(freshPath()));
  const ours = appendScenarios(SIZES, async () => openSqliteStore({ path: freshPath() }));
  console.log(`1 KB events; ${RUNS} runs, contenders in turns; WAL + synchronous=FULL everywhere; Node ${process.version}`);
  if (emmett === undefined) console.log('Emmett is not installed: run `npm run bench:setup` to include it.');

  const scenarios: Scenario[] = [];
  const measure = async (name: string, rawRows: string, contenders: Contender[]) => {
    const runs = await interleave(RUNS, contenders);
    scenarios.push({ name, runs, rawRows });
    process.stdout.write(`  measured ${name}\n`);
    return runs;
  };
  if (ONLY.has('single')) {
    await measure('append, 1 event per call', '1', [
      ...contender('tributary', ours.single),
      ...contender('raw', raw.single),
      ...contender('emmett', theirs?.single),
    ]);
  }
  if (ONLY.has('batch')) {
    await measure('append, 100 events per call', '100', [
      ...contender('tributary', ours.batch),
      ...contender('raw', raw.batch),
      ...contender('emmett', theirs?.batch),
    ]);
  }
  for (const eventsPerCall of ONLY.has('concurrent') ? [1, 10] : []) {
    const name = `append, ${CALLERS} concurrent callers, ${eventsPerCall} event${eventsPerCall === 1 ? '' : 's'} per call`;
    const runs = await measure(name, '', concurrentContenders(ours.concurrent(eventsPerCall), eventsPerCall, theirs?.concurrent(eventsPerCall)));
    scenarios.at(-1)!.rawRows = `${runs.each('raw', 'rowsPerCommit').join(' / ')} (tributary: ${runs.each('tributary', 'rowsPerCommit').map((rows) => Math.round(rows)).join(' / ')})`;
  }
  if (ONLY.has('replay')) {
    const log = await buildReplayLog();
    await measure(`replay global log (${REPLAY_EVENTS.toLocaleString('en-US')} events)`, 'sequential scan', [
      ...contender('tributary', replayScenario(async () => openSqliteStore({ path: log }))),
      ...contender('raw', () => raw.replay(log)),
    ]);
  }

  console.log();
  console.log(
    table(
      ['scenario (events/s)', 'tributary', 'raw sqlite', 'emmett', 'vs raw', 'vs emmett', 'raw rows per transaction, each run'],
      scenarios.map(({ name, runs, rawRows }) => [
        name,
        rate(runs.median('tributary')),
        rate(runs.median('raw')),
        rate(runs.median('emmett')),
        times(runs.ratio('tributary', 'raw')),
        times(runs.ratio('tributary', 'emmett')),
        rawRows,
      ]),
    ),
  );
  console.log(`\nratios are medians of each run's ratio; tributary vs raw, each run:`);
  for (const { name, runs } of scenarios) console.log(`  ${name}: ${runs.ratios('tributary', 'raw').map((value) => times(value)).join(' ')}`);
  rmSync(folder, { recursive: true, force: true });
}

await main();
