import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import type { RecordedEvent } from '../../src/core/event.js';
import { declaredProjection } from '../../src/projections/definition/file-definition.js';
import { addDeclaredProjection, runDeclaredProjections } from '../../src/projections/lifecycle/file-projections.js';
import { consumerNameOf, type ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { findDocuments, getDocument, queryLakes, searchProjection } from '../../src/projections/reading/queries.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { removeProjection } from '../../src/projections/lifecycle/remove.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { documentSink, type DocumentsContext } from '../../src/projections/sinks/documents.js';
import { lakeSink, writeEvent, type LakeContext } from '../../src/projections/sinks/lake.js';
import { searchSink, type SearchContext } from '../../src/projections/sinks/search.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { tableExists } from '../../src/projections/sinks/sql-text.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends, scratch } from '../support/backends.js';
import { until } from '../subscriptions/processes.js';
import { appendRounds, expectedTallies, tallies, tallyRows, withStore } from './fixtures.js';

const FAST = { watchMs: 50, pageSize: 200, leaseMs: 2_000, heartbeatMs: 200 };

async function caughtUp(store: EventStore, name: string): Promise<void> {
  await waitForProjection(store, name, await store.headPosition(), { timeoutMs: 30_000 });
}

/** Runs a projection until it has handled the whole log, then stops it. */
async function buildOnce<Context>(store: EventStore, definition: ProjectionDefinition<Context>): Promise<void> {
  const running = await runProjection(store, definition, FAST);
  try {
    await caughtUp(store, definition.name);
  } finally {
    await running.stop();
  }
}

