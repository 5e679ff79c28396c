// The embedded store against raw better-sqlite3 (same schema, same durability) and Emmett's SQLite
// store, in one run, with 1 KB JSON events. Prints medians of several repetitions and the ratios.
//   npm run bench:setup   (once: installs Emmett into bench/emmett, never into the package)
//   npm run bench
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '../src/backends/sqlite/sqlite-store.js';
import { newEventId } from '../src/core/event-id.js';
import { loadEmmett } from './lib/emmett.js';
import { medianRate, rate, ratio, table, timed } from './lib/measure.js';
import { appendScenarios, payload, replayScenario, type Sizes } from './lib/scenarios.js';

const REPETITIONS = Number(process.env['BENCH_REPETITIONS'] ?? 5);
const SINGLE_EVENTS = Number(process.env['BENCH_SINGLE'] ?? 1000);
const BATCH_CALLS = Number(process.env['BENCH_BATCHES'] ?? 300);
const CALLERS = 64;
const PER_CALLER = Number(process.env['BENCH_PER_CALLER'] ?? 40);
const REPLAY_EVENTS = Number(process.env['BENCH_REPLAY'] ?? 200_000);
const STREAMS = 100;
const SIZES: Sizes = { single: SINGLE_EVENTS, batchCalls: BATCH_CALLS, callers: CALLERS, perCaller: PER_CALLER, streams: STREAMS };

const folder = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
let files = 0;
const freshPath = () => join(folder, `bench-${files++}.db`);

/** A database with Tributary's schema, opened raw: the baseline writes the same rows Tributary would. */
async function rawDatabase(path = freshPath()) {
  await openSqliteStore({ path }).close();
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const insert = db.prepare(
    'INSERT INTO events (stream_id, revision, id, stream, type, recorded_at, metadata, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const revisions = new Array<number>(STREAMS).fill(-1);
  let next = 0;
  const write = (stream: number) =>
    insert.run(stream + 1, ++revisions[stream]!, newEventId(), `account-${stream}`, 'Deposited', Date.now(), null, JSON.stringify(payload(next++)));
  return { db, path, write };
}

const tributary = {
  ...appendScenarios(SIZES, async () => openSqliteStore({ path: freshPath() })),
  replay: (path: string) => replayScenario(async () => openSqliteStore({ path }))(),
};

const raw = {
  single: async () => {
    const { db, write } = await rawDatabase();
    const once = db.transaction((i: number) => write(i % STREAMS));
    const seconds = await timed(() => {
      for (let i = 0; i < SINGLE_EVENTS; i++) once.immediate(i);
    });
    db.close();
    return { events: SINGLE_EVENTS, seconds };
  },
  batch: async () => {
    const { db, write } = await rawDatabase();
    const hundred = db.transaction((call: number) => {
      for (let i = 0; i < 100; i++) write(call % STREAMS);
    });
    const seconds = await timed(() => {
      for (let call = 0; call < BATCH_CALLS; call++) hundred.immediate(call);
    });
    db.close();
    return { events: BATCH_CALLS * 100, seconds };
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
    return { events, seconds };
  },
};

/** A log of REPLAY_EVENTS written with batched appends, shared by the replay scenarios. */
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

async function main(): Promise<void> {
  const emmett = await loadEmmett();
  const theirs = emmett === undefined ? undefined : appendScenarios(SIZES, async () => emmett.open(freshPath()));
  console.log(`1 KB events; median of ${REPETITIONS} runs; WAL + synchronous=FULL everywhere; Node ${process.version}`);
  if (emmett === undefined) console.log('Emmett is not installed: run `npm run bench:setup` to include it.');

  const results: Record<string, { tributary: number; raw?: number; emmett?: number }> = {};
  const run = async (name: string, ours: () => Promise<{ events: number; seconds: number }>, rawRun?: typeof ours, emmettRun?: typeof ours) => {
    results[name] = {
      tributary: await medianRate(REPETITIONS, ours),
      raw: rawRun && (await medianRate(REPETITIONS, rawRun)),
      emmett: emmettRun && (await medianRate(REPETITIONS, emmettRun)),
    };
    process.stdout.write(`  measured ${name}\n`);
  };
  await run('append, 1 event per call', tributary.single, raw.single, theirs?.single);
  await run('append, 100 events per call', tributary.batch, raw.batch, theirs?.batch);
  await run(`append, ${CALLERS} concurrent callers`, tributary.concurrent, undefined, theirs?.concurrent);
  const log = await buildReplayLog();
  await run(`replay global log (${REPLAY_EVENTS.toLocaleString('en-US')} events)`, () => tributary.replay(log), () => raw.replay(log));

  const oneTxPerEvent = results['append, 1 event per call']!.raw!;
  console.log();
  console.log(
    table(
      ['scenario (events/s)', 'tributary', 'raw sqlite', 'emmett', 'vs raw', 'vs emmett'],
      Object.entries(results).map(([name, r]) => [name, rate(r.tributary), rate(r.raw), rate(r.emmett), ratio(r.tributary, r.raw), ratio(r.tributary, r.emmett)]),
    ),
  );
  const concurrent = results[`append, ${CALLERS} concurrent callers`]!.tributary;
  console.log(`\n${CALLERS} concurrent callers vs one transaction per event (raw): ${ratio(concurrent, oneTxPerEvent)}`);
  rmSync(folder, { recursive: true, force: true });
}

await main();
