import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, expect, it } from 'vitest';
import { lakeDirectoryOf } from '../../src/projections/definition/projection.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { lakeSink, type LakeContext } from '../../src/projections/sinks/lake.js';
import { readManifest } from '../../src/projections/sinks/lake-manifest.js';
import type { EventStore } from '../../src/store/event-store.js';
import { lakeAttacks, snapshotTree } from '../projections/lake-attacks.js';
import { childrenOf, isRunning } from '../support/processes.js';
import { OpenApiContract } from './openapi.js';
import { listening, withServer } from './support.js';

const TEN_MILLION = "SELECT range, repeat('x', 100) AS padding FROM range(10000000)";
const NEVER_ENDING = 'SELECT count(*) AS n FROM range(1000000000000)';

const folder = mkdtempSync(join(tmpdir(), 'tributary-lake-http-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A lake projection `paylake` of three payments in `root`; answers its live generation's directory and file. */
async function payLake(store: EventStore, root: string): Promise<{ lake: string; liveFile: string }> {
  for (let i = 1; i <= 3; i++) await store.append(`payment-${i}`, [{ type: 'Paid', data: { sku: `sku-${i}`, qty: i } }]);
  const columns = [
    { name: 'position', type: 'BIGINT' as const },
    { name: 'sku', type: 'VARCHAR' as const },
    { name: 'qty', type: 'BIGINT' as const },
  ];
  const running = await runProjection(
    store,
    {
      name: 'paylake',
      version: 1,
      sink: lakeSink({ directory: root, columns, rollMs: 20 }),
      handlers: { Paid: (event, lake: LakeContext) => lake.write({ position: event.position, ...(event.data as object) }) },
    },
    { watchMs: 20 },
  );
  await waitForProjection(store, 'paylake', await store.headPosition(), { timeoutMs: 20_000 });
  await running.stop();
  const lake = lakeDirectoryOf(root, 'paylake', 1);
  return { lake, liveFile: join(lake, readManifest(lake)!.files[0]!.path) };
}

function lakeQuery(app: FastifyInstance, payload: object) {
  return app.inject({ method: 'POST', url: '/lake/query', payload });
}

it('POST /lake/query refuses every statement but one read-only SELECT, writes nothing into the lake, and every answer matches /openapi.json', async () => {
  await withServer({ open: true }, async ({ app, store }) => {
    const contract = await OpenApiContract.load(app);
    const root = join(folder, 'refusals');
    const { lake, liveFile } = await payLake(store, root);
    const before = snapshotTree(root);
    for (const attack of lakeAttacks('paylake', lake, liveFile)) {
      const response = await lakeQuery(app, { sql: attack.sql });
      contract.check('POST', '/lake/query', response.statusCode, response.json());
      expect(response.statusCode, attack.sql).toBe(400);
      const { error } = response.json<{ error: { code: string; statementType?: string } }>();
      expect(error.code, `${attack.sql}: ${response.body}`).toBe('LAKE_QUERY_REFUSED');
      expect(error.statementType).toBe(attack.statementType ?? (attack.tableFunction === undefined ? undefined : 'SELECT'));
    }
    expect(snapshotTree(root)).toEqual(before);
    const rows = await lakeQuery(app, { sql: 'SELECT sku, qty FROM paylake ORDER BY qty' });
    expect(rows.json()).toEqual({ rows: [1, 2, 3].map((qty) => ({ sku: `sku-${qty}`, qty })), truncated: false });
    contract.check('POST', '/lake/query', rows.statusCode, rows.json());
  });
});

it('POST /lake/query answers at most limit rows (default 10,000, at most the maximum), with truncated; the maximum is in /openapi.json', async () => {
  await withServer({ open: true, lake: { maxRows: 20_000 } }, async ({ app }) => {
    const contract = await OpenApiContract.load(app);
    const capped = await lakeQuery(app, { sql: TEN_MILLION });
    contract.check('POST', '/lake/query', capped.statusCode, capped.json());
    const answer = capped.json<{ rows: { range: number }[]; truncated: boolean }>();
    expect(answer.truncated).toBe(true);
    expect(answer.rows).toHaveLength(10_000);
    expect(answer.rows.at(-1)).toEqual({ range: 9_999, padding: 'x'.repeat(100) });
    expect((await lakeQuery(app, { sql: TEN_MILLION, limit: 20_000 })).json<{ rows: unknown[] }>().rows).toHaveLength(20_000);
    expect((await lakeQuery(app, { sql: 'SELECT * FROM range(2)', limit: 2 })).json()).toEqual({ rows: [{ range: 0 }, { range: 1 }], truncated: false });
    for (const limit of [0, 20_001, 'ten']) {
      const refused = await lakeQuery(app, { sql: 'SELECT 1', limit });
      expect(refused.statusCode, String(limit)).toBe(400);
      expect(refused.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    }
    const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: { properties: Record<string, object> } } } } } }>;
    }>();
    expect(openapi.paths['/lake/query']!.post.requestBody.content['application/json'].schema.properties['limit']).toEqual({ type: 'integer', minimum: 1, maximum: 20_000 });
  });
  await withServer({ open: true, lake: { maxRows: 50 } }, async ({ app }) => {
    expect((await lakeQuery(app, { sql: TEN_MILLION })).json<{ rows: unknown[] }>().rows).toHaveLength(50);
  });
});

