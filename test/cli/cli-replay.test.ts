import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { withSchemas } from '../../src/schemas/schema-store.js';
import { openStore } from '../../src/open/open-store.js';
import { database } from '../support/backends.js';
import { appendOrders, dumpTables, listFiles } from '../time/order-fixtures.js';

const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-replay-'));
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

async function liveState(db: string, lake: string) {
  const store = withSchemas(openSqliteStore({ path: db }));
  try {
    return { tables: await dumpTables(store), files: existsSync(lake) ? listFiles(lake) : {} };
  } finally {
    await store.close();
  }
}

it('tributary replay builds a declared table and lake projection until a point into a scratch file and a lake directory, queryable with the usual tools; the live store is unchanged', async () => {
  const liveFolder = join(folder, 'live');
  const db = join(liveFolder, 'shop.db');
  const lake = join(liveFolder, 'lake');
  const live = openSqliteStore({ path: db });
  await appendOrders(live, 0, 10);
  const until = await live.headPosition();
  await appendOrders(live, 10, 5);
  const head = await live.headPosition();
  await live.close();
  const orders = definition('orders', { sink: 'table', categories: ['order'], key: 'data.orderId', fields: { total: 'data.total', carrier: 'data.carrier' }, columns: { total: 'real' }, delete: ['OrderCancelled'] });
  expect(cli(['projections', 'add', orders], db).code).toBe(0);
  expect(cli(['projections', 'rebuild', 'orders'], db).code).toBe(0);
  const events = definition('events', { sink: 'lake', directory: lake, rollRows: 1000, rollMs: 100 });
  const before = await liveState(db, liveFolder);

  const scratch = join(folder, 'orders-then.db');
  const replayed = cli(['replay', '--projection', 'orders', '--until', String(until), '--into', scratch], db);
  expect(replayed.stderr).toMatch(new RegExp(`\\[#+\\] 100% {2}${until}/${until} events .* ev/s`));
  expect(replayed.stdout).toBe(`replayed orders up to position ${until} into ${scratch}\n`);
  expect(replayed.code).toBe(0);
  const listed = JSON.parse(cli(['projections', '--json'], scratch).stdout) as { name: string; sink: string }[];
  expect(listed.map(({ name, sink }) => ({ name, sink }))).toEqual([{ name: 'orders', sink: 'table' }]);
  const store = openSqliteStore({ path: scratch });
  const rows = await store.sql.query<{ key: string; total: number }>('SELECT key, total FROM orders ORDER BY key');
  await store.close();
  // orders 0-9, less the cancelled o3 and o7
  expect(rows.map((row) => row.key)).toEqual(['o0', 'o1', 'o2', 'o4', 'o5', 'o6', 'o8', 'o9']);

  const lakeDirectory = join(folder, 'events-then');
  const lakeReplay = cli(['replay', '--file', events, '--until', String(until), '--into', lakeDirectory], db);
  expect(lakeReplay.stderr).toMatch(/100%/);
  expect(lakeReplay.code).toBe(0);
  expect(lakeReplay.stdout).toContain(`tributary lake query --dir ${lakeDirectory}`);
  const counted = cli(['lake', 'query', 'SELECT count(*) AS n, max(position) AS last FROM events', '--json', '--dir', lakeDirectory], db);
  expect(JSON.parse(counted.stdout)).toEqual([{ n: until, last: until }]);
  // to the head by default
  const whole = join(folder, 'events-now');
  expect(cli(['replay', '--file', events, '--into', whole], db).code).toBe(0);
  expect(JSON.parse(cli(['lake', 'query', 'SELECT count(*) AS n FROM events', '--json', '--dir', whole], db).stdout)).toEqual([{ n: head }]);

  expect(await liveState(db, liveFolder)).toEqual(before);
  expect(existsSync(lake)).toBe(false);
});

it('tributary replay refuses the live store, a scratch store that is not empty and a bad --until, creating nothing', async () => {
  const db = join(folder, 'refusals.db');
  const live = openSqliteStore({ path: db });
  await appendOrders(live, 0, 3);
  await live.close();
  const orders = definition('orders_refused', { sink: 'table', categories: ['order'], key: 'data.orderId', fields: { total: 'data.total' } });
  const refusedInto = (into: string, extra: string[] = []) => cli(['replay', '--file', orders, '--into', into, ...extra], db);

  const itself = refusedInto(db);
  expect(itself.stderr).toContain('INVALID_REPLAY_TARGET');
  expect(itself.code).toBe(1);
  const taken = join(folder, 'taken.db');
  expect(refusedInto(taken).code).toBe(0);
  expect(refusedInto(taken).stderr).toContain('INVALID_REPLAY_TARGET');
  const never = join(folder, 'never.db');
  for (const until of ['yesterday', '0', '999', '2026-02-30T25:00:00Z']) {
    const bad = refusedInto(never, ['--until', until]);
    expect(bad.stderr).toContain('INVALID_AS_OF');
    expect(bad.code).toBe(1);
  }
  expect(existsSync(never)).toBe(false);
  expect(refusedInto(folder).stderr).toContain('INVALID_REPLAY_TARGET');
  expect(cli(['replay', '--projection', 'nothing', '--into', never], db).stderr).toContain('PROJECTION_NOT_FOUND');
  expect(cli(['replay', '--into', never], db).code).toBe(2);
  expect(existsSync(never)).toBe(false);
});

