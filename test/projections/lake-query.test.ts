import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { isTributaryError, type TributaryError } from '../../src/core/errors.js';
import { queryLakes } from '../../src/projections/reading/queries.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';
import { queryLake, type LakeQueryOptions } from '../../src/projections/sinks/lake-query.js';
import { readManifest } from '../../src/projections/sinks/lake-manifest.js';
import { LakeQuerySlots } from '../../src/projections/sinks/lake-slots.js';
import { LakeWriter } from '../../src/projections/sinks/lake-writer.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { KILL_GRACE_MS } from '../../src/projections/sinks/lake-process.js';
import { WORKER_RUNTIME_MB } from '../../src/projections/sinks/lake-limits.js';
import { cpuMs, isRunning, memoryMb, until } from '../support/processes.js';
import { lakeAttacks, snapshotTree } from './lake-attacks.js';

const NEVER_ENDING = 'SELECT count(*) AS n FROM range(1000000000000)';
const TEN_MILLION = "SELECT range, repeat('x', 100) AS padding FROM range(10000000)";
const CHILD = join(import.meta.dirname, 'lake-query-child.ts');

let root: string;
let lake: string;
let liveFile: string;
const tables = () => [{ name: 'paylake', directory: lake }];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tributary-lake-query-'));
  lake = join(root, 'paylake', 'g1');
  const writer = await LakeWriter.open({
    directory: lake,
    columns: [
      { name: 'position', type: 'BIGINT' },
      { name: 'sku', type: 'VARCHAR' },
      { name: 'qty', type: 'BIGINT' },
    ],
  });
  for (let position = 1; position <= 6; position++) {
    writer.add({ position, day: '2024-05-01', category: 'order', values: { position, sku: `sku-${position % 2}`, qty: position } });
  }
  await writer.close();
  liveFile = join(lake, readManifest(lake)!.files[0]!.path);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<TributaryError> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error as TributaryError,
  );
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

const ORIGINAL_ROWS = [1, 2, 3, 4, 5, 6].map((position) => ({ position, sku: `sku-${position % 2}`, qty: position }));

describe('a lake query is one read-only SELECT', () => {
  it('answers SELECTs, the FROM-first form, DESCRIBE and SUMMARIZE, and reads a listed file by its path', async () => {
    const sql = 'SELECT position, sku, qty FROM paylake ORDER BY position';
    expect(await queryLake(tables(), sql)).toEqual({ rows: ORIGINAL_ROWS, truncated: false });
    expect((await queryLake(tables(), 'FROM paylake SELECT count(*) AS n')).rows).toEqual([{ n: 6 }]);
    const described = (await queryLake(tables(), 'DESCRIBE paylake')).rows.map((row) => row['column_name']);
    expect(described).toEqual(['position', 'sku', 'qty', 'day', 'category']);
    expect((await queryLake(tables(), 'SUMMARIZE paylake')).rows).toHaveLength(5);
    expect((await queryLake(tables(), `SELECT sum(qty) AS qty FROM read_parquet('${liveFile}')`)).rows).toEqual([{ qty: 21 }]);
    const unnested = await queryLake(tables(), 'SELECT x FROM unnest([1, 2]) AS t(x) UNION ALL SELECT * FROM generate_series(3, 4) ORDER BY 1');
    expect(unnested.rows).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }]);
  });

  it('refuses COPY, CREATE, INSERT, ATTACH, INSTALL, EXPORT, SET, PRAGMA, CALL, EXPLAIN, several statements and unoffered table functions, naming what it refused; the lake is unchanged', async () => {
    const before = snapshotTree(root);
    const attacks = lakeAttacks('paylake', lake, liveFile);
    for (const attack of attacks) {
      const error = await rejection(queryLake(tables(), attack.sql));
      expect(isTributaryError(error, 'LAKE_QUERY_REFUSED'), `${attack.sql}: ${String(error)}`).toBe(true);
      const { statementType, statements, tableFunction } = attack;
      expect(error.details, attack.sql).toEqual({
        ...(statementType === undefined ? {} : { statementType }),
        ...(statements === undefined ? {} : { statements }),
        ...(tableFunction === undefined ? {} : { statementType: 'SELECT', tableFunction }),
      });
      if (statementType !== undefined) expect(error.message).toContain(`a ${statementType} statement`);
    }
    expect(snapshotTree(root)).toEqual(before);
    expect((await queryLake(tables(), 'SELECT position, sku, qty FROM paylake ORDER BY position')).rows).toEqual(ORIGINAL_ROWS);
  });

  it('reads only the files the manifest lists: not the manifest, not a glob of the directory, not a file beside them', async () => {
    for (const sql of [
      `SELECT * FROM read_parquet('${join(lake, '**', '*.parquet')}')`,
      `SELECT * FROM read_parquet('${join(root, 'elsewhere.parquet')}')`,
      `SELECT * FROM read_json('${join(lake, 'manifest.json')}')`,
    ]) {
      const error = await rejection(queryLake(tables(), sql));
      expect(error.code === 'LAKE_QUERY_FAILED' || error.code === 'LAKE_QUERY_REFUSED', sql).toBe(true);
      if (error.code === 'LAKE_QUERY_FAILED') expect(error.message, sql).toMatch(/Permission Error/);
    }
  });
});

