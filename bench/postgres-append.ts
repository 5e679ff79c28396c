// The PostgreSQL store against raw pg (same schema: multi-row inserts, single-row transactions) and
// Emmett's PostgreSQL store, with 1 KB JSON events; plus the LISTEN/NOTIFY wake-up latency. Each run
// measures every contender once, in an order rotated run by run; the tables print medians, and ratios
// taken within each run before their median.
//   npm run bench:setup   (once)
//   npm run bench:postgres   (TRIBUTARY_BENCH_PG to point at another server; BENCH_RUNS=3)
import pg from 'pg';
import { openPostgresStore } from '../src/backends/postgres/postgres-store.js';
import { newEventId } from '../src/core/event-id.js';
import { throwawayDatabase } from '../test/support/postgres.js';
import { loadEmmettPostgres } from './lib/emmett.js';
import { interleave, rateOf, runsFromEnv, type Contender, type Runs } from './lib/interleave.js';
import { rate, table, timed, times } from './lib/measure.js';
import { appendScenarios, payload, replayScenario, type Run, type Sizes } from './lib/scenarios.js';

const RUNS = runsFromEnv(3);
const SIZES: Sizes = {
  single: Number(process.env['BENCH_SINGLE'] ?? 1000),
  batchCalls: Number(process.env['BENCH_BATCHES'] ?? 200),
  callers: 32,
  perCaller: Number(process.env['BENCH_PER_CALLER'] ?? 60),
  streams: 100,
};
const REPLAY_EVENTS = Number(process.env['BENCH_REPLAY'] ?? 100_000);
const WAKEUPS = Number(process.env['BENCH_WAKEUPS'] ?? 500);

const database = await throwawayDatabase();
if (database === undefined) throw new Error('no PostgreSQL to benchmark against');
const url = database.url;
let schemas = 0;

/** A fresh schema with Tributary's tables. */
async function freshSchema(): Promise<string> {
  const schema = `bench_${schemas++}`;
  await (await openPostgresStore({ url, schema, poolSize: 1 })).close();
  return schema;
}

const INSERT = (schema: string, rows: number) =>
  `INSERT INTO ${schema}.events (position, stream_id, revision, id, stream, type, recorded_at, metadata, data) VALUES ` +
  Array.from({ length: rows }, (_, r) => `(${Array.from({ length: 9 }, (_, c) => `$${r * 9 + c + 1}`).join(', ')})`).join(', ');

/** Raw pg on the same tables: positions and revisions from counters, no checks, no stream rows. */
function rawWriter() {
  let position = 0;
  const revisions = new Array<number>(SIZES.streams).fill(-1);
  return (stream: number, i: number) => [
    ++position, stream + 1, ++revisions[stream]!, newEventId(), `account-${stream}`, 'Deposited', Date.now(), null, JSON.stringify(payload(i)),
  ];
}

const raw: { single: Run; batch: Run; concurrent: Run } = {
  single: async () => {
    const schema = await freshSchema();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const row = rawWriter();
    const sql = INSERT(schema, 1);
    const seconds = await timed(async () => {
      for (let i = 0; i < SIZES.single; i++) await client.query(sql, row(i % SIZES.streams, i));
    });
    await client.end();
    return rateOf({ events: SIZES.single, seconds });
  },
  batch: async () => {
    const schema = await freshSchema();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const row = rawWriter();
    const sql = INSERT(schema, 100);
    const seconds = await timed(async () => {
      for (let call = 0; call < SIZES.batchCalls; call++) {
        await client.query(sql, Array.from({ length: 100 }, (_, i) => row(call % SIZES.streams, call * 100 + i)).flat());
      }
    });
    await client.end();
    return rateOf({ events: SIZES.batchCalls * 100, seconds });
  },
  concurrent: async () => {
    const schema = await freshSchema();
    const clients = await Promise.all(
      Array.from({ length: SIZES.callers }, async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        return client;
      }),
    );
    const row = rawWriter();
    const sql = INSERT(schema, 1);
    const seconds = await timed(() =>
      Promise.all(
        clients.map(async (client, caller) => {
          for (let i = 0; i < SIZES.perCaller; i++) await client.query(sql, row(caller % SIZES.streams, i));
        }),
      ),
    );
    await Promise.all(clients.map((client) => client.end()));
    return rateOf({ events: SIZES.callers * SIZES.perCaller, seconds });
  },
};

const tributary = appendScenarios(SIZES, async () => openPostgresStore({ url, schema: await freshSchema() }));

