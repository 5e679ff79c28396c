import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { isTributaryError, type TributaryError } from '../../src/core/errors.js';
import { queryLakes } from '../../src/projections/reading.js';
import { runProjection } from '../../src/projections/runner.js';
import { lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';
import { queryLake, type LakeQueryOptions } from '../../src/projections/sinks/lake-query.js';
import { readManifest } from '../../src/projections/sinks/lake-manifest.js';
import { LakeQuerySlots } from '../../src/projections/sinks/lake-slots.js';
import { LakeWriter } from '../../src/projections/sinks/lake-writer.js';
import { waitForProjection } from '../../src/projections/progress.js';
import { lakeAttacks, snapshotTree } from './lake-attacks.js';

const NEVER_ENDING = 'SELECT count(*) AS n FROM range(1000000000000)';
const TEN_MILLION = "SELECT range, repeat('x', 100) AS padding FROM range(10000000)";

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
    const { result: error, ms } = await timed(() => rejection(queryLake(tables(), NEVER_ENDING, { timeoutMs: 300, slots })));
    expect(isTributaryError(error, 'LAKE_QUERY_TIMEOUT')).toBe(true);
    expect(error.details).toEqual({ timeoutMs: 300 });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2_000);
    // the interrupted query lets go of its slot within moments, and a CPU-bound query no longer runs beside this one
    await expect.poll(() => slots.running, { timeout: 1_000, interval: 10 }).toBe(0);
    expect((await queryLake(tables(), 'SELECT count(*) AS n FROM paylake', { slots })).rows).toEqual([{ n: 6 }]);
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000).toBeLessThan(250);
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
