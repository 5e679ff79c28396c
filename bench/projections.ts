// Projections on both backends. Rebuild and lake measure their contenders once per run, in an order
// rotated run by run; the tables print medians, and ratios taken within each run before their median.
//  - rebuild: N sale events ({ sku, qty, price, note }, 1 KB of JSON like every benchmark's events) over
//    1,000 streams; a table projection upserts per event a row keyed by stream with a count and a sum. Once generation 1 has caught up (untimed
//    warm-up), each run times requestRebuild → the switch to the new generation (onSwitch), i.e. the
//    rebuild from the first event. Same store, a fresh rebuild per run. Baselines in the same
//    database, in turns with it: a hand-written loop (store.readAll pages of 1,000, the same upsert
//    through store.sql.transaction, one transaction per page) and the raw driver (better-sqlite3 / pg
//    running the same upsert as a prepared / named statement from an in-memory array, 1,000 per
//    transaction, no log read).
//    Target (embedded, SQL table): ≥ 100,000 events/s.
//  - lake: the default event feed (lakeSink with the event columns, handler '*' → writeEvent) built
//    from the first event of the same kind of SQLite log, a fresh projection per run, rolling every
//    BENCH_LAKE_ROLL_ROWS rows and never by time (rollMs 10 min). Timed from runProjection until the
//    manifest covers the head: the moment the handler has seen the head event the projection is
//    stopped, and stop() rolls whatever is still buffered (so no rollMs wait is counted, and no part
//    of the log is left out). Baseline: DuckDB alone (@duckdb/node-api) appending the same rows,
//    read from the log beforehand, and one COPY … (FORMAT PARQUET, PARTITION_BY (day, category)).
//  - lag: a live table projection while one event per append is appended at 1,000 appends/s (each
//    append started when due, not waiting for the previous one) for BENCH_SECONDS. Lag per event =
//    when the handler ran for it − when append was called for it.
//   npm run bench:projections   (PostgreSQL at TRIBUTARY_TEST_PG, default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_ONLY=rebuild,lake,lag  BENCH_EVENTS (default sqlite 200,000, postgres 100,000)  BENCH_RUNS=3
//   BENCH_SECONDS=10  BENCH_WATCH_MS=100 (the runners' registry poll)  BENCH_LAKE_ROLL_ROWS=50000  BENCH_BACKENDS=sqlite,postgres
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../src/open/open-store.js';
import { postgresDialect } from '../src/backends/postgres/postgres-dialect.js';
import { openPostgresStore } from '../src/backends/postgres/postgres-store.js';
import { sqliteDialect } from '../src/backends/sqlite/sqlite-dialect.js';
import { openSqliteStore } from '../src/backends/sqlite/sqlite-store.js';
import type { ProjectionDefinition } from '../src/projections/definition/projection.js';
import {
  lakeSink,
  projectionStatus,
  requestRebuild,
  runProjection,
  tableSink,
  waitForProjection,
  writeEvent,
  type LakeContext,
  type RunningProjection,
  type TableContext,
} from '../src/projections/index.js';
import { readManifest } from '../src/projections/sinks/lake-manifest.js';
import type { EventStore } from '../src/store/event-store.js';
import type { SqlAccess } from '../src/store/sql-access.js';
import { duckdbLake, lakeInputRows, parquetContents } from './lib/projection-lake.js';
import {
  CATEGORIES,
  Cleanups,
  EVENT_TYPE,
  FILL_DAYS,
  applySale,
  fill,
  median,
  now,
  percentile,
  readLog,
  saleData,
  sleep,
  streamName,
  totalsSchema,
  upsertSql,
  waitUntil,
  within,
  type Filled,
  type SaleData,
} from './lib/projection-support.js';
import { interleave, runsFromEnv, type Runs } from './lib/interleave.js';
import { rate, table, times } from './lib/measure.js';

