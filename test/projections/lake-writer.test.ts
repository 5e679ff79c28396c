import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import { queryLake } from '../../src/projections/sinks/lake-query.js';
import type { LakeColumn } from '../../src/projections/sinks/lake-cells.js';
import { readManifest } from '../../src/projections/sinks/lake-manifest.js';
import { LakeWriter, type LakeRow, type LakeWriterOptions } from '../../src/projections/sinks/lake-writer.js';

const COLUMNS: LakeColumn[] = [
  { name: 'position', type: 'BIGINT' },
  { name: 'sku', type: 'VARCHAR' },
  { name: 'qty', type: 'BIGINT' },
];

let root: string;
let lake: string;
const writers: LakeWriter[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tributary-lake-'));
  lake = join(root, 'lake');
});

afterEach(async () => {
  for (const writer of writers.splice(0)) await writer.close();
  rmSync(root, { recursive: true, force: true });
});

async function openLake(columns: readonly LakeColumn[] = COLUMNS, options: Partial<LakeWriterOptions> = {}): Promise<LakeWriter> {
  const writer = await LakeWriter.open({ directory: lake, columns, ...options });
  writers.push(writer);
  return writer;
}

function orderRow(position: number, day: string, category: string, sku = `sku-${position % 3}`, qty = position): LakeRow {
  return { position, day, category, values: { position, sku, qty } };
}

