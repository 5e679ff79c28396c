import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventCatalog } from '../../src/catalog/event-catalog.js';
import { openStore } from '../../src/open/open-store.js';
import { buildServer } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';
import { cliAsync } from '../support/serve-process.js';

// the built bin, as users run it: `npm test` builds before it runs the suites
const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-catalog-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function cli(args: string[], db: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: folder, env: { ...process.env, TRIBUTARY_DB: db } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

it('tributary catalog --out writes catalog.html and catalog.md whole; without it prints Markdown, or JSON with --json', async () => {
  const db = join(folder, 'catalog.db');
  const store = await openStore(db);
  try {
    await store.schemas!.register('OrderPlaced', { type: 'object' }, { categories: ['order'] });
    // a library append names its producer itself, if it wants one
    await store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: '1' }, metadata: { appendedBy: 'orders-service' } }]);
    await store.append('order-1', [{ type: 'OrderShipped', data: { orderId: '1' } }]);
    await store.consumers.register({ name: 'shipping', partitions: 1, startAt: 0, filter: { types: ['OrderPlaced'] } });
  } finally {
    await store.close();
  }

  const out = join(folder, 'site', 'catalog');
  const written = cli(['catalog', '--out', out], db);
  expect(written, written.stderr).toMatchObject({ code: 0 });
  expect(readdirSync(out).sort()).toEqual(['catalog.html', 'catalog.md']);
  const html = readFileSync(join(out, 'catalog.html'), 'utf8');
  expect(html).toMatch(/^<!DOCTYPE html>/);
  expect(html).toContain('<a href="#type-0">OrderPlaced</a>');
  expect(readFileSync(join(out, 'catalog.md'), 'utf8')).toContain('- **Producers:** orders\\-service');

  // a second run replaces both files and leaves nothing else behind
  expect(cli(['catalog', '--out', out], db).code).toBe(0);
  expect(readdirSync(out).sort()).toEqual(['catalog.html', 'catalog.md']);

  const markdown = cli(['catalog'], db);
  expect(markdown.code).toBe(0);
  expect(markdown.stdout).toMatch(/^# Event catalog\n/);
  expect(markdown.stdout).toContain('## OrderShipped');

  const json = cli(['catalog', '--json'], db);
  const catalog = JSON.parse(json.stdout) as EventCatalog;
  expect(catalog.types.map((type) => [type.type, type.versions.map((v) => v.version), type.count, type.producers, type.consumers])).toEqual([
    ['OrderPlaced', [1], 1, ['orders-service'], ['shipping']],
    ['OrderShipped', [], 1, [], []],
  ]);
  expect(catalog.types[0]!.versions[0]!.example).toMatchObject({ stream: 'order-1', data: { orderId: '1' } });
});

it('tributary catalog on a database that does not exist fails and creates nothing', () => {
  const missing = join(folder, 'missing.db');
  const result = cli(['catalog'], missing);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('DATABASE_NOT_FOUND');
  expect(readdirSync(folder)).not.toContain('missing.db');
});

it('tributary catalog --url asks the server, which answers with what the token may read and the token names as producers', async () => {
  const store = openSqliteStore({ path: join(folder, 'server.db') });
  const orders = mintToken('orders-service', ['write:order']);
  const stock = mintToken('stock-service', ['write:stock']);
  await store.tokens.create(orders.record);
  await store.tokens.create(stock.record);
  const app = await buildServer({ store, open: false });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    for (const [token, stream, type] of [[orders.token, 'order-1', 'OrderPlaced'], [stock.token, 'stock-1', 'StockReserved']] as const) {
      const appended = await fetch(`${url}/streams/${stream}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: [{ type, data: {} }] }),
      });
      expect(appended.status).toBe(201);
    }
    const asked = await cliAsync(['catalog', '--json', '--url', url, '--token', orders.token]);
    expect(asked.stderr).toBe('');
    const catalog = JSON.parse(asked.stdout) as EventCatalog;
    expect(catalog.types.map((type) => [type.type, type.producers])).toEqual([['OrderPlaced', ['orders-service']]]);
  } finally {
    await app.close();
    await store.close();
  }
});