const PARTS = ['rebuild', 'lake', 'lag'] as const;
const ONLY = new Set((process.env['BENCH_ONLY'] ?? PARTS.join(',')).split(',').map((part) => part.trim()));
const BACKENDS = new Set((process.env['BENCH_BACKENDS'] ?? 'sqlite,postgres').split(',').map((name) => name.trim()));
const REPETITIONS = runsFromEnv(3);
const EVENTS_OVERRIDE = process.env['BENCH_EVENTS'] === undefined ? undefined : positiveNumber('BENCH_EVENTS', 0);
const SECONDS = positiveNumber('BENCH_SECONDS', 10);
const WATCH_MS = positiveNumber('BENCH_WATCH_MS', 100);
const LAKE_ROLL_ROWS = positiveNumber('BENCH_LAKE_ROLL_ROWS', 50_000);
const LAKE_ROLL_MS = 600_000;
const LAG_RATE = 1000;
const LAG_WARM_UP = 200;
const PAGE = 1000;
const TARGET = 100_000;
const PG_URL = process.env['TRIBUTARY_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** How long a wait on `events` being handled may take before the run fails as hung: generous, at 1,000 events/s. */
const timeoutFor = (events: number) => Math.max(120_000, events);

function positiveNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(text)}`);
  return value;
}

for (const part of ONLY) {
  if (!(PARTS as readonly string[]).includes(part)) throw new Error(`BENCH_ONLY: unknown part ${JSON.stringify(part)}; the parts are ${PARTS.join(', ')}`);
}
for (const name of BACKENDS) {
  if (name !== 'sqlite' && name !== 'postgres') throw new Error(`BENCH_BACKENDS: unknown backend ${JSON.stringify(name)}; the backends are sqlite, postgres`);
}

const cleanups = new Cleanups();
const FOLDER_PREFIX = 'tributary-bench-projections-';
const SCHEMA_PREFIX = 'bench_projections_';

/** Whether process `pid` still runs (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// what an earlier run killed outright left behind (tsx SIGKILLs a child whose event loop is busy when interrupted)
for (const entry of readdirSync(tmpdir())) {
  const pid = new RegExp(`^${FOLDER_PREFIX}(\\d+)-`).exec(entry)?.[1];
  if (pid !== undefined && !alive(Number(pid))) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
}

const folder = mkdtempSync(join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-`));
cleanups.add(`remove ${folder}`, () => rmSync(folder, { recursive: true, force: true }));
/** Errors the runners recovered from by themselves; reported, they do not fail the run. */
const recovered: string[] = [];
const onError = (error: unknown) => void recovered.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));

interface Sale {
  stream: string;
  amount: number;
}

interface Backend {
  name: 'sqlite' | 'postgres';
  events: number;
  /** A fresh location (a file in the temp folder, a new schema) and its removal, which also runs at exit if not called. */
  fresh(label: string): Promise<{ location: string; remove: () => Promise<void> }>;
  /** Opens `location` with `clock` stamping recorded_at, for the fill. */
  openWithClock(location: string, clock: () => number): Promise<EventStore>;
  /** The raw driver: the upsert from `sales`, 1,000 per transaction, into a fresh `table`. Returns seconds. */
  floor(location: string, table: string, sales: readonly Sale[]): Promise<number>;
}

let locations = 0;