it('tributary replay from a PostgreSQL store into a scratch PostgreSQL schema; the same store under another spelling of its URL is refused', async () => {
  expect(database).toBeDefined();
  const db = `${database!.url}?schema=cli_replay_live`;
  const live = await openStore(db);
  await appendOrders(live, 0, 8);
  const until = 7;
  await live.close();
  const orders = definition('shop_orders', { sink: 'table', categories: ['order'], key: 'data.orderId', fields: { total: 'data.total' }, columns: { total: 'real' }, delete: ['OrderCancelled'] });
  const added = cli(['projections', 'add', orders], db);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  const before = await openStore(db).then(async (store) => {
    const tables = await dumpTables(store);
    await store.close();
    return tables;
  });

  const scratch = `${database!.url}?schema=cli_replay_scratch`;
  const replayed = cli(['replay', '--projection', 'shop_orders', '--until', String(until), '--into', scratch], db);
  expect(replayed.stderr).toMatch(/100%/);
  expect(replayed.code).toBe(0);
  const store = await openStore(scratch);
  const rows = await store.sql!.query<{ key: string }>('SELECT key FROM shop_orders ORDER BY key');
  await store.close();
  // positions 1-7: o0 to o4 placed, o3 cancelled at 6
  expect(rows.map((row) => row.key)).toEqual(['o0', 'o1', 'o2', 'o4']);

  const respelled = new URL(db);
  respelled.hostname = respelled.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  const itself = cli(['replay', '--projection', 'shop_orders', '--into', respelled.toString()], db);
  expect(itself.stderr).toContain('INVALID_REPLAY_TARGET');
  expect(itself.stderr).toContain('is the store the replay reads');
  const after = await openStore(db);
  expect(await dumpTables(after)).toEqual(before);
  await after.close();
});

it('tributary replay --branch builds a branch\'s projection, and tributary branch diff prints what the branch changes', async () => {
  const db = join(folder, 'branches.db');
  const live = openSqliteStore({ path: db });
  await appendOrders(live, 0, 4);
  await live.close();
  const orders = definition('branch_orders', { sink: 'table', categories: ['order'], key: 'data.orderId', fields: { total: 'data.total', carrier: 'data.carrier' }, delete: ['OrderCancelled'] });
  expect(cli(['projections', 'add', orders], db).code).toBe(0);
  expect(cli(['branch', 'create', 'late'], db).code).toBe(0);
  expect(cli(['branch', 'append', 'late', 'order-2', '--type', 'OrderShipped', '--data', '{"orderId":"o2","carrier":"dhl"}'], db).code).toBe(0);
  const before = await liveState(db, join(folder, 'no-lake'));

  const scratch = join(folder, 'late-orders.db');
  const replayed = cli(['replay', '--projection', 'branch_orders', '--branch', 'late', '--into', scratch], db);
  expect(replayed.stderr).toMatch(/100%/);
  expect(replayed.code).toBe(0);
  const store = openSqliteStore({ path: scratch });
  expect(await store.sql.query('SELECT key, carrier FROM branch_orders WHERE key = ?', ['o2'])).toEqual([{ key: 'o2', carrier: 'dhl' }]);
  await store.close();

  const diff = cli(['branch', 'diff', 'branch_orders', 'main', 'late'], db);
  expect(diff.stdout).toBe('branch_orders (table, keyed by key), main -> late: 0 added, 0 removed, 1 changed\n~ key=o2  carrier: null -> "dhl"\n');
  expect(diff.code).toBe(0);
  const json = JSON.parse(cli(['branch', 'diff', 'branch_orders', 'late', 'main', '--json'], db).stdout) as { changed: unknown[] };
  expect(json.changed).toEqual([{ key: { key: 'o2' }, before: { key: 'o2', total: '20', carrier: 'dhl' }, after: { key: 'o2', total: '20', carrier: null } }]);
  expect(cli(['branch', 'diff', 'branch_orders', 'main', 'nowhere'], db).stderr).toContain('BRANCH_NOT_FOUND');
  expect(await liveState(db, join(folder, 'no-lake'))).toEqual(before);
});
