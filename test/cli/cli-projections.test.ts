import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';

const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-projections-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function cli(args: string[], db: string) {
  const result = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', cwd: folder });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function definition(name: string, body: Record<string, unknown>): string {
  const file = join(folder, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, version: 1, ...body }));
  return file;
}

it('declared projections from files: rebuilt with a progress bar, listed, searched, and the lake queried with a join through DuckDB', async () => {
  const db = join(folder, 'shop.db');
  const store = openSqliteStore({ path: db });
  const skus = ['boots', 'socks', 'hat'];
  for (let i = 0; i < 30; i++) {
    await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { orderId: `o${i}`, sku: skus[i % 3], qty: 1 + (i % 4) } }]);
  }
  for (const [n, sku] of skus.entries()) await store.append(`inventory-${sku}`, [{ type: 'Stocked', data: { sku, onHand: 100 * (n + 1) } }]);
  await store.append('product-1', [{ type: 'Listed', data: { title: 'Waterproof boots', text: 'for wet trails' } }]);
  await store.append('product-2', [{ type: 'Listed', data: { title: 'Wool socks', text: 'warm, wear them with boots' } }]);
  await store.close();

  expect(cli(['projections', 'add', definition('orders', { sink: 'table', categories: ['order'], key: 'data.orderId', fields: { sku: 'data.sku', qty: 'data.qty' }, columns: { qty: 'integer' } })], db)).toMatchObject({ code: 0 });
  expect(cli(['projections', 'add', definition('catalog', { sink: 'search', categories: ['product'], fields: { title: 'data.title', body: 'data.text' } })], db).code).toBe(0);
  const lake = join(folder, 'lake');
  expect(cli(['projections', 'add', definition('events', { sink: 'lake', directory: lake, rollRows: 1000, rollMs: 100 })], db).code).toBe(0);
  const broken = cli(['projections', 'add', definition('broken', { sink: 'table' })], db);
  expect(broken.code).not.toBe(0);
  expect(broken.stderr).toContain('INVALID_PROJECTION');

  // each rebuild feeds the declared projection itself, from the first event, and ends when readers switched
  for (const name of ['orders', 'catalog', 'events']) {
    const rebuilt = cli(['projections', 'rebuild', name], db);
    expect(rebuilt.stderr).toBe('');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/\[#+\] 100% {2}35\/35 events .* ev\/s {2}ETA/);
    expect(rebuilt.stdout).toContain(`rebuilt ${name}: generation 2 is live`);
  }

  const listed = JSON.parse(cli(['projections', '--json'], db).stdout) as { name: string; generation: number; sink: string; position: number }[];
  expect(listed.map(({ name, generation, sink }) => ({ name, generation, sink }))).toEqual([
    { name: 'catalog', generation: 2, sink: 'search' },
    { name: 'events', generation: 2, sink: 'lake' },
    { name: 'orders', generation: 2, sink: 'table' },
  ]);
  expect(cli(['projections'], db).stdout).toMatch(/^orders\tv1\ttable\tg2\t\d+\/35\t/m);

  const hits = JSON.parse(cli(['search', 'catalog', 'boots', '--json'], db).stdout) as { id: string }[];
  expect(hits.map((hit) => hit.id)).toEqual(['product-1', 'product-2']);
  expect(cli(['search', 'catalog', 'boots'], db).stdout.split('\n')[0]).toMatch(/^\d+\.\d{3}\tproduct-1\t/);

  const counts: unknown = JSON.parse(cli(['lake', 'query', 'SELECT category, count(*) AS n FROM events GROUP BY category ORDER BY category', '--json'], db).stdout);
  expect(counts).toEqual([
    { category: 'inventory', n: 3 },
    { category: 'order', n: 30 },
    { category: 'product', n: 2 },
  ]);
  const join_ = `SELECT o.data->>'sku' AS sku, sum(CAST(o.data->>'qty' AS INTEGER)) AS ordered, max(CAST(i.data->>'onHand' AS INTEGER)) AS on_hand
    FROM events o JOIN events i ON i.category = 'inventory' AND (i.data->>'sku') = (o.data->>'sku')
    WHERE o.category = 'order' GROUP BY 1 ORDER BY 1`;
  const expected = skus
    .map((sku, n) => ({ sku, ordered: [...Array(30).keys()].filter((i) => i % 3 === n).reduce((sum, i) => sum + 1 + (i % 4), 0), on_hand: 100 * (n + 1) }))
    .sort((a, b) => a.sku.localeCompare(b.sku));
  const joined = cli(['lake', 'query', join_, '--json'], db);
  expect(joined.stderr).toBe('');
  expect(JSON.parse(joined.stdout)).toEqual(expected);
  const bad = cli(['lake', 'query', 'SELECT * FROM nowhere'], db);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('LAKE_QUERY_FAILED');

  const rows = openSqliteStore({ path: db });
  try {
    expect(await rows.sql.query('SELECT key, sku, qty FROM orders ORDER BY key LIMIT 2')).toEqual([
      { key: 'o0', sku: 'boots', qty: 1 },
      { key: 'o1', sku: 'socks', qty: 2 },
    ]);
  } finally {
    await rows.close();
  }
  expect(cli(['projections', 'rebuild', 'nothing'], db).stderr).toContain('PROJECTION_NOT_FOUND');
  expect(cli(['projections', 'remove', 'catalog'], db)).toMatchObject({ code: 0, stdout: 'projection catalog removed\n' });
  expect(cli(['projections'], db).stdout).not.toContain('catalog');
  expect(cli(['search', 'catalog', 'boots'], db).stderr).toContain('PROJECTION_NOT_FOUND');
}, 120_000);