describe('a lake query returns at most its row cap, streamed', () => {
  it('answers 10,000 of ten million rows by default, with truncated; a limit picks another cap up to the maximum', async () => {
    const { result, ms } = await timed(() => queryLake(tables(), TEN_MILLION));
    expect(result.truncated).toBe(true);
    expect(result.rows).toHaveLength(10_000);
    expect(result.rows[9_999]).toEqual({ range: 9_999, padding: 'x'.repeat(100) });
    // streamed: DuckDB stopped after a few chunks instead of producing all ten million rows
    expect(ms).toBeLessThan(5_000);

    expect(await queryLake(tables(), TEN_MILLION, { limit: 3 })).toEqual({
      rows: [0, 1, 2].map((range) => ({ range, padding: 'x'.repeat(100) })),
      truncated: true,
    });
    expect(await queryLake(tables(), 'SELECT * FROM range(3)', { limit: 3 })).toEqual({ rows: [{ range: 0 }, { range: 1 }, { range: 2 }], truncated: false });
    expect((await queryLake(tables(), TEN_MILLION, { limit: 100_000 })).rows).toHaveLength(100_000);
    expect((await queryLake(tables(), TEN_MILLION, { limit: 150_000, maxRows: 200_000 })).rows).toHaveLength(150_000);
    for (const limit of [0, -1, 1.5, 100_001]) {
      expect(isTributaryError(await rejection(queryLake(tables(), 'SELECT 1', { limit })), 'INVALID_ARGUMENT'), String(limit)).toBe(true);
    }
    expect((await queryLake(tables(), TEN_MILLION, { defaultRows: 20 })).rows).toHaveLength(20);
  });

  it('stops at the answer byte budget whatever the row cap', async () => {
    const answer = await queryLake(tables(), "SELECT repeat('y', 1000) AS wide FROM range(100)", { maxAnswerBytes: 10_000 });
    expect(answer.truncated).toBe(true);
    expect(answer.rows.length).toBeGreaterThan(0);
    expect(answer.rows.length).toBeLessThan(10);
  });
});

