import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { openSqliteStore, type SqliteEventStore } from '../../src/backends/sqlite/sqlite-store.js';
import { runDeclaredProjections } from '../../src/projections/lifecycle/file-projections.js';
import { buildServer } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';
import { until } from '../subscriptions/processes.js';
import { cliAsync } from '../support/serve-process.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-cli-remote-'));
let store: SqliteEventStore;
let app: FastifyInstance;
let url: string;
let token: string;

beforeAll(async () => {
  store = openSqliteStore({ path: join(folder, 'server.db') });
  const minted = mintToken('cli', ['write:order', 'read:*']);
  await store.tokens.create(minted.record);
  token = minted.token;
  app = await buildServer({ store, open: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});


describe('the CLI against a server (--url, --token)', () => {
  it('appends, reads, lists and tails through the server, with the token’s scopes', async () => {
    const appended = await cliAsync(['append', 'order-1', '--url', url, '--token', token], '{"type":"Placed","data":{"total":5}}\n{"type":"Paid","data":{}}\n');
    expect(appended.stderr).toBe('');
    expect(JSON.parse(appended.stdout)).toMatchObject({ stream: 'order-1', nextExpectedRevision: 1, position: 2 });
    const read = await cliAsync(['read', 'order-1', '--url', url, '--token', token]);
    expect(read.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(['Placed', 'Paid']);
    const all = await cliAsync(['read-all', '--json', '--url', url, '--token', token]);
    expect(JSON.parse(all.stdout)).toMatchObject({ next: null, events: [{ position: 1 }, { position: 2 }] });
    expect((await cliAsync(['streams', '--url', url, '--token', token])).stdout).toBe('order-1\t1\n');
    const tailed = await cliAsync(['tail', 'order-1', '--after', '0', '--no-follow', '--url', url, '--token', token]);
    expect(tailed.stdout.trim().split('\n')).toHaveLength(2);
    expect(await store.headPosition()).toBe(2);

    const forbidden = await cliAsync(['append', 'stock-1', '--type', 'Reserved', '--data', '{}', '--url', url, '--token', token]);
    expect([forbidden.code, forbidden.stderr.split(':')[1]?.trim()]).toEqual([1, 'FORBIDDEN']);
    const anonymous = await cliAsync(['read', 'order-1', '--url', url]);
    expect(anonymous.stderr).toContain('UNAUTHORIZED');
  });

  it('appends to several streams through the server, reads them by tag, and is refused as a whole for a stream the token may not write', async () => {
    const before = await store.headPosition();
    const input = '{"stream":"order-7","event":{"type":"Placed","data":{},"tags":["customer:7"]}}\n{"stream":"order-8","event":{"type":"Placed","data":{},"tags":["customer:7"]}}\n';
    const appended = await cliAsync(['append-many', '--json', '--url', url, '--token', token], input);
    expect(appended.stderr).toBe('');
    expect(JSON.parse(appended.stdout)).toMatchObject({ position: before + 2, streams: [{ stream: 'order-7' }, { stream: 'order-8' }] });
    const tagged = await cliAsync(['read-all', '--tag', 'customer:7', '--url', url, '--token', token]);
    expect(tagged.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { stream: string }).stream)).toEqual(['order-7', 'order-8']);
    const condition = JSON.stringify({ failIfEventsMatch: [{ tags: ['customer:7'] }], after: before });
    const failed = await cliAsync(['append-many', '--condition', condition, '--url', url, '--token', token], input);
    expect(failed.stderr).toMatch(/^tributary: APPEND_CONDITION_FAILED/);
    const mixed = await cliAsync(['append-many', '--url', url, '--token', token], `${input}{"stream":"stock-1","event":{"type":"Reserved","data":{}}}\n`);
    expect([mixed.code, mixed.stderr.split(':')[1]?.trim()]).toEqual([1, 'FORBIDDEN']);
    expect(await store.headPosition()).toBe(before + 2);
  });

  it('manages projections through the server: add, list, rebuild with progress, search, lake query, remove', async () => {
    const minted = mintToken('ops', ['admin']);
    await store.tokens.create(minted.record);
    const admin = ['--url', url, '--token', minted.token];
    await store.append('product-1', [{ type: 'Listed', data: { title: 'Trail boots' } }]);
    // the server's process feeds projections added from files, as tributary serve does
    const hosted = await runDeclaredProjections(store, { watchMs: 50 });
    try {
      const file = join(folder, 'catalog.json');
      writeFileSync(file, JSON.stringify({ name: 'catalog', version: 1, sink: 'search', categories: ['product'], fields: { title: 'data.title' } }));
      const added = await cliAsync(['projections', 'add', file, ...admin]);
      expect(added).toMatchObject({ code: 0, stdout: 'projection catalog: search, generation 1\n' });
      await until(async () => (JSON.parse((await cliAsync(['search', 'catalog', 'boots', '--json', ...admin])).stdout) as unknown[]).length === 1, 'the server has indexed it', 20_000);
      const rebuilt = await cliAsync(['projections', 'rebuild', 'catalog', ...admin]);
      expect(rebuilt.stderr).toBe('');
      expect(rebuilt.stdout).toContain('rebuilt catalog: generation 2 is live');
      const listed = JSON.parse((await cliAsync(['projections', '--json', ...admin])).stdout) as { name: string; generation: number }[];
      expect(listed.map(({ name, generation }) => ({ name, generation }))).toEqual([{ name: 'catalog', generation: 2 }]);
      expect((await cliAsync(['lake', 'query', 'SELECT 6 * 7 AS answer', '--json', ...admin])).stdout).toBe('[{"answer":42}]\n');
      // a token that reads everything sees the projection over products, but may not remove it
      expect((await cliAsync(['projections', '--json', '--url', url, '--token', token])).stdout).toContain('"name":"catalog"');
      const refused = await cliAsync(['projections', 'remove', 'catalog', '--url', url, '--token', token]);
      expect(refused.stderr).toContain('FORBIDDEN');
      expect(await cliAsync(['projections', 'remove', 'catalog', ...admin])).toMatchObject({ code: 0, stdout: 'projection catalog removed\n' });
      // the host looks every 50 ms: several looks later it has not registered the projection again
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await cliAsync(['projections', '--json', ...admin])).stdout).toBe('[]\n');
      expect(hosted.names).toEqual([]);
    } finally {
      await hosted.stop();
    }
  });
});