it("projections add refuses the store's table names and malformed names with INVALID_PROJECTION; keywords are fine; remove deletes a lake's every generation", async () => {
  const db = join(folder, 'names.db');
  const store = openSqliteStore({ path: db });
  for (let i = 0; i < 5; i++) await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { sku: `s${i}` } }]);
  await store.close();
  const file = (label: string, body: Record<string, unknown>) => {
    const path = join(folder, `names-${label}.json`);
    writeFileSync(path, JSON.stringify({ version: 1, ...body }));
    return path;
  };
  const refused = [
    { name: 'tokens', sink: 'table', fields: { a: 'data.a' } },
    { name: 'events', sink: 'documents' },
    { name: 'consumer_partitions', sink: 'search', fields: { a: 'data.a' } },
    { name: 'tributary_projections', sink: 'documents' },
    { name: 'Orders', sink: 'documents' },
    { name: 'orders_g1', sink: 'documents' },
    { name: 'order rows', sink: 'documents' },
  ];
  for (const [i, body] of refused.entries()) {
    const added = cli(['projections', 'add', file(`refused-${i}`, body)], db);
    expect(added.code, body.name).not.toBe(0);
    expect(added.stderr, body.name).toContain('INVALID_PROJECTION');
  }
  expect(cli(['projections', 'add', file('order', { name: 'order', sink: 'table', fields: { select: 'data.sku', group: 'type' } })], db).code).toBe(0);
  const lake = join(folder, 'names-lake');
  expect(cli(['projections', 'add', file('lake', { name: 'lake_rows', sink: 'lake', directory: lake, rollRows: 2, rollMs: 50 })], db).code).toBe(0);
  for (const name of ['order', 'lake_rows']) expect(cli(['projections', 'rebuild', name], db)).toMatchObject({ code: 0, stderr: '' });
  expect(existsSync(join(lake, 'lake_rows', 'g2', 'manifest.json'))).toBe(true);

  const rows = openSqliteStore({ path: db });
  try {
    expect(await rows.sql.query('SELECT "key", "select", "group" FROM "order" ORDER BY "key" LIMIT 1')).toEqual([{ key: 'order-0', select: 's0', group: 'OrderPlaced' }]);
  } finally {
    await rows.close();
  }
  for (const name of ['order', 'lake_rows']) expect(cli(['projections', 'remove', name], db)).toMatchObject({ code: 0, stdout: `projection ${name} removed\n` });
  expect(existsSync(join(lake, 'lake_rows'))).toBe(false);
  expect(cli(['projections', '--json'], db).stdout).toBe('[]\n');
}, 120_000);