describe('a lake query ends at its time limit, when its caller gives up, or at its memory limit', () => {
  it('interrupts a never-ending query at the time limit with LAKE_QUERY_TIMEOUT, and the engine is free again', async () => {
    const slots = new LakeQuerySlots(1);
    // the clock starts once the worker is up: a warm one makes the elapsed time the query's alone
    await queryLake(tables(), 'SELECT 1', { slots });
    const { result: error, ms } = await timed(() => rejection(queryLake(tables(), NEVER_ENDING, { timeoutMs: 300, slots })));
    expect(isTributaryError(error, 'LAKE_QUERY_TIMEOUT')).toBe(true);
    expect(error.details).toEqual({ timeoutMs: 300 });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2_000);
    // the interrupted query lets go of its slot within moments, its worker stays (interrupted, not killed) and computes no more
    await expect.poll(() => slots.running, { timeout: 1_000, interval: 10 }).toBe(0);
    const [worker] = slots.pids;
    expect((await queryLake(tables(), 'SELECT count(*) AS n FROM paylake', { slots })).rows).toEqual([{ n: 6 }]);
    expect(slots.pids).toEqual([worker]);
    const cpu = cpuMs(worker!);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(cpuMs(worker!) - cpu).toBeLessThan(250);
    await slots.close();
  });

  it('the limit covers the whole call: a query over many files stops in time while its views are being set up', async () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ name: `lake_${i}`, directory: lake }));
    const error = await rejection(queryLake(many, 'SELECT 1', { timeoutMs: 5 }));
    expect(isTributaryError(error, 'LAKE_QUERY_TIMEOUT')).toBe(true);
  });

  it('an aborted signal interrupts the query, which rejects with the signal’s reason', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('the client went away')), 200);
    const { result: error, ms } = await timed(() => rejection(queryLake(tables(), NEVER_ENDING, { signal: controller.signal })));
    expect((error as Error).message).toBe('the client went away');
    expect(ms).toBeLessThan(2_000);
    const already = await rejection(queryLake(tables(), 'SELECT 1', { signal: AbortSignal.abort(new Error('gone before')) }));
    expect((already as Error).message).toBe('gone before');
  });

  it('a query that needs more than its memory stops with LAKE_QUERY_OUT_OF_MEMORY', async () => {
    const error = await rejection(queryLake(tables(), 'SELECT count(DISTINCT range) AS n FROM range(100000000)', { memoryMb: 32 }));
    expect(isTributaryError(error, 'LAKE_QUERY_OUT_OF_MEMORY'), String(error)).toBe(true);
    expect(error.details).toEqual({ memoryMb: 32 });
  });

  it('beyond the slots a query is refused with the retriable LAKE_BUSY; a finished query gives its slot back', async () => {
    const slots = new LakeQuerySlots(1);
    const controller = new AbortController();
    const running = rejection(queryLake(tables(), NEVER_ENDING, { slots, signal: controller.signal }));
    const busy = await rejection(queryLake(tables(), 'SELECT 1', { slots }));
    expect(isTributaryError(busy, 'LAKE_BUSY')).toBe(true);
    expect(busy.retriable).toBe(true);
    expect(busy.details).toEqual({ running: 1 });
    controller.abort(new Error('enough'));
    await running;
    await expect.poll(() => slots.running).toBe(0);
    expect((await queryLake(tables(), 'SELECT 1 AS one', { slots })).rows).toEqual([{ one: 1 }]);
    const refused = await rejection(queryLake(tables(), 'INSTALL httpfs', { slots }));
    expect(refused.code).toBe('LAKE_QUERY_REFUSED');
    expect(slots.running).toBe(0);
  });
});