describe.each(backends)('projections on $name', ({ location }) => {
  it('a table projection builds from history, follows live appends, and a read can wait for its own write', async () => {
    await withStore(location('table-live'), async (store) => {
      await appendRounds(store, 5, 0, 4);
      const running = await runProjection(store, tallies('live_tallies'), FAST);
      try {
        await caughtUp(store, 'live_tallies');
        expect(await tallyRows(store, 'live_tallies')).toEqual(expectedTallies(5, 4));
        const { position } = await store.append('shard-0', [{ type: 'Counted', data: { n: 4 } }]);
        await waitForProjection(store, 'live_tallies', position);
        expect((await tallyRows(store, 'live_tallies'))[0]).toEqual({ stream: 'shard-0', n: 5, total: 10, seen: '0,1,2,3,4' });
        // events outside the filter do not hold a wait back
        const other = await store.append('other-1', [{ type: 'Counted', data: { n: 1 } }]);
        await waitForProjection(store, 'live_tallies', other.position, { timeoutMs: 2_000 });
        // the member reports its state as it reads: a page past the filter can show it catching up for a moment
        await vi.waitFor(
          async () => {
            const [status] = await projectionStatus(store);
            expect(status).toMatchObject({ name: 'live_tallies', version: 1, sink: 'table', mode: 'async', generation: 1, state: 'live', rebuilding: null });
          },
          { timeout: 5_000, interval: 50 },
        );
      } finally {
        await running.stop();
      }
      await expect(waitForProjection(store, 'live_tallies', (await store.headPosition()) + 1, { timeoutMs: 100 })).rejects.toSatisfy((error) =>
        isTributaryError(error, 'PROJECTION_NOT_CAUGHT_UP'),
      );
      await expect(waitForProjection(store, 'nothing', 1)).rejects.toSatisfy((error) => isTributaryError(error, 'PROJECTION_NOT_FOUND'));
    });
  });

  it('a rebuild while appends continue ends identical to a fresh build from scratch, and drops the old generation', async () => {
    await withStore(location('rebuild-live'), async (store) => {
      const streams = 8;
      await appendRounds(store, streams, 0, 20);
      const running = await runProjection(store, tallies('rebuilt'), FAST);
      try {
        await caughtUp(store, 'rebuilt');
        const appending = appendRounds(store, streams, 20, 40);
        const { generation, resumed } = await requestRebuild(store, 'rebuilt');
        expect({ generation, resumed }).toEqual({ generation: 2, resumed: false });
        await until(async () => (await projectionStatus(store))[0]!.generation === 2, 'the rebuild switches readers over', 60_000);
        await appending;
        await caughtUp(store, 'rebuilt');
        await until(async () => !(await tableExists(store.sql!, 'rebuilt_g1')), 'the old generation is dropped', 10_000);
        expect(await store.consumers.get(consumerNameOf('rebuilt', 1))).toBeUndefined();
      } finally {
        await running.stop();
      }
      await buildOnce(store, tallies('fresh'));
      const rebuilt = await tallyRows(store, 'rebuilt');
      expect(rebuilt).toEqual(await tallyRows(store, 'fresh'));
      expect(rebuilt).toEqual(expectedTallies(streams, 60));
    });
  });

  it('a new version of the code rebuilds beside the old one and switches when caught up', async () => {
    await withStore(location('version-bump'), async (store) => {
      await appendRounds(store, 3, 0, 5);
      const first = await runProjection(store, tallies('versioned', 1), FAST);
      await caughtUp(store, 'versioned');
      await first.stop();
      const switched: number[] = [];
      const second = await runProjection(store, tallies('versioned', 2), { ...FAST, onSwitch: (generation) => switched.push(generation) });
      try {
        // readers may see the switch's commit a moment before its writer is answered, as on PostgreSQL
        await until(async () => switched.length > 0 && (await projectionStatus(store))[0]!.version === 2, 'version 2 is what readers see', 30_000);
        expect(switched).toEqual([2]);
        expect(await tallyRows(store, 'versioned')).toEqual(expectedTallies(3, 5));
        // the old code, started again, no longer feeds anything: readers are on a newer version
        const old = await runProjection(store, tallies('versioned', 1), FAST);
        expect(old.generations).toEqual([]);
        await old.stop();
      } finally {
        await second.stop();
      }
    });
  });

  it('a newer version replaces a rebuild of an older one still under way: its tables and checkpoint go', async () => {
    await withStore(location('superseded'), async (store) => {
      await appendRounds(store, 2, 0, 3);
      const first = await runProjection(store, tallies('superseded', 1), FAST);
      await caughtUp(store, 'superseded');
      await first.stop();
      // version 2 cannot finish: its handler fails, and its events wait out their retries
      const stuck = { ...tallies('superseded', 2), handlers: { Counted: () => Promise.reject(new Error('not yet')) } };
      const second = await runProjection(store, stuck, FAST);
      try {
        await until(async () => (await store.consumers.get(consumerNameOf('superseded', 2))) !== undefined, 'version 2 is being built', 10_000);
        expect(await tableExists(store.sql!, 'superseded_g2')).toBe(true);
        const third = await runProjection(store, tallies('superseded', 3), FAST);
        try {
          await until(async () => (await projectionStatus(store))[0]!.version === 3, 'version 3 is what readers see', 30_000);
          expect(await tableExists(store.sql!, 'superseded_g2')).toBe(false);
          expect(await store.consumers.get(consumerNameOf('superseded', 2))).toBeUndefined();
          expect((await projectionStatus(store))[0]).toMatchObject({ generation: 3, rebuilding: null });
          expect(await tallyRows(store, 'superseded')).toEqual(expectedTallies(2, 3));
        } finally {
          await third.stop();
        }
      } finally {
        await second.stop();
      }
    });
  });

  it('a document projection is read by id and by field; a search projection ranks matches', async () => {
    await withStore(location('documents-search'), async (store) => {
      await store.append('cart-1', [
        { type: 'ItemAdded', data: { sku: 'boots', customer: { city: 'Lyon' } } },
        { type: 'ItemAdded', data: { sku: 'socks', customer: { city: 'Lyon' } } },
      ]);
      await store.append('cart-2', [{ type: 'ItemAdded', data: { sku: 'hat', customer: { city: 'Oslo' } } }]);
      await store.append('product-1', [{ type: 'ProductListed', data: { title: 'Waterproof hiking boots', description: 'Boots for running on wet trails' } }]);
      await store.append('product-2', [{ type: 'ProductListed', data: { title: 'Wool socks', description: 'Warm socks to wear with boots' } }]);
      const carts = await runProjection(
        store,
        {
          name: 'carts',
          version: 1,
          sink: documentSink(),
          handlers: {
            ItemAdded: async (event, documents: DocumentsContext) => {
              const data = event.data as { sku: string; customer: { city: string } };
              const current = (await documents.get(event.stream)) as { items?: string[] } | undefined;
              await documents.put(event.stream, { items: [...(current?.items ?? []), data.sku], customer: data.customer });
            },
          },
        },
        FAST,
      );
      const products = await runProjection(
        store,
        {
          name: 'products',
          version: 1,
          sink: searchSink(),
          handlers: {
            ProductListed: (event, index: SearchContext) => {
              const data = event.data as { title: string; description: string };
              return index.index(event.stream, { title: data.title, body: data.description });
            },
          },
        },
        FAST,
      );
      try {
        await caughtUp(store, 'carts');
        await caughtUp(store, 'products');
        expect(await getDocument(store, 'carts', 'cart-1')).toEqual({ items: ['boots', 'socks'], customer: { city: 'Lyon' } });
        expect((await findDocuments(store, 'carts', { 'customer.city': 'Oslo' })).map((found) => found.id)).toEqual(['cart-2']);
        const hits = await searchProjection(store, 'products', 'boots');
        // the title match ranks first; "run" finds "running" by its stem
        expect(hits.map((hit) => hit.id)).toEqual(['product-1', 'product-2']);
        expect((await searchProjection(store, 'products', 'run')).map((hit) => hit.id)).toEqual(['product-1']);
        await expect(searchProjection(store, 'carts', 'boots')).rejects.toSatisfy((error) => isTributaryError(error, 'PROJECTION_CONFLICT'));
      } finally {
        await carts.stop();
        await products.stop();
      }
    });
  });

  it('a lake projection rolls Parquet files that DuckDB reads back; run again, it goes on without a repeated row', async () => {
    await withStore(location('lake'), async (store) => {
      const directory = join(scratch, `lake-${store.sql!.dialect.name}`);
      const events = { name: 'events', version: 1, sink: lakeSink({ directory, rollRows: 7, rollMs: 50 }), handlers: { '*': writeEvent } };
      for (let i = 0; i < 20; i++) await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { sku: `s${i % 2}`, qty: i } }]);
      await store.append('inventory-s0', [{ type: 'Stocked', data: { sku: 's0', onHand: 5 } }]);
      const first = await runProjection(store, events, FAST);
      await caughtUp(store, 'events');
      await first.stop();
      for (let i = 0; i < 5; i++) await store.append(`order-x${i}`, [{ type: 'OrderPlaced', data: { sku: 's1', qty: 1 } }]);
      await store.append('inventory-s1', [{ type: 'Stocked', data: { sku: 's1', onHand: 9 } }]);
      const second = await runProjection(store, events, FAST);
      await caughtUp(store, 'events');
      await second.stop();
      const { rows: counts } = await queryLakes(store, 'SELECT category, count(*) AS n, count(DISTINCT position) AS positions FROM events GROUP BY 1 ORDER BY 1');
      expect(counts).toEqual([
        { category: 'inventory', n: 2, positions: 2 },
        { category: 'order', n: 25, positions: 25 },
      ]);
      const { rows: joined } = await queryLakes(
        store,
        `SELECT o.data->>'sku' AS sku, sum(CAST(o.data->>'qty' AS INTEGER)) AS ordered, max(CAST(i.data->>'onHand' AS INTEGER)) AS on_hand
         FROM events o JOIN events i ON i.category = 'inventory' AND (i.data->>'sku') = (o.data->>'sku') WHERE o.category = 'order' GROUP BY 1 ORDER BY 1`,
      );
      // s0: qty 0+2+…+18 = 90; s1: 1+3+…+19 = 100, plus five of 1
      expect(joined).toEqual([
        { sku: 's0', ordered: 90, on_hand: 5 },
        { sku: 's1', ordered: 105, on_hand: 9 },
      ]);

      // rows still buffered when it stops are rolled then, and the checkpoint follows them, so a restart reads nothing again
      const late = await store.append('order-late', [{ type: 'OrderPlaced', data: { sku: 's0', qty: 1 } }]);
      const buffering = { ...events, sink: lakeSink({ directory, rollRows: 1_000, rollMs: 600_000 }) };
      const third = await runProjection(store, buffering, FAST);
      const consumer = consumerNameOf('events', 1);
      await until(async () => ((await consumerStatus(store, [consumer]))[0]?.members[0]?.position ?? 0) >= late.position, 'the event is buffered', 10_000);
      await third.stop();
      expect((await store.consumers.get(consumer))!.partitions[0]!.checkpoint).toBe(late.position);
      expect(await queryLakes(store, 'SELECT count(*) AS n FROM events')).toEqual({ rows: [{ n: 28 }], truncated: false });
    });
  });

  it('a lake handler that fails halfway through an event leaves none of its rows behind; its retry writes them once', async () => {
    await withStore(location('lake-retry'), async (store) => {
      const directory = join(scratch, `lake-retry-${store.sql!.dialect.name}`);
      await store.append('order-1', [{ type: 'OrderPlaced', data: {} }, { type: 'OrderPlaced', data: {} }]);
      let failed = false;
      const halves = {
        name: 'halves',
        version: 1,
        sink: lakeSink({ directory, columns: [{ name: 'part', type: 'VARCHAR' as const }], rollMs: 50 }),
        handlers: {
          OrderPlaced: (event: RecordedEvent, lake: LakeContext) => {
            lake.write({ part: `${event.position}a` });
            if (event.position === 2 && !failed) {
              failed = true;
              throw new Error('the second half is not ready');
            }
            lake.write({ part: `${event.position}b` });
          },
        },
      };
      await buildOnce(store, halves);
      expect(failed).toBe(true);
      expect(await queryLakes(store, 'SELECT part FROM halves ORDER BY part')).toEqual({ rows: ['1a', '1b', '2a', '2b'].map((part) => ({ part })), truncated: false });
    });
  });

  it('a declared table projection upserts the mapped fields by key, deletes on its delete types, and refuses a changed file at the same version', async () => {
    await withStore(location('declared'), async (store) => {
      const file = {
        name: 'order_rows',
        version: 1,
        sink: 'table',
        categories: ['order'],
        key: 'data.orderId',
        fields: { customer: 'data.customer', total: 'data.total', status: 'type' },
        columns: { total: 'real' },
        delete: ['OrderCancelled'],
      };
      await addDeclaredProjection(store, file);
      await store.append('order-1', [
        { type: 'OrderPlaced', data: { orderId: 'A', customer: 'Ada', total: 12.5 } },
        { type: 'OrderShipped', data: { orderId: 'A' } },
      ]);
      await store.append('order-2', [
        { type: 'OrderPlaced', data: { orderId: 'B', customer: 'Bob', total: 3 } },
        { type: 'OrderCancelled', data: { orderId: 'B' } },
      ]);
      const second = { ...file, version: 2, fields: { customer: 'data.customer', status: 'type' }, columns: {} };
      const running = await runDeclaredProjections(store, FAST);
      const orderRows = () => store.sql!.query<Record<string, unknown>>('SELECT * FROM order_rows ORDER BY key');
      try {
        expect(running.names).toEqual(['order_rows']);
        await caughtUp(store, 'order_rows');
        expect((await orderRows()).map((row) => ({ ...row, total: Number(row.total) }))).toEqual([{ key: 'A', customer: 'Ada', total: 12.5, status: 'OrderShipped' }]);
        // added while it runs: a new file starts, a higher version rebuilds with the new mapping
        await addDeclaredProjection(store, { name: 'customers', version: 1, sink: 'documents', categories: ['order'], key: 'data.customer', fields: { last: 'data.orderId' } });
        await addDeclaredProjection(store, second);
        await until(() => running.names.length === 2, 'the new file runs', 10_000);
        await caughtUp(store, 'customers');
        expect(await getDocument(store, 'customers', 'Bob')).toEqual({ last: 'B' });
        await until(async () => (await projectionStatus(store)).find((status) => status.name === 'order_rows')?.version === 2, 'version 2 is live', 30_000);
        expect(await orderRows()).toEqual([{ key: 'A', customer: 'Ada', status: 'OrderShipped' }]);
      } finally {
        await running.stop();
      }
      // removed while a host still runs it, a projection from a file stays removed
      const lone = await runProjection(store, declaredProjection(second), { ...FAST, declared: second });
      await removeProjection(store, 'order_rows');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await projectionStatus(store)).map((status) => status.name)).toEqual(['customers']);
      expect(lone.generations).toEqual([]);
      await lone.stop();
      await addDeclaredProjection(store, second);
      await expect(addDeclaredProjection(store, { ...file, version: 2, fields: { ...file.fields, note: 'data.note' } })).rejects.toSatisfy((error) =>
        isTributaryError(error, 'PROJECTION_CONFLICT'),
      );
      await expect(addDeclaredProjection(store, { ...file, name: 'bad', fields: { total: 'data total' } })).rejects.toSatisfy(
        (error) => isTributaryError(error, 'INVALID_PROJECTION') && error.details['field'] === 'fields.total',
      );
      await expect(addDeclaredProjection(store, { ...file, name: 'bad', sink: 'elastic' })).rejects.toSatisfy((error) =>
        isTributaryError(error, 'INVALID_PROJECTION'),
      );
    });
  });

  it('an inline projection builds from history, then changes with each append itself; a rebuild during appends ends like a fresh build', async () => {
    await withStore(location('inline'), async (store) => {
      const balances = (name: string): ProjectionDefinition<DocumentsContext> => ({
        name,
        version: 1,
        sink: documentSink(),
        handlers: {
          Deposited: async (event, documents) => {
            const amount = (event.data as { amount: number }).amount;
            if (amount < 0) throw new Error('a deposit is never negative');
            const current = ((await documents.get(event.stream)) as { balance: number } | undefined)?.balance ?? 0;
            await documents.put(event.stream, { balance: current + amount });
          },
        },
      });
      const expected = new Map<string, number>();
      const deposit = async (stream: string, amount: number) => {
        await store.append(stream, [{ type: 'Deposited', data: { amount } }]);
        expected.set(stream, (expected.get(stream) ?? 0) + amount);
      };
      const balanceOf = async (stream: string) => ((await getDocument(store, 'balances', stream)) as { balance: number } | undefined)?.balance;
      // history from before the projection existed: its consumer builds it
      for (let i = 0; i < 30; i++) await deposit(`account-${i % 3}`, i + 1);
      const running = await runProjection(store, balances('balances'), { ...FAST, inline: true });
      try {
        await caughtUp(store, 'balances');
        // from now on the document commits with the append: no wait
        await deposit('account-0', 1_000);
        expect(await balanceOf('account-0')).toBe(expected.get('account-0'));
        const head = await store.headPosition();
        await expect(store.append('account-0', [{ type: 'Deposited', data: { amount: -1 } }])).rejects.toThrow('never negative');
        expect(await store.headPosition()).toBe(head);
        expect(await balanceOf('account-0')).toBe(expected.get('account-0'));

        // appends during the rebuild feed both generations; neither applies an event twice
        const appending = (async () => {
          for (let k = 0; k < 40; k++) await deposit(`account-${k % 3}`, 1);
        })();
        expect((await requestRebuild(store, 'balances')).generation).toBe(2);
        await until(async () => (await projectionStatus(store))[0]!.generation === 2, 'the rebuild switches readers over', 60_000);
        await appending;
        await deposit('account-1', 5);
        expect(await balanceOf('account-1')).toBe(expected.get('account-1'));
        expect(await tableExists(store.sql!, 'balances_g2')).toBe(true);
      } finally {
        await running.stop();
      }
      await buildOnce(store, balances('fresh_balances'));
      const everything = await findDocuments(store, 'balances', {});
      expect(everything).toEqual(await findDocuments(store, 'fresh_balances', {}));
      expect(everything).toEqual([...expected].sort().map(([id, balance]) => ({ id, doc: { balance } })));
      await expect(runProjection(store, balances('balances'))).rejects.toSatisfy((error) => isTributaryError(error, 'PROJECTION_CONFLICT'));
      // removed, it can come back in the other mode, built again from the first event
      await removeProjection(store, 'balances');
      for (const table of ['balances', 'balances_g1', 'balances_g2']) expect(await tableExists(store.sql!, table)).toBe(false);
      expect(await store.consumers.get(consumerNameOf('balances', 2))).toBeUndefined();
      await buildOnce(store, balances('balances'));
      expect(await findDocuments(store, 'balances', {})).toEqual(everything);
    });
  });
});

it('a remote store hosts no projection tables: PROJECTION_UNSUPPORTED', async () => {
  const store = await openStore('http://127.0.0.1:9');
  try {
    await expect(runProjection(store, tallies('remote'))).rejects.toSatisfy((error) => isTributaryError(error, 'PROJECTION_UNSUPPORTED'));
  } finally {
    await store.close();
  }
});