async function replayLog(): Promise<string> {
  const schema = await freshSchema();
  const store = await openPostgresStore({ url, schema });
  for (let written = 0; written < REPLAY_EVENTS; written += 1000) {
    await store.append(`account-${(written / 1000) % 100}`, Array.from({ length: 1000 }, (_, i) => ({ type: 'Deposited', data: payload(written + i) })));
  }
  await store.close();
  return schema;
}

const replay = (schema: string) => ({
  tributary: replayScenario(() => openPostgresStore({ url, schema, poolSize: 1 })),
  raw: async () => {
    const client = new pg.Client({ connectionString: url, types: { getTypeParser: ((oid: number) => (oid === 20 ? Number : (v: string) => v)) as never } });
    await client.connect();
    let events = 0;
    const seconds = await timed(async () => {
      let after = 0;
      for (;;) {
        const page = await client.query<unknown[]>({
          text: `SELECT position, id, stream, revision, type, recorded_at, metadata, data FROM ${schema}.events WHERE position > $1 ORDER BY position LIMIT 1000`,
          values: [after],
          rowMode: 'array',
        });
        if (page.rows.length === 0) break;
        events += page.rows.length;
        after = page.rows[page.rows.length - 1]![0] as number;
      }
    });
    await client.end();
    return rateOf({ events, seconds });
  },
});

/** Milliseconds from an append's acknowledgement to a waiter on another connection waking up. */
async function wakeups(): Promise<{ p50: number; p99: number }> {
  const schema = await freshSchema();
  const writer = await openPostgresStore({ url, schema, poolSize: 1 });
  const reader = await openPostgresStore({ url, schema, poolSize: 1 });
  const samples: number[] = [];
  for (let i = 0; i < WAKEUPS; i++) {
    const head = await reader.headPosition();
    const woke = reader.waitForPosition(head, { timeoutMs: 5000 }).then(() => process.hrtime.bigint());
    await new Promise((resolve) => setTimeout(resolve, 1));
    await writer.append('latency-1', [{ type: 'Ping', data: payload(i) }]);
    const acked = process.hrtime.bigint();
    samples.push(Math.max(0, Number((await woke) - acked)) / 1e6);
  }
  await writer.close();
  await reader.close();
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
}

async function main(): Promise<void> {
  const emmett = await loadEmmettPostgres();
  const theirs = emmett && appendScenarios(SIZES, async () => emmett.open(url));
  console.log(`1 KB events; ${RUNS} runs, contenders in turns; PostgreSQL with synchronous_commit=on; Node ${process.version}`);
  if (emmett === undefined) console.log('Emmett is not installed: run `npm run bench:setup` to include it.');
  const results: { name: string; runs: Runs }[] = [];
  const run = async (name: string, ours: Run, rawRun?: Run, emmettRun?: Run) => {
    const contenders: Contender[] = [
      { name: 'tributary', measure: ours },
      ...(rawRun === undefined ? [] : [{ name: 'raw', measure: rawRun }]),
      ...(emmettRun === undefined ? [] : [{ name: 'emmett', measure: emmettRun }]),
    ];
    results.push({ name, runs: await interleave(RUNS, contenders) });
    process.stdout.write(`  measured ${name}\n`);
  };
  await run('append, 1 event per call (raw: 1-row transactions)', tributary.single, raw.single, theirs?.single);
  await run('append, 100 events per call (raw: 100-row insert)', tributary.batch, raw.batch, theirs?.batch);
  await run(`append, ${SIZES.callers} concurrent callers (raw: ${SIZES.callers} clients)`, tributary.concurrent(1), raw.concurrent, theirs?.concurrent(1));
  const log = replay(await replayLog());
  await run(`replay global log (${REPLAY_EVENTS.toLocaleString('en-US')} events)`, log.tributary, log.raw);
  const latency = await wakeups();

  console.log();
  console.log(
    table(
      ['scenario (events/s)', 'tributary', 'raw pg', 'emmett', 'vs raw', 'vs emmett'],
      results.map(({ name, runs }) => [
        name,
        rate(runs.median('tributary')),
        rate(runs.median('raw')),
        rate(runs.median('emmett')),
        times(runs.ratio('tributary', 'raw')),
        times(runs.ratio('tributary', 'emmett')),
      ]),
    ),
  );
  console.log(`\nratios are medians of each run's ratio; tributary vs raw, each run:`);
  for (const { name, runs } of results) console.log(`  ${name}: ${runs.ratios('tributary', 'raw').map((value) => times(value)).join(' ')}`);
  console.log(`\nwake-up after an append on another connection (${WAKEUPS} samples): p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`);
}

try {
  await main();
} finally {
  await database.drop();
}