describe('a lake query runs in a worker process, which the caller watches and kills', () => {
  const LIST_SUM = 'SELECT list_sum(range(1000000000)) AS total';

  it('runs in a worker of its slots, forked on the first query and kept for the next', async () => {
    const slots = new LakeQuerySlots(1);
    try {
      expect(slots.pids).toEqual([]);
      expect((await queryLake(tables(), 'SELECT count(*) AS n FROM paylake', { slots })).rows).toEqual([{ n: 6 }]);
      const [worker] = slots.pids;
      expect(worker).not.toBe(process.pid);
      expect(isRunning(worker!)).toBe(true);
      expect((await queryLake(tables(), 'SELECT 1 AS "__proto__"', { slots })).rows).toEqual([JSON.parse('{"__proto__": 1}')]);
      expect(slots.pids).toEqual([worker]);
    } finally {
      await slots.close();
    }
  });

  it('a worker past its memory bound is killed: LAKE_QUERY_OUT_OF_MEMORY, this process untouched, the next query in a new worker', async () => {
    const slots = new LakeQuerySlots(1);
    try {
      await queryLake(tables(), 'SELECT 1', { slots });
      const [first] = slots.pids;
      const before = memoryMb(process.pid, 'VmRSS');
      // DuckDB builds this list while preparing, outside its memory limit, and heeds no interrupt until it is done
      const error = await rejection(queryLake(tables(), LIST_SUM, { slots }));
      expect(isTributaryError(error, 'LAKE_QUERY_OUT_OF_MEMORY'), String(error)).toBe(true);
      expect(error.details).toMatchObject({ memoryMb: 256, workerMemoryMb: 256 + WORKER_RUNTIME_MB });
      const residentMb = error.details['residentMb'] as number;
      // read every MEMORY_WATCH_MS: past the bound by what the worker allocates between two readings
      // rounded to whole MiB, so a reading just past the bound can equal it
      expect(residentMb).toBeGreaterThanOrEqual(256 + WORKER_RUNTIME_MB);
      expect(residentMb).toBeLessThan(256 + WORKER_RUNTIME_MB + 250);
      expect(memoryMb(process.pid, 'VmRSS') - before).toBeLessThan(50);
      await until(() => !isRunning(first!), 'the worker is gone');
      expect(slots.running).toBe(0);
      expect((await queryLake(tables(), 'SELECT 42 AS answer', { slots })).rows).toEqual([{ answer: 42 }]);
      expect(slots.pids).not.toContain(first);
    } finally {
      await slots.close();
    }
  });

  it('the bound holds for a query that ends before the first reading: its peak is read as it answers', async () => {
    // a bound below what any worker holds: even SELECT 1, done within milliseconds, passed it
    const error = await rejection(queryLake(tables(), 'SELECT 1', { memoryMb: 16, workerMemoryMb: 17 }));
    expect(isTributaryError(error, 'LAKE_QUERY_OUT_OF_MEMORY'), String(error)).toBe(true);
    expect(error.details).toMatchObject({ memoryMb: 16, workerMemoryMb: 17 });
    expect(isTributaryError(await rejection(queryLake(tables(), 'SELECT 1', { memoryMb: 256, workerMemoryMb: 256 })), 'INVALID_ARGUMENT')).toBe(true);
  });

  it('a worker killed from outside fails its query with the retriable LAKE_WORKER_LOST; the next query gets a new worker', async () => {
    const slots = new LakeQuerySlots(1);
    try {
      await queryLake(tables(), 'SELECT 1', { slots });
      const [worker] = slots.pids;
      // the worker is up: what CPU it uses from here on is the query's
      const loaded = cpuMs(worker!);
      const running = rejection(queryLake(tables(), NEVER_ENDING, { slots }));
      await until(() => cpuMs(worker!) - loaded > 300, 'the query is computing in its worker');
      process.kill(worker!, 'SIGKILL');
      const error = await running;
      expect(isTributaryError(error, 'LAKE_WORKER_LOST'), String(error)).toBe(true);
      expect(error.retriable).toBe(true);
      expect(error.details).toEqual({ exitCode: null, signal: 'SIGKILL' });
      expect(slots.running).toBe(0);
      expect((await queryLake(tables(), 'SELECT 42 AS answer', { slots })).rows).toEqual([{ answer: 42 }]);
      expect(slots.pids).not.toContain(worker);
    } finally {
      await slots.close();
    }
  });

  it('a query DuckDB cannot interrupt ends at its time limit, and its worker is killed after the grace', async () => {
    const slots = new LakeQuerySlots(1);
    try {
      await queryLake(tables(), 'SELECT 1', { slots });
      const [worker] = slots.pids;
      // a bound far above what the list reaches in two seconds: the time limit, not the memory, ends it
      const { result: error, ms } = await timed(() => rejection(queryLake(tables(), LIST_SUM, { slots, timeoutMs: 1_000, workerMemoryMb: 16_384 })));
      expect(isTributaryError(error, 'LAKE_QUERY_TIMEOUT'), String(error)).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(990);
      expect(ms).toBeLessThan(1_500);
      expect(slots.running).toBe(1);
      const answered = performance.now();
      await until(() => !isRunning(worker!), 'the worker is killed', 5_000);
      const killedAfter = performance.now() - answered;
      await until(() => slots.running === 0, 'the slot is free');
      console.log(`list_sum under a 1 s limit: answered after ${ms.toFixed(0)} ms, its worker killed ${killedAfter.toFixed(0)} ms later`);
      expect(killedAfter).toBeLessThan(KILL_GRACE_MS + 500);
      expect((await queryLake(tables(), 'SELECT 42 AS answer', { slots })).rows).toEqual([{ answer: 42 }]);
    } finally {
      await slots.close();
    }
  });

  it('closing the slots stops every worker, busy or idle, and fails the query in flight with LAKE_WORKER_LOST; an idle worker stops by itself', async () => {
    const slots = new LakeQuerySlots(2);
    const running = rejection(queryLake(tables(), NEVER_ENDING, { slots }));
    await queryLake(tables(), 'SELECT 1', { slots });
    await until(() => slots.pids.length === 2 && slots.running === 1, 'one worker computes, one is idle');
    const workers = slots.pids;
    await slots.close();
    expect(workers.filter(isRunning)).toEqual([]);
    expect(slots.pids).toEqual([]);
    expect((await running).code).toBe('LAKE_WORKER_LOST');

    const idling = new LakeQuerySlots(1, { idleMs: 200 });
    await queryLake(tables(), 'SELECT 1', { slots: idling });
    const [idle] = idling.pids;
    expect(isRunning(idle!)).toBe(true);
    await until(() => !isRunning(idle!) && idling.pids.length === 0, 'the idle worker stopped', 3_000);
  });

  it('an idle worker holds no process open, and a worker whose parent dies stops with it', async () => {
    const child = (sql: string, options: object = {}) => {
      const process_ = spawn(process.execPath, ['--import', 'tsx', CHILD, sql, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines: { worker?: number; rows?: unknown[]; at: number }[] = [];
      createInterface({ input: process_.stdout }).on('line', (line) => lines.push({ ...(JSON.parse(line) as object), at: performance.now() }));
      const exited = new Promise<number>((resolve) => process_.once('exit', () => resolve(performance.now())));
      return { process: process_, lines, exited };
    };
    const quick = child('SELECT 42 AS answer');
    const exitedAt = await quick.exited;
    const [forked, answered] = quick.lines;
    expect(answered?.rows).toEqual([{ answer: 42 }]);
    // nothing closed the slots: the idle worker let the process end at once, and went with it
    expect(exitedAt - answered!.at).toBeLessThan(1_000);
    await until(() => !isRunning(forked!.worker!), 'the worker of the ended process is gone', 2_000);

    // a list DuckDB builds while preparing: nothing interrupts it, and nobody is left to watch its memory (up to 2.4 GB)
    const killed = child(LIST_SUM.replace('1000000000', '300000000'), { workerMemoryMb: 4096 });
    // hundreds of MiB: DuckDB is building the list, no longer loading
    await until(() => killed.lines.length > 0 && memoryMb(killed.lines[0]!.worker!, 'VmRSS') > 300, 'the worker is building the list', 20_000);
    killed.process.kill('SIGKILL');
    await killed.exited;
    const orphaned = performance.now();
    await until(() => !isRunning(killed.lines[0]!.worker!), 'the worker of the killed process is gone', 2_000);
    expect(performance.now() - orphaned).toBeLessThan(1_000);
  });
});

it('queryLakes makes views of the lakes a predicate chooses, with the same limits', async () => {
  const store = openSqliteStore({ path: join(root, 'store.db') });
  try {
    for (let i = 0; i < 3; i++) await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { i } }]);
    await store.append('payment-1', [{ type: 'Paid', data: {} }]);
    for (const [name, categories] of [['orders', ['order']], ['payments', ['payment']]] as const) {
      const sink = lakeSink({ directory: join(root, 'store-lakes'), rollMs: 20 });
      const running = await runProjection(store, { name, version: 1, filter: { categories: [...categories] }, sink, handlers: { '*': writeEvent } }, { watchMs: 20 });
      await waitForProjection(store, name, await store.headPosition(), { timeoutMs: 20_000 });
      await running.stop();
    }
    const both = 'SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM payments) AS payments';
    expect(await queryLakes(store, both)).toEqual({ rows: [{ orders: 3, payments: 1 }], truncated: false });
    const ordersOnly = { includeLake: (record: { name: string }) => record.name === 'orders' };
    expect((await queryLakes(store, 'SELECT count(*) AS n FROM orders', ordersOnly)).rows).toEqual([{ n: 3 }]);
    const hidden = await rejection(queryLakes(store, 'SELECT count(*) AS n FROM payments', ordersOnly));
    expect(hidden.code).toBe('LAKE_QUERY_FAILED');
    expect(hidden.message).toMatch(/payments does not exist/);
    expect(await queryLakes(store, TEN_MILLION, { limit: 2 })).toMatchObject({ truncated: true, rows: [{ range: 0 }, { range: 1 }] });
    expect((await rejection(queryLakes(store, 'COPY orders TO \'/tmp/x.csv\''))).code).toBe('LAKE_QUERY_REFUSED');
  } finally {
    await store.close();
  }
});

it('LakeQueryOptions keeps the defaults for options given as undefined', async () => {
  const options: LakeQueryOptions = { limit: undefined, timeoutMs: undefined, memoryMb: undefined };
  expect((await queryLake(tables(), TEN_MILLION, options)).rows).toHaveLength(10_000);
});