it('POST /lake/query stops at the server’s time limit (504), beyond its memory (422), and refuses queries beyond its count (503, retriable)', async () => {
  await withServer({ open: true, lake: { timeoutMs: 300, memoryMb: 32, concurrent: 1 } }, async ({ app }) => {
    const contract = await OpenApiContract.load(app);
    const started = performance.now();
    const running = lakeQuery(app, { sql: NEVER_ENDING });
    // the first query holds the only slot until DuckDB has stopped it
    await new Promise((resolve) => setTimeout(resolve, 50));
    const busy = await lakeQuery(app, { sql: 'SELECT 1' });
    expect(busy.statusCode).toBe(503);
    expect(busy.json()).toMatchObject({ error: { code: 'LAKE_BUSY', running: 1 } });
    contract.check('POST', '/lake/query', busy.statusCode, busy.json());
    const timedOut = await running;
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(timedOut.statusCode).toBe(504);
    expect(timedOut.json()).toMatchObject({ error: { code: 'LAKE_QUERY_TIMEOUT', timeoutMs: 300 } });
    contract.check('POST', '/lake/query', timedOut.statusCode, timedOut.json());

    await expect.poll(async () => (await lakeQuery(app, { sql: 'SELECT 1 AS one' })).statusCode, { timeout: 2_000 }).toBe(200);
    const tooBig = await lakeQuery(app, { sql: 'SELECT count(DISTINCT range) AS n FROM range(100000000)' });
    expect(tooBig.statusCode).toBe(422);
    expect(tooBig.json()).toMatchObject({ error: { code: 'LAKE_QUERY_OUT_OF_MEMORY', memoryMb: 32 } });
    contract.check('POST', '/lake/query', tooBig.statusCode, tooBig.json());
  });
});

it('a client that goes away interrupts its query: the only slot is free again long before the time limit', async () => {
  await withServer({ open: true, lake: { timeoutMs: 60_000, concurrent: 1 } }, async ({ app }) => {
    const url = `${await listening(app)}/lake/query`;
    const post = (sql: string, signal?: AbortSignal) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }), signal });
    const client = new AbortController();
    const abandoned = post(NEVER_ENDING, client.signal).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await post('SELECT 1')).status).toBe(503);
    client.abort();
    expect(await abandoned).toBeInstanceOf(Error);
    const started = performance.now();
    await expect.poll(async () => (await post('SELECT 1 AS one')).status, { timeout: 3_000, interval: 20 }).toBe(200);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});

it('closing the server stops its lake workers, and the workers of servers closed before are gone too', async () => {
  const lakeWorkers = () => childrenOf(process.pid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('lake-worker'));
  expect(lakeWorkers()).toEqual([]);
  let workers: number[] = [];
  await withServer({ open: true }, async ({ app }) => {
    const both = await Promise.all([lakeQuery(app, { sql: 'SELECT 1' }), lakeQuery(app, { sql: 'SELECT 2' })]);
    expect(both.map((response) => response.statusCode)).toEqual([200, 200]);
    workers = lakeWorkers();
    expect(workers).toHaveLength(2);
  });
  expect(workers.filter(isRunning)).toEqual([]);
});