const sqlite: Backend = {
  name: 'sqlite',
  events: EVENTS_OVERRIDE ?? 200_000,
  async fresh(label) {
    const location = join(folder, `${label}-${locations++}.db`);
    const remove = cleanups.add(`remove ${location}`, () => Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${location}${suffix}`, { force: true }))));
    return { location, remove };
  },
  openWithClock: async (location, clock) => openSqliteStore({ path: location, clock }),
  async floor(location, name, sales) {
    const db = new BetterSqlite3(location);
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = FULL');
      db.exec(`DROP TABLE IF EXISTS ${name}`);
      for (const statement of totalsSchema(name)) db.exec(statement);
      const upsert = db.prepare(upsertSql(sqliteDialect, name));
      const page = db.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) upsert.run(sales[i]!.stream, sales[i]!.amount);
      });
      const start = now();
      for (let from = 0; from < sales.length; from += PAGE) {
        page(from, Math.min(from + PAGE, sales.length));
        // a breath between transactions, so a signal is handled while this runs
        await new Promise(setImmediate);
      }
      return (now() - start) / 1000;
    } finally {
      db.close();
    }
  },
};

let admin: pg.Client | undefined;

async function adminClient(): Promise<pg.Client> {
  if (admin !== undefined) return admin;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  // a schema some connection still holds must fail the drop, not hang the run
  await client.query(`SET lock_timeout = '20s'`);
  cleanups.add('close the PostgreSQL admin connection', () => client.end());
  const { rows } = await client.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)`, [SCHEMA_PREFIX]);
  for (const { name } of rows) {
    const pid = Number(name.slice(SCHEMA_PREFIX.length).split('_')[0]);
    if (Number.isSafeInteger(pid) && pid !== process.pid && !alive(pid)) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  }
  return (admin = client);
}

const postgres: Backend = {
  name: 'postgres',
  events: EVENTS_OVERRIDE ?? 100_000,
  async fresh() {
    const schema = `${SCHEMA_PREFIX}${process.pid}_${locations++}`;
    const client = await adminClient();
    const remove = cleanups.add(`drop schema ${schema}`, () => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    return { location: url.toString(), remove };
  },
  async openWithClock(location, clock) {
    const url = new URL(location);
    const schema = url.searchParams.get('schema')!;
    url.searchParams.delete('schema');
    return openPostgresStore({ url: url.toString(), schema, clock });
  },
  async floor(location, name, sales) {
    const schema = new URL(location).searchParams.get('schema')!;
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema},public` });
    await client.connect();
    try {
      await client.query(`DROP TABLE IF EXISTS ${name}`);
      for (const statement of totalsSchema(name)) await client.query(statement);
      const upsert = upsertSql(postgresDialect, name);
      const start = now();
      for (let from = 0; from < sales.length; from += PAGE) {
        await client.query('BEGIN');
        // a named statement: parsed once, as better-sqlite3's prepared statement is
        for (let i = from; i < Math.min(from + PAGE, sales.length); i++) await client.query({ name: 'upsert', text: upsert, values: [sales[i]!.stream, sales[i]!.amount] });
        await client.query('COMMIT');
      }
      return (now() - start) / 1000;
    } finally {
      await client.end();
    }
  },
};

/** `body` on a store at a fresh location (filled first when `filled`); the store is closed and the location removed after, or at exit. */
async function withStore<T>(backend: Backend, label: string, filled: boolean, body: (store: EventStore, location: string, filled: Filled | undefined) => Promise<T>): Promise<T> {
  const { location, remove } = await backend.fresh(label);
  try {
    const contents = filled ? await fill((clock) => backend.openWithClock(location, clock), backend.events) : undefined;
    const store = await openStore(location);
    const close = cleanups.add(`close ${label} store`, () => store.close());
    try {
      return await body(store, location, contents);
    } finally {
      await close();
    }
  } finally {
    await remove();
  }
}

/** Throws unless `relation` holds one row per stream whose counts and sums add up to the log's. */
async function verifyTotals(sql: SqlAccess, relation: string, filled: Filled): Promise<void> {
  const [row] = await sql.query<{ streams: unknown; n: unknown; total: unknown }>(`SELECT count(*) AS streams, sum(n) AS n, sum(total) AS total FROM ${relation}`);
  const got = { streams: Number(row?.streams), n: Number(row?.n), total: Number(row?.total) };
  if (got.streams !== filled.streams || got.n !== filled.events || got.total !== filled.total) {
    throw new Error(`${relation} is wrong: ${JSON.stringify(got)}, expected ${JSON.stringify({ streams: filled.streams, n: filled.events, total: filled.total })}`);
  }
}

/** The registry row of `name`: which generations are being built and wait to be dropped. */
async function registry(sql: SqlAccess, name: string): Promise<{ building: unknown; retired: unknown }> {
  const text = `SELECT building, retired FROM tributary_projections WHERE name = ${sql.dialect.placeholder(1)}`;
  const [row] = await sql.query<{ building: unknown; retired: unknown }>(text, [name]);
  if (row === undefined) throw new Error(`projection ${name} is not registered`);
  return row;
}

async function steady(sql: SqlAccess, name: string): Promise<void> {
  await waitUntil(`${name} to have no rebuild under way and no generation left to drop`, async () => {
    const row = await registry(sql, name);
    return row.building === null && row.retired === null;
  }, 60_000, 10);
}

interface RebuildRun {
  seconds: number;
  /** requestRebuild → the handler's first event of the new generation. */
  joinMs: number;
  /** First event → head event, in the handler. */
  handlingSeconds: number;
  /** Handler at the head event → the switch committed. */
  switchMs: number;
}

interface RebuildResult {
  backend: string;
  events: number;
  firstCatchUp: number;
  tributary: number[];
  runs: RebuildRun[];
  loop: number[];
  raw: number[];
  /** The three taken in turns; set once every run is done. */
  rates: Runs | undefined;
}

async function rebuildPart(backend: Backend): Promise<RebuildResult> {
  return withStore(backend, 'rebuild', true, async (store, location, filled) => {
    const sql = store.sql!;
    const { head, events } = filled!;
    const sales: Sale[] = (await readLog(store)).map((event) => {
      const { qty, price } = event.data as SaleData;
      return { stream: event.stream, amount: qty * price };
    });
    // per generation table: when its handler first ran, and when it ran for the head event
    const marks = new Map<string, { first: number; last: number }>();
    const switches = new Map<number, number>();
    const definition: ProjectionDefinition<TableContext> = {
      name: 'totals',
      version: 1,
      sink: tableSink({ schema: totalsSchema }),
      handlers: {
        [EVENT_TYPE]: (event, { tx, table: name }) => {
          let mark = marks.get(name);
          if (mark === undefined) marks.set(name, (mark = { first: now(), last: 0 }));
          if (event.position === head) mark.last = now();
          return applySale(tx, name, event);
        },
      },
    };
    const run = async <T>(body: (running: RunningProjection) => Promise<T>): Promise<T> => {
      const running = await runProjection(store, definition, { watchMs: WATCH_MS, onSwitch: (generation) => switches.set(generation, now()), onError });
      const stop = cleanups.add('stop the totals projection', () => running.stop());
      try {
        return await body(running);
      } finally {
        await stop();
      }
    };

    // generation 1 catches up from the first event: the warm-up, timed for information only
    const firstStart = now();
    await run(async () => {
      await waitForProjection(store, 'totals', head, { timeoutMs: timeoutFor(events) });
      await verifyTotals(sql, 'totals', filled!);
    });
    const firstCatchUp = events / ((marks.get('totals_g1')!.last - firstStart) / 1000);

    const result: RebuildResult = { backend: backend.name, events, firstCatchUp, tributary: [], runs: [], loop: [], raw: [], rates: undefined };
    const variants = [
      // tributary: a fresh generation built from the first event, readers switched to it
      async () => {
        const timing = await run(async () => {
          await steady(sql, 'totals');
          // the runner looks at the registry every WATCH_MS from its start: ask at a random point of that cycle
          await sleep(Math.random() * WATCH_MS);
          const start = now();
          const { generation } = await requestRebuild(store, 'totals');
          await waitUntil(`the switch to generation ${generation}`, () => switches.has(generation), timeoutFor(events), 2);
          const end = switches.get(generation)!;
          const mark = marks.get(`totals_g${generation}`)!;
          await waitUntil(
            `projectionStatus to show generation ${generation}`,
            async () => (await projectionStatus(store)).find((status) => status.name === 'totals')?.generation === generation,
            10_000,
            10,
          );
          await verifyTotals(sql, 'totals', filled!);
          // the retired generation is dropped before the runner stops, so every run starts alike
          await steady(sql, 'totals');
          return { seconds: (end - start) / 1000, joinMs: mark.first - start, handlingSeconds: (mark.last - mark.first) / 1000, switchMs: end - mark.last };
        });
        result.runs.push(timing);
        result.tributary.push(events / timing.seconds);
      },
      // the hand-written loop: the same upsert, pages of the log through store.sql.transaction
      async () => {
        await sql.transaction(async (tx) => {
          await tx.execute('DROP TABLE IF EXISTS loop_totals');
          for (const statement of totalsSchema('loop_totals')) await tx.execute(statement);
        });
        const start = now();
        for (let after: number | null = 0; after !== null; ) {
          const page = await store.readAll({ after, limit: PAGE });
          if (page.events.length > 0) {
            await sql.transaction(async (tx) => {
              for (const event of page.events) await applySale(tx, 'loop_totals', event);
            });
          }
          after = page.next;
        }
        result.loop.push(events / ((now() - start) / 1000));
        await verifyTotals(sql, 'loop_totals', filled!);
      },
      // the raw driver, from memory
      async () => {
        result.raw.push(events / (await backend.floor(location, 'raw_totals', sales)));
        await verifyTotals(sql, 'raw_totals', filled!);
      },
    ];
    const names = ['tributary', 'loop', 'raw'] as const;
    result.rates = await interleave(
      REPETITIONS,
      variants.map((variant, k) => ({
        name: names[k]!,
        measure: async () => {
          await variant();
          return { rate: result[names[k]!].at(-1)! };
        },
      })),
    );
    return result;
  });
}

interface LakeResult {
  events: number;
  tributary: number[];
  duckdb: number[];
  /** Runner start → handler at the head event; the rest of each run is the final roll in stop(). */
  handledShare: number[];
  tributaryFiles: number;
  tributaryBytes: number;
  duckdbFiles: number;
  duckdbBytes: number;
  rolls: number;
  checkpoints: number[];
  /** The two taken in turns; set once every run is done. */
  rates: Runs | undefined;
}

async function lakePart(): Promise<LakeResult> {
  return withStore(sqlite, 'lake', true, async (store, _location, filled) => {
    const { head, events } = filled!;
    const rows = lakeInputRows(await readLog(store));
    const result: LakeResult = {
      events,
      tributary: [],
      duckdb: [],
      handledShare: [],
      tributaryFiles: 0,
      tributaryBytes: 0,
      duckdbFiles: 0,
      duckdbBytes: 0,
      rolls: 0,
      checkpoints: [],
      rates: undefined,
    };
    // tributary: a fresh lake projection fed from the first event
    const tributary = async (repetition: number) => {
      const root = join(folder, `lake-${repetition}`);
      const removeRoot = cleanups.add(`remove ${root}`, () => rm(root, { recursive: true, force: true }));
      const name = `lake_${repetition}`;
      let headAt = 0;
      let sawHead!: () => void;
      const headSeen = new Promise<void>((resolve) => (sawHead = resolve));
      const definition: ProjectionDefinition<LakeContext> = {
        name,
        version: 1,
        sink: lakeSink({ directory: root, rollRows: LAKE_ROLL_ROWS, rollMs: LAKE_ROLL_MS }),
        handlers: {
          '*': (event, lake) => {
            writeEvent(event, lake);
            if (event.position === head) {
              headAt = now();
              sawHead();
            }
          },
        },
      };
      const start = now();
      const running = await runProjection(store, definition, { watchMs: WATCH_MS, onError });
      const stop = cleanups.add(`stop the ${name} projection`, () => running.stop());
      try {
        await within(headSeen, timeoutFor(events), `${name} handling the head event`);
      } finally {
        // rolls what is still buffered: the manifest covers the head once this returns
        await stop();
      }
      const end = now();
      const directory = join(root, name, 'g1');
      const manifest = readManifest(directory);
      const contents = await parquetContents(directory);
      if (manifest === undefined || manifest.position < head || contents.rows !== events || contents.positions !== events) {
        throw new Error(`the ${name} lake is incomplete: manifest at ${manifest?.position}, ${contents.rows} rows (${contents.positions} positions) in its files, expected ${events} to ${head}`);
      }
      const listedBytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
      if (listedBytes !== contents.bytes || manifest.files.length !== contents.files) throw new Error(`the ${name} lake holds files its manifest does not list`);
      result.tributary.push(events / ((end - start) / 1000));
      result.handledShare.push((headAt - start) / (end - start));
      result.tributaryFiles = contents.files;
      result.tributaryBytes = contents.bytes;
      // each roll names its files after the positions it covers
      result.rolls = new Set(manifest.files.map((file) => file.path.slice(file.path.lastIndexOf('/') + 1))).size;
      // where the consumer's stored checkpoint stands after stop(): what waitForProjection goes by
      const consumer = await store.consumers.get(`projection:${name}:g1`);
      result.checkpoints.push(Math.min(...(consumer?.partitions.map((partition) => partition.checkpoint) ?? [0])));
      await removeRoot();
    };
    // DuckDB alone, from the rows in memory
    const duckdb = async (repetition: number) => {
      const target = join(folder, `duckdb-${repetition}`);
      const removeTarget = cleanups.add(`remove ${target}`, () => rm(target, { recursive: true, force: true }));
      result.duckdb.push(events / (await duckdbLake(rows, target)));
      const written = await parquetContents(target);
      if (written.rows !== events || written.positions !== events) throw new Error(`DuckDB wrote ${written.rows} rows, expected ${events}`);
      result.duckdbFiles = written.files;
      result.duckdbBytes = written.bytes;
      await removeTarget();
    };
    result.rates = await interleave(REPETITIONS, [
      {
        name: 'tributary',
        measure: async (run) => {
          await tributary(run);
          return { rate: result.tributary.at(-1)! };
        },
      },
      {
        name: 'duckdb',
        measure: async (run) => {
          await duckdb(run);
          return { rate: result.duckdb.at(-1)! };
        },
      },
    ]);
    return result;
  });
}

interface LagResult {
  backend: string;
  events: number;
  p50: number;
  p99: number;
  max: number;
  appendRate: number;
  /** The append's own call → acknowledgement, for comparison. */
  ackP50: number;
  ackP99: number;
}

/**
 * Appends `count` single-event appends, one due every 1000 / LAG_RATE ms, each started when due.
 * Returns appends/s (first call to last acknowledgement), each position's call time, and the sorted append → acknowledgement times.
 */
async function paced(store: EventStore, count: number, offset: number): Promise<{ appendRate: number; calledAt: Map<number, number>; acks: number[] }> {
  const calledAt = new Map<number, number>();
  const acks: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const failures: unknown[] = [];
  const start = now();
  let lastAck = start;
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / LAG_RATE - now();
    if (wait > 0) await sleep(wait);
    const sentAt = now();
    const appended: Promise<void> = store
      .append(streamName(offset + i), [{ type: EVENT_TYPE, data: saleData(offset + i) }])
      .then(
        (result) => {
          lastAck = now();
          calledAt.set(result.position, sentAt);
          acks.push(lastAck - sentAt);
        },
        (error: unknown) => void failures.push(error),
      )
      .finally(() => inFlight.delete(appended));
    inFlight.add(appended);
  }
  await Promise.all(inFlight);
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${count} appends failed`);
  return { appendRate: count / ((lastAck - start) / 1000), calledAt, acks: acks.sort((a, b) => a - b) };
}

async function lagPart(backend: Backend): Promise<LagResult> {
  return withStore(backend, 'lag', false, async (store) => {
    const handledAt = new Map<number, number>();
    const definition: ProjectionDefinition<TableContext> = {
      name: 'live_totals',
      version: 1,
      sink: tableSink({ schema: totalsSchema }),
      handlers: {
        [EVENT_TYPE]: (event, { tx, table: name }) => {
          handledAt.set(event.position, now());
          return applySale(tx, name, event);
        },
      },
    };
    const running = await runProjection(store, definition, { watchMs: WATCH_MS, onError });
    const stop = cleanups.add('stop the live_totals projection', () => running.stop());
    try {
      const handledAll = (positions: Iterable<number>) => async () => [...positions].every((position) => handledAt.has(position));
      const warmUp = await paced(store, LAG_WARM_UP, 0);
      await waitUntil('the warm-up events to be handled', handledAll(warmUp.calledAt.keys()), 60_000, 10);
      await sleep(200);
      const count = Math.round(SECONDS * LAG_RATE);
      const { appendRate, calledAt, acks } = await paced(store, count, LAG_WARM_UP);
      const last = Math.max(...calledAt.keys());
      await waitUntil('every appended event to be handled', () => handledAt.has(last), 60_000, 10);
      await waitUntil('every appended event to be handled', handledAll(calledAt.keys()), 10_000, 10);
      const lags = [...calledAt].map(([position, sentAt]) => handledAt.get(position)! - sentAt).sort((a, b) => a - b);
      return {
        backend: backend.name,
        events: count,
        p50: percentile(lags, 0.5),
        p99: percentile(lags, 0.99),
        max: lags.at(-1)!,
        appendRate,
        ackP50: percentile(acks, 0.5),
        ackP99: percentile(acks, 0.99),
      };
    } finally {
      await stop();
    }
  });
}

async function postgresReachable(): Promise<string | undefined> {
  try {
    await adminClient();
    return undefined;
  } catch (error) {
    return `PostgreSQL is not reachable at ${PG_URL}: ${(error as Error).message}`;
  }
}

const ms = (value: number) => value.toFixed(1);
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  const pgProblem = BACKENDS.has('postgres') && (ONLY.has('rebuild') || ONLY.has('lag')) ? await postgresReachable() : undefined;
  if (pgProblem !== undefined) console.warn(`skipping PostgreSQL: ${pgProblem}`);
  const backends = [sqlite, postgres].filter((backend) => BACKENDS.has(backend.name) && (backend.name === 'sqlite' || pgProblem === undefined));
  const output: string[] = [];
  const progress = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  if (ONLY.has('rebuild')) {
    const results: RebuildResult[] = [];
    for (const backend of backends) {
      progress(`rebuild: ${backend.name}, ${backend.events.toLocaleString('en-US')} events`);
      results.push(await rebuildPart(backend));
    }
    const rows = results.map((r) => {
      const rates = r.rates!;
      return [
        r.backend,
        r.events.toLocaleString('en-US'),
        rate(rates.median('tributary')),
        rate(rates.median('loop')),
        rate(rates.median('raw')),
        times(rates.ratio('tributary', 'loop')),
        times(rates.ratio('tributary', 'raw')),
        rate(r.firstCatchUp),
      ];
    });
    const breakdown = results.map((r) => [
      r.backend,
      ms(median(r.runs.map((run) => run.seconds * 1000))),
      ms(median(r.runs.map((run) => run.joinMs))),
      ms(median(r.runs.map((run) => run.handlingSeconds * 1000))),
      ms(median(r.runs.map((run) => run.switchMs))),
      r.tributary.map((value) => rate(value)).join(' / '),
    ]);
    const embedded = results.find((r) => r.backend === 'sqlite');
    const verdict = embedded === undefined ? '' : `\ntarget ≥ ${rate(TARGET)} events/s for the embedded rebuild into a SQL table: ${median(embedded.tributary) >= TARGET ? 'met' : 'missed'} (${rate(median(embedded.tributary))})`;
    output.push(
      `\nrebuild of a table projection, events/s (sale events over 1,000 streams, one upsert per event into a table keyed by stream with a count and a sum; requestRebuild → switch, a fresh rebuild per run on the same store, ${REPETITIONS} runs in turns, ratios the median of each run's; pages and transactions of ${PAGE}; hand-written loop = store.readAll + store.sql.transaction; raw driver = better-sqlite3 prepared / pg named statement from an in-memory array)\n`,
      table(['backend', 'events', 'tributary rebuild', 'hand-written loop', 'raw driver', 'vs loop', 'vs raw', 'first catch-up (warm-up)'], rows),
      verdict,
      `\nwhere a rebuild's time goes, ms (medians; runners look at the registry every ${WATCH_MS} ms, so joining and switching each wait up to that long)\n`,
      table(['backend', 'request → switch', 'request → first handler', 'first → head handler', 'head handler → switch', 'each run, events/s'], breakdown),
    );
  }

  if (ONLY.has('lake') && BACKENDS.has('sqlite')) {
    progress(`lake: sqlite, ${sqlite.events.toLocaleString('en-US')} events`);
    const r = await lakePart();
    const [ours, duck] = [r.rates!.median('tributary'), r.rates!.median('duckdb')];
    const checkpointNote = r.checkpoints.every((checkpoint) => checkpoint >= r.events)
      ? 'the consumer checkpoint reached the head too'
      : `note: after stop() the consumer checkpoint stood at ${[...new Set(r.checkpoints)].join(' / ')}, behind the manifest's head — waitForProjection goes by the checkpoint`;
    output.push(
      `\nlake projection from the first event, events/s (default event columns, '*' → writeEvent, SQLite log, ${r.events.toLocaleString('en-US')} events over ${FILL_DAYS} days and ${CATEGORIES.length} categories; rollRows ${LAKE_ROLL_ROWS.toLocaleString('en-US')}, no roll by time; timed runProjection → manifest covering the head, stop() called as the handler sees the head event so it rolls the tail; a fresh projection per run, ${REPETITIONS} runs in turns, the ratio the median of each run's)\n`,
      table(
        ['backend', 'events', 'tributary lake', 'duckdb appender + COPY', 'vs duckdb', 'tributary parquet', 'duckdb parquet', 'files (tributary / duckdb)'],
        [['sqlite', r.events.toLocaleString('en-US'), rate(ours), rate(duck), times(r.rates!.ratio('tributary', 'duckdb')), megabytes(r.tributaryBytes), megabytes(r.duckdbBytes), `${r.tributaryFiles} (${r.rolls} rolls) / ${r.duckdbFiles}`]],
      ),
      `\nparquet bytes: tributary ${r.tributaryBytes.toLocaleString('en-US')}, duckdb ${r.duckdbBytes.toLocaleString('en-US')}; the handler had seen the head event after ${Math.round(median(r.handledShare) * 100)}% of the time, the rest is the last roll (in the feed when the head's row fills a roll, else in stop()); ${checkpointNote}`,
    );
  }

  if (ONLY.has('lag')) {
    const results: LagResult[] = [];
    for (const backend of backends) {
      progress(`lag: ${backend.name}, ${SECONDS} s at ${LAG_RATE} appends/s`);
      results.push(await lagPart(backend));
    }
    output.push(
      `\nlive projection lag, ms (a table projection while single-event appends are started at ${LAG_RATE}/s for ${SECONDS} s; from the append call to the handler running for the event)\n`,
      table(
        ['backend', 'events', 'p50', 'p99', 'max', 'appends/s achieved', 'append acked p50', 'append acked p99'],
        results.map((r) => [r.backend, r.events.toLocaleString('en-US'), ms(r.p50), ms(r.p99), ms(r.max), rate(r.appendRate), ms(r.ackP50), ms(r.ackP99)]),
      ),
      `\nthe handler runs inside its page's transaction: its time precedes that transaction's commit (when the row becomes visible) by at most one commit`,
    );
  }

  if (pgProblem !== undefined) output.push(`\npostgres: skipped — ${pgProblem}`);
  if (recovered.length > 0) output.push(`\nwarning: the runners recovered from ${recovered.length} errors, the first: ${recovered[0]}`);
  console.log(output.join('\n'));
}

// interrupted: clean up what is open, then go (tsx relays the signal too: a second one must not kill the clean-up)
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`${signal}: cleaning up`);
    void cleanups.runAll().finally(() => process.exit(130));
  });
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error('bench/projections failed:', error);
} finally {
  if ((await cleanups.runAll()).length > 0) failed = true;
}
if (failed) process.exit(1);
