import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { declaredProjection } from '../../src/projections/definition/file-definition.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { addDeclaredProjection } from '../../src/projections/lifecycle/file-projections.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { getDocument, queryLakes, searchProjection } from '../../src/projections/reading/queries.js';
import type { ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import type { EventStore } from '../../src/store/event-store.js';
import { diffProjection } from '../../src/time/diff.js';
import { replayProjection, type ReplayProgress } from '../../src/time/replay.js';
import { backends, database, scratch } from '../support/backends.js';
import { refusal } from '../support/refusal.js';
import { appendOrders, copyLogUntil, dumpTables, listFiles, orderDocsFile, orderLake, ordersTable, seenReplays } from './order-fixtures.js';

const FAST = { watchMs: 50, pageSize: 7, leaseMs: 2_000, heartbeatMs: 200 };
let scratches = 0;

/** A fresh, empty scratch SQLite store and lake directory. */
async function freshScratch(): Promise<{ store: EventStore; lake: string }> {
  const folder = join(scratch, `scratch-${++scratches}`);
  mkdirSync(folder);
  return { store: await openStore(join(folder, 'scratch.db')), lake: join(folder, 'lake') };
}

/** Builds `definition` on `store` the live way, until it has handled the whole log; a lake's last rows are rolled by the stop. */
async function buildLive(store: EventStore, definition: ProjectionDefinition<unknown>, declared?: unknown): Promise<void> {
  if (declared !== undefined) await addDeclaredProjection(store, declared);
  const running = await runProjection(store, definition, { ...FAST, declared });
  try {
    if (definition.sink.storage === 'sql') await waitForProjection(store, definition.name, await store.headPosition(), { timeoutMs: 20_000 });
    else await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await running.stop();
  }
}

async function withStores(work: (stores: EventStore[]) => Promise<void>, ...opened: Promise<EventStore>[]): Promise<void> {
  const stores = await Promise.all(opened);
  try {
    await work(stores);
  } finally {
    for (const store of stores) await store.close();
  }
}

describe.each(backends)('clean-room replays of a $name store', ({ name: backend, location }) => {
  it('a table, a document and a lake projection replayed until a point equal fresh builds on the log cut there, and the live store is unchanged', async () => {
    const liveFolder = join(scratch, `live-${backend}`);
    mkdirSync(liveFolder);
    const liveLake = join(liveFolder, 'lake');
    const live = await openStore(location(`replay-live-${backend}`));
    const cutA = await freshScratch();
    const cutCopy = await freshScratch();
    const stores = [live, cutA.store, cutCopy.store];
    try {
      await appendOrders(live, 0, 12);
      const until = await live.headPosition();
      await appendOrders(live, 12, 6);
      await live.append('order-2', [{ type: 'OrderCancelled', data: { orderId: 'o2' } }]);
      // the live store runs its own projections and a consumer: their rows must not move
      await buildLive(live, ordersTable(), undefined);
      await buildLive(live, orderLake(liveLake));
      const consumer = await startConsumer(live, { name: 'mailer', handler: () => undefined });
      await consumer.stop();
      await live.snapshots!.write({ stream: 'order-1', name: 'order', version: 1, revision: 1, fromRevision: 0, state: '{"n":1}' });
      const tablesBefore = await dumpTables(live);
      const filesBefore = listFiles(liveFolder);

      const progress: ReplayProgress[] = [];
      const table = await replayProjection(live, ordersTable(), { until, into: cutA.store, onProgress: (p) => progress.push(p), pageSize: 7 });
      expect(table).toEqual({ projection: 'orders', until, generation: 1, parked: 0 });
      expect(progress.at(-1)).toEqual({ position: until, until });
      expect(progress.every((p) => p.position <= until && p.until === until)).toBe(true);
      await replayProjection(live, orderDocsFile, { until, into: cutA.store });
      await replayProjection(live, { name: 'order_search', version: 1, sink: 'search', categories: ['order'], fields: { title: 'data.orderId', body: 'data.carrier' } }, { until, into: cutA.store });
      const lakeResult = await replayProjection(live, orderLake(liveLake), { until, into: cutA.store, lakeDirectory: cutA.lake });
      expect(lakeResult.lakeDirectory).toBe(cutA.lake);

      expect(await dumpTables(live)).toEqual(tablesBefore);
      expect(listFiles(liveFolder)).toEqual(filesBefore);

      // the same projections built the ordinary way on a copy of the log cut at `until`
      await copyLogUntil(live, cutCopy.store, until);
      await buildLive(cutCopy.store, ordersTable());
      await buildLive(cutCopy.store, declaredProjection(orderDocsFile), orderDocsFile);
      await buildLive(cutCopy.store, orderLake(cutCopy.lake));
      const rows = (store: EventStore) => store.sql!.query('SELECT order_id, status, total, customer FROM orders ORDER BY order_id');
      const replayed = await rows(cutA.store);
      expect(replayed.length).toBeGreaterThan(5);
      expect(replayed).toEqual(await rows(cutCopy.store));
      // o2 was cancelled after `until`: the replay still has it
      expect(replayed.some((row) => row['order_id'] === 'o2')).toBe(true);
      expect(await getDocument(cutA.store, 'order_docs', 'order-4')).toEqual({ orderId: 'o4', carrier: 'dhl', total: 40, customer: 'c1' });
      for (const definition of [ordersTable(), orderDocsFile, orderLake(liveLake)]) {
        expect(await diffProjection(definition, cutA.store, cutCopy.store)).toMatchObject({ added: [], removed: [], changed: [] });
      }
      const lakeRows = await queryLakes(cutA.store, 'SELECT count(*) AS n FROM order_lake');
      expect(Number(lakeRows.rows[0]!['n'])).toBe(until);
      // and the scratch store shows the replayed projections as a live store shows its own
      const statuses = await projectionStatus(cutA.store);
      expect(statuses.map((status) => status.name)).toEqual(['order_docs', 'order_lake', 'order_search', 'orders']);
      // built up to `until` in a store with no log of its own: nothing left to read, never a negative lag
      for (const status of statuses) expect(status).toMatchObject({ position: until, lagEvents: 0 });
      expect((await searchProjection(cutA.store, 'order_search', 'dhl')).map((hit) => hit.id).sort()).toEqual(['order-10', 'order-4']);
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it('refuses the live store itself, a store that is not empty and a lake directory with files, writing nothing; and a bad until', async () => {
    const live = await openStore(location(`replay-refusals-${backend}`));
    const again = await openStore(location(`replay-refusals-${backend}`));
    const used = await freshScratch();
    const empty = await freshScratch();
    try {
      await appendOrders(live, 0, 3);
      const head = await live.headPosition();
      await used.store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: 'o1', total: 1, customer: 'c' } }]);
      const before = await dumpTables(live);
      for (const into of [live, again]) {
        expect(await refusal(replayProjection(live, ordersTable(), { into }))).toMatchObject({ code: 'INVALID_REPLAY_TARGET', details: { reason: expect.stringContaining('is the store the replay reads') as unknown } });
      }
      expect(await refusal(replayProjection(live, ordersTable(), { into: used.store }))).toMatchObject({ code: 'INVALID_REPLAY_TARGET' });
      mkdirSync(empty.lake, { recursive: true });
      writeFileSync(join(empty.lake, 'stray.parquet'), '');
      expect(await refusal(replayProjection(live, orderLake(join(scratch, 'unused-lake')), { into: empty.store, lakeDirectory: empty.lake }))).toMatchObject({
        code: 'INVALID_REPLAY_TARGET',
      });
      expect(await refusal(replayProjection(live, orderLake(empty.lake), { into: empty.store, lakeDirectory: empty.lake }))).toMatchObject({
        code: 'INVALID_REPLAY_TARGET',
      });
      expect(await refusal(replayProjection(live, orderLake(join(scratch, 'unused-lake')), { into: empty.store }))).toMatchObject({ code: 'INVALID_REPLAY_TARGET' });
      for (const until of ['last tuesday', 0, head + 1, -3, 1.5, '2026-13-45']) {
        expect(await refusal(replayProjection(live, ordersTable(), { into: empty.store, until }))).toMatchObject({ code: 'INVALID_AS_OF' });
      }
      expect(await dumpTables(live)).toEqual(before);
      const { store_identity: _, ...untouched } = await dumpTables(empty.store);
      expect(Object.values(untouched).flat()).toEqual([]);
      // a store that has the projection already is not empty either; another projection may join it
      await replayProjection(live, ordersTable(), { into: empty.store, until: 1 });
      expect(await refusal(replayProjection(live, ordersTable(), { into: empty.store }))).toMatchObject({ code: 'INVALID_REPLAY_TARGET' });
      await replayProjection(live, ordersTable('more_orders'), { into: empty.store });
    } finally {
      for (const store of [live, again, used.store, empty.store]) await store.close();
    }
  });

  it('a replay stopped by its signal rejects with the reason and stops feeding; the scratch store keeps what was built', async () => {
    const live = await openStore(location(`replay-abort-${backend}`));
    const into = await freshScratch();
    try {
      await appendOrders(live, 0, 20);
      const stopping = new AbortController();
      const slow = ordersTable();
      const handlers = slow.handlers as Record<string, (...args: unknown[]) => unknown>;
      const placed = handlers['OrderPlaced']!;
      let handled = 0;
      handlers['OrderPlaced'] = async (...args: unknown[]) => {
        if (++handled === 5) stopping.abort(new Error('enough'));
        await placed(...args);
      };
      await expect(replayProjection(live, slow, { into: into.store, signal: stopping.signal, pageSize: 2 })).rejects.toThrow('enough');
      const kept = handled;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(handled).toBe(kept);
      expect(handled).toBeLessThan(20);
      const [built] = await into.store.sql!.query<{ n: number | string }>('SELECT count(*) AS n FROM orders');
      expect(Number(built!.n)).toBeGreaterThan(0);
    } finally {
      await live.close();
      await into.store.close();
    }
  });

  it('handlers see currentReplay() in a replay and undefined in a live run; a time before the first event replays nothing', async () => {
    const live = await openStore(location(`replay-context-${backend}`));
    const into = await freshScratch();
    const early = await freshScratch();
    try {
      await appendOrders(live, 0, 4);
      seenReplays.length = 0;
      await buildLive(live, ordersTable());
      expect(seenReplays.length).toBe(4);
      expect(seenReplays.every((seen) => seen === undefined)).toBe(true);
      seenReplays.length = 0;
      const until = 3;
      await replayProjection(live, ordersTable(), { into: into.store, until });
      expect(seenReplays).toEqual([
        { projection: 'orders', until, source: live.location, into: into.store.location },
        { projection: 'orders', until, source: live.location, into: into.store.location },
      ]);
      await replayProjection(live, ordersTable(), { into: early.store, until: '2000-01-01T00:00:00Z' });
      expect(await early.store.sql!.query('SELECT * FROM orders')).toEqual([]);
    } finally {
      for (const store of [live, into.store, early.store]) await store.close();
    }
  });
});

it('replays into a scratch PostgreSQL store', async () => {
  expect(database).toBeDefined();
  await withStores(
    async ([live, into]) => {
      await appendOrders(live!, 0, 8);
      await replayProjection(live!, ordersTable(), { into: into!, until: 10 });
      const cut = await freshScratch();
      await copyLogUntil(live!, cut.store, 10);
      await buildLive(cut.store, ordersTable());
      expect(await diffProjection(ordersTable(), into!, cut.store)).toMatchObject({ added: [], removed: [], changed: [], keyedBy: ['order_id'] });
      expect((await into!.sql!.query('SELECT * FROM orders')).length).toBeGreaterThan(2);
      await cut.store.close();
    },
    openStore(join(scratch, 'pg-source.db')),
    openStore(`${database!.url}?schema=replay_scratch`),
  );
});