/** Every .parquet file under the lake, relative with '/' separators. */
function parquetOnDisk(directory: string): string[] {
  return readdirSync(directory, { recursive: true })
    .map((path) => String(path).split('\\').join('/'))
    .filter((path) => path.endsWith('.parquet'))
    .sort();
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('LakeWriter rolls rows into partitioned parquet files', () => {
  it('writes day/category partitions and a manifest DuckDB reads back; rollRows makes shouldRoll true', async () => {
    const writer = await openLake(COLUMNS, { rollRows: 10 });
    const days = ['2024-05-01', '2024-05-02'];
    const categories = ['order', 'refund', 'order', 'order', 'refund'];
    const rows = Array.from({ length: 10 }, (_, i) => orderRow(i + 1, days[i % 2]!, categories[i % 5]!));
    for (const row of rows.slice(0, 9)) writer.add(row);
    expect(writer.shouldRoll()).toBe(false);
    writer.add(rows[9]!);
    expect(writer.pending).toBe(10);
    expect(writer.shouldRoll()).toBe(true);

    await writer.roll();
    expect(writer.pending).toBe(0);
    expect(writer.position).toBe(10);
    expect(writer.shouldRoll()).toBe(false);

    const manifest = readManifest(lake)!;
    expect(manifest.position).toBe(10);
    expect(manifest.columns).toEqual(COLUMNS);
    expect(manifest.files).toHaveLength(4);
    for (const file of manifest.files) {
      expect(file.path).toBe(`day=${file.day}/category=${file.category}/part-0000000000000001-0000000000000010.parquet`);
      expect(file.bytes).toBeGreaterThan(0);
      const own = rows.filter((row) => row.day === file.day && row.category === file.category);
      expect(file).toMatchObject({ rows: own.length, firstPosition: own[0]!.position, lastPosition: own.at(-1)!.position });
    }
    expect(parquetOnDisk(lake)).toEqual(manifest.files.map((file) => file.path).sort());
    expect(readdirSync(lake).filter((name) => name.startsWith('_staging'))).toEqual([]);

    const tables = [{ name: 'orders', directory: lake }];
    const { rows: perCategory } = await queryLake(tables, 'SELECT category, count(*) AS n FROM orders GROUP BY category ORDER BY category');
    expect(perCategory).toEqual([
      { category: 'order', n: rows.filter((row) => row.category === 'order').length },
      { category: 'refund', n: rows.filter((row) => row.category === 'refund').length },
    ]);
    const { rows: perDay } = await queryLake(tables, 'SELECT day, count(*) AS n, sum(qty) AS qty FROM orders GROUP BY day ORDER BY day');
    expect(perDay).toEqual(
      days.map((day) => {
        const own = rows.filter((row) => row.day === day);
        return { day, n: own.length, qty: own.reduce((sum, row) => sum + row.position, 0) };
      }),
    );
  });

  it('a second roll adds files named by its own positions and keeps the first', async () => {
    const writer = await openLake();
    for (let position = 1; position <= 3; position++) writer.add(orderRow(position, '2024-05-01', 'order'));
    await writer.roll();
    for (let position = 4; position <= 6; position++) writer.add(orderRow(position, '2024-05-01', 'order'));
    await writer.roll();
    expect(readManifest(lake)!.files.map((file) => file.path)).toEqual([
      'day=2024-05-01/category=order/part-0000000000000001-0000000000000003.parquet',
      'day=2024-05-01/category=order/part-0000000000000004-0000000000000006.parquet',
    ]);
    expect((await queryLake([{ name: 'orders', directory: lake }], 'SELECT list(position ORDER BY position) AS p FROM orders')).rows).toEqual([
      { p: [1, 2, 3, 4, 5, 6] },
    ]);
  });

  it('reads back categories that need escaping in a directory name, NULL and numbers included', async () => {
    const categories = ['a/b', 'NULL', 'null', '%2F', '..', 'ü x', '123', 'a=b', "it's", '__HIVE_DEFAULT_PARTITION__'];
    const writer = await openLake();
    categories.forEach((category, i) => writer.add(orderRow(i + 1, '2024-05-01', category)));
    await writer.roll();
    const sql = 'SELECT category, typeof(category) AS type FROM orders ORDER BY position';
    const { rows } = await queryLake([{ name: 'orders', directory: lake }], sql);
    expect(rows).toEqual(categories.map((category) => ({ category, type: 'VARCHAR' })));
  });

  it('takes several rows of one event, refuses positions that go back, bad days and a reopen with other columns', async () => {
    const writer = await openLake();
    writer.add(orderRow(5, '2024-05-01', 'order'));
    writer.add(orderRow(5, '2024-05-01', 'order'));
    expect(writer.pending).toBe(2);
    expect(() => writer.add(orderRow(4, '2024-05-01', 'order'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    for (const day of ['2024-5-1', '2023-02-29', '2024-05-01T00:00:00Z']) {
      expect(() => writer.add(orderRow(6, day, 'order'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    await writer.close();
    const other = LakeWriter.open({ directory: lake, columns: [...COLUMNS, { name: 'note', type: 'VARCHAR' }] });
    expect(isTributaryError(await rejection(other), 'INVALID_PROJECTION')).toBe(true);
    const partitionNamed = LakeWriter.open({ directory: join(root, 'other'), columns: [{ name: 'Day', type: 'VARCHAR' }] });
    expect(isTributaryError(await rejection(partitionNamed), 'INVALID_PROJECTION')).toBe(true);
  });
});

describe('queryLake', () => {
  it('joins two categories of a lake whose view name needs quoting', async () => {
    const writer = await openLake(
      [
        { name: 'sku', type: 'VARCHAR' },
        { name: 'qty', type: 'BIGINT' },
        { name: 'onHand', type: 'BIGINT' },
      ],
      { rollRows: 7 },
    );
    let seed = 42;
    const next = (limit: number): number => (seed = (seed * 16_807) % 2_147_483_647) % limit;
    const orders: { sku: string; qty: number }[] = [];
    const onHand = new Map<string, number>();
    let position = 0;
    for (let sku = 0; sku < 5; sku++) {
      const stock = { sku: `sku-${sku}`, onHand: 100 + next(50) };
      onHand.set(stock.sku, stock.onHand);
      writer.add({ position: ++position, day: '2024-05-01', category: 'inventory', values: stock });
    }
    for (let i = 0; i < 40; i++) {
      const order = { sku: `sku-${next(7)}`, qty: 1 + next(9) };
      orders.push(order);
      writer.add({ position: ++position, day: `2024-05-0${1 + (i % 3)}`, category: 'order', values: order });
      if (writer.shouldRoll()) await writer.roll();
    }
    await writer.roll();
    expect(readManifest(lake)!.files.length).toBeGreaterThan(3);

    const ordered = (sku: string): number => orders.filter((order) => order.sku === sku).reduce((sum, order) => sum + order.qty, 0);
    const expected = [...onHand.keys()]
      .sort()
      .map((sku) => ({ sku, ordered: ordered(sku), onHand: onHand.get(sku)! }))
      .filter((row) => row.ordered > 0);
    const { rows } = await queryLake(
      [{ name: 'shop.facts-v1', directory: lake }],
      `SELECT o.sku, sum(o.qty) AS ordered, max(i.onHand) AS onHand
         FROM "shop.facts-v1" o JOIN "shop.facts-v1" i ON i.sku = o.sku AND i.category = 'inventory'
        WHERE o.category = 'order'
        GROUP BY o.sku ORDER BY o.sku`,
    );
    expect(rows).toEqual(expected);
  });

  it('turns bad SQL into LAKE_QUERY_FAILED, refuses what is not one SELECT, gives an empty lake empty results, and reads nothing outside the lakes', async () => {
    await openLake();
    const tables = [{ name: 'orders', directory: lake }];
    const bad = await rejection(queryLake(tables, 'SELEC nonsense FROM orders'));
    expect(isTributaryError(bad, 'LAKE_QUERY_FAILED')).toBe(true);
    expect((bad as { details: unknown }).details).toEqual({ sql: 'SELEC nonsense FROM orders' });
    expect(isTributaryError(await rejection(queryLake(tables, 'SELECT 1; SELECT 2')), 'LAKE_QUERY_REFUSED')).toBe(true);
    expect(await queryLake(tables, 'SELECT * FROM orders')).toEqual({ rows: [], truncated: false });
    expect((await queryLake(tables, 'SELECT count(*) AS n, count(sku) AS skus FROM orders')).rows).toEqual([{ n: 0, skus: 0 }]);
    const neverOpened = [{ name: 'nothing', directory: join(root, 'never-opened') }];
    expect((await queryLake(neverOpened, 'SELECT count(*) AS n FROM nothing')).rows).toEqual([{ n: 0 }]);
    writeFileSync(join(root, 'secret.parquet'), 'not part of any lake');
    const outside = await rejection(queryLake(tables, `SELECT * FROM read_parquet('${join(root, 'secret.parquet')}')`));
    expect(isTributaryError(outside, 'LAKE_QUERY_FAILED')).toBe(true);
    expect((outside as Error).message).toMatch(/Permission Error/);
    const copy = await rejection(queryLake(tables, `COPY (SELECT 1) TO '${join(root, 'escape.csv')}'`));
    expect(isTributaryError(copy, 'LAKE_QUERY_REFUSED')).toBe(true);
    expect(existsSync(join(root, 'escape.csv'))).toBe(false);
  });
});

describe('crash safety', () => {
  it('deletes unlisted parquet files and staging dirs on open, and ignores re-delivered rows', async () => {
    const writer = await openLake();
    const row = (position: number): LakeRow => orderRow(position, '2024-05-01', position % 2 === 0 ? 'order' : 'refund');
    for (let position = 1; position <= 20; position++) writer.add(row(position));
    await writer.roll();
    await writer.close();
    const listed = readManifest(lake)!.files.map((file) => file.path);

    // what a crash between moving files and writing the manifest leaves behind
    const [first] = listed;
    const orphan = first!.replace(/part-.*$/, 'part-0000000000000021-0000000000000030.parquet');
    copyFileSync(join(lake, first!), join(lake, orphan));
    const staging = join(lake, '_staging-0000000000000021-0000000000000030', 'lake_group=0');
    mkdirSync(staging, { recursive: true });
    copyFileSync(join(lake, first!), join(staging, 'data_0.parquet'));
    writeFileSync(join(lake, 'manifest.json.tmp'), '{"half":');
    const tables = [{ name: 'orders', directory: lake }];
    // the manifest is the truth even before the clean-up: the orphan is invisible
    expect((await queryLake(tables, 'SELECT count(*) AS n FROM orders')).rows).toEqual([{ n: 20 }]);

    const reopened = await openLake();
    expect(parquetOnDisk(lake)).toEqual([...listed].sort());
    expect(readdirSync(lake).sort()).toEqual(['day=2024-05-01', 'manifest.json']);
    expect(reopened.position).toBe(20);

    for (let position = 1; position <= 25; position++) reopened.add(row(position));
    expect(reopened.pending).toBe(5);
    await reopened.roll();
    const sql = 'SELECT count(*) AS n, count(DISTINCT position) AS distinct_positions, max(position) AS last FROM orders';
    expect((await queryLake(tables, sql)).rows).toEqual([{ n: 25, distinct_positions: 25, last: 25 }]);
  });

  it('advance moves the manifest position without rows, and the position survives a reopen', async () => {
    const writer = await openLake();
    writer.advance(5);
    expect(writer.position).toBe(0);
    expect(writer.pending).toBe(0);
    expect(writer.shouldRoll()).toBe(false);
    expect(writer.shouldRoll(Date.now() + 60_001)).toBe(true);
    await writer.roll();
    expect(writer.position).toBe(5);
    expect(readManifest(lake)).toMatchObject({ position: 5, files: [] });
    expect(parquetOnDisk(lake)).toEqual([]);

    const before = readFileSync(join(lake, 'manifest.json'), 'utf8');
    await writer.roll();
    expect(readFileSync(join(lake, 'manifest.json'), 'utf8')).toBe(before);

    writer.add(orderRow(6, '2024-05-01', 'order'));
    writer.advance(9);
    await writer.close();
    expect(() => writer.add(orderRow(10, '2024-05-01', 'order'))).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
    expect(readManifest(lake)!.position).toBe(9);

    const reopened = await openLake();
    expect(reopened.position).toBe(9);
    reopened.add(orderRow(6, '2024-05-01', 'order'));
    reopened.add(orderRow(9, '2024-05-01', 'order'));
    expect(reopened.pending).toBe(0);
    reopened.add(orderRow(10, '2024-05-01', 'order'));
    expect(reopened.pending).toBe(1);
  });
});

describe('values', () => {
  it('stores JSON for ->> , TIMESTAMP from epoch ms or ISO, and NULL for missing or wrong-kind values', async () => {
    // `at` is a DuckDB keyword: the writer quotes every column name, a query has to quote it too
    const writer = await openLake([
      { name: 'position', type: 'BIGINT' },
      { name: 'data', type: 'JSON' },
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'amount', type: 'DOUBLE' },
      { name: 'paid', type: 'BOOLEAN' },
      { name: 'note', type: 'VARCHAR' },
    ]);
    const at = Date.UTC(2024, 4, 1, 12, 0, 0, 123);
    writer.add({
      position: 1,
      day: '2024-05-01',
      category: 'order',
      values: { position: 1, data: { status: 'paid', customer: { name: 'Ada' }, lines: [1, 2] }, at, amount: 12.5, paid: true, note: 'a' },
    });
    writer.add({ position: 2, day: '2024-05-01', category: 'order', values: { position: 2, data: 'text', at: '2024-05-01T13:30:00' } });
    const wrongKinds = { position: 'three', data: null, at: 'not a date', amount: '1', paid: 'yes', note: 7 };
    writer.add({ position: 3, day: '2024-05-01', category: 'order', values: wrongKinds });
    await writer.close();

    const { rows } = await queryLake(
      [{ name: 'payments', directory: lake }],
      `SELECT position, data->>'status' AS status, data->'customer'->>'name' AS customer, json_array_length(data->'lines') AS lines,
              data, "at", epoch_ms("at") AS at_ms, amount, paid, note
         FROM payments ORDER BY "at" NULLS LAST`,
    );
    expect(rows).toEqual([
      { position: 1, status: 'paid', customer: 'Ada', lines: 2, data: '{"status":"paid","customer":{"name":"Ada"},"lines":[1,2]}',
        at: '2024-05-01T12:00:00.123Z', at_ms: at, amount: 12.5, paid: true, note: 'a' },
      { position: 2, status: null, customer: null, lines: null, data: '"text"',
        at: '2024-05-01T13:30:00.000Z', at_ms: Date.UTC(2024, 4, 1, 13, 30), amount: null, paid: null, note: null },
      { position: null, status: null, customer: null, lines: null, data: null,
        at: null, at_ms: null, amount: null, paid: null, note: null },
    ]);
  });
});

describe('volume', () => {
  it('rolls 100k rows in one go', async () => {
    const writer = await openLake([
      { name: 'position', type: 'BIGINT' },
      { name: 'sku', type: 'VARCHAR' },
      { name: 'qty', type: 'BIGINT' },
      { name: 'data', type: 'JSON' },
    ]);
    const count = 100_000;
    const started = performance.now();
    for (let position = 1; position <= count; position++) {
      writer.add({
        position,
        day: `2024-05-${String(1 + (position % 7)).padStart(2, '0')}`,
        category: position % 3 === 0 ? 'refund' : 'order',
        values: { position, sku: `sku-${position % 100}`, qty: position % 10, data: { n: position } },
      });
    }
    const added = performance.now();
    expect(writer.shouldRoll()).toBe(true);
    await writer.roll();
    const rolled = performance.now();
    console.log(`100k rows: add ${(added - started).toFixed(0)} ms, roll ${(rolled - added).toFixed(0)} ms`);

    expect(readManifest(lake)!.files).toHaveLength(14);
    const sql = 'SELECT count(*) AS n, sum(qty) AS qty, max(position) AS last FROM big';
    const { rows: totals } = await queryLake([{ name: 'big', directory: lake }], sql);
    expect(totals).toEqual([{ n: count, qty: 450_000, last: count }]);
  });
});
