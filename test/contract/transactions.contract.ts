import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { SqlAccess } from '../../src/store/sql-access.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import { event, expectCode, withStore, type StoreHarness } from './harness.js';

/** `promise`, or a failure that says it was still waiting: a call that would hang fails here instead of timing the test out. */
function promptly<T>(promise: Promise<T>, ms = 3_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The store's SQL access with a `notes` table, or undefined on a store without one. */
async function withNotes(store: EventStore): Promise<SqlAccess | undefined> {
  await store.sql?.transaction((tx) => tx.execute('CREATE TABLE notes (n integer)'));
  return store.sql;
}

/**
 * The rule on every store with SQL access: a write through the store started
 * from inside one of that store's transactions (a `sql.transaction`, a
 * consumer's transaction handler, an inline hook) fails at once with
 * TRANSACTION_REENTRY and writes nothing; reads from inside answer; reads from
 * outside never see a transaction that is still open.
 */
export function transactionsContract(harness: StoreHarness): void {
  describe('transactions', () => {
    it('refuses writes through the store from inside sql.transaction at once; what the transaction wrote through tx commits, and the append works once it returns', async () => {
      await withStore(harness, async (store) => {
        const sql = await withNotes(store);
        if (sql === undefined) return expect(store.consumers.transact).toBeUndefined();
        await store.consumers.register({ name: 'reader', partitions: 1, startAt: 0, filter: {} });
        const calls: Record<string, () => Promise<unknown>> = {
          'store.append': () => store.append('note-1', [event('Noted')]),
          'store.setStreamMetadata': () => store.setStreamMetadata('note-1', { maxCount: 5 }),
          'store.tombstoneStream': () => store.tombstoneStream('note-2'),
          'store.consumers.saveCheckpoints': () => store.consumers.saveCheckpoints('reader', [{ partition: 0, position: 1 }]),
        };
        const refused = await sql.transaction(async (tx) => {
          await tx.execute('INSERT INTO notes (n) VALUES (1)');
          const operations: unknown[] = [];
          for (const call of Object.values(calls)) operations.push((await expectCode(promptly(call()), 'TRANSACTION_REENTRY')).details.operation);
          return operations;
        });
        expect(refused).toEqual(Object.keys(calls));
        expect(await sql.query('SELECT n FROM notes')).toEqual([{ n: 1 }]);
        await expectCode(store.readStream('note-1'), 'STREAM_NOT_FOUND');
        expect((await store.streamInfo('note-2')).deleted).toBe(false);
        expect((await store.consumers.get('reader'))?.partitions[0]?.checkpoint).toBe(0);
        expect((await store.append('note-1', [event('Noted')])).position).toBe(1);
      });
    });

    it('refuses a transaction opened inside another, and the outer one still commits', async () => {
      await withStore(harness, async (store) => {
        const sql = await withNotes(store);
        if (sql === undefined) return expect(store.sql).toBeUndefined();
        const operations = await sql.transaction(async (tx) => {
          await tx.execute('INSERT INTO notes (n) VALUES (1)');
          const nested = await expectCode(promptly(sql.transaction((inner) => inner.execute('INSERT INTO notes (n) VALUES (2)'))), 'TRANSACTION_REENTRY');
          const transact = store.consumers.transact!((inner) => inner.execute('INSERT INTO notes (n) VALUES (3)'), { consumer: 'none', checkpoints: [] });
          const consumer = await expectCode(promptly(transact), 'TRANSACTION_REENTRY');
          return [nested.details.operation, consumer.details.operation];
        });
        expect(operations).toEqual(['store.sql.transaction', 'store.consumers.transact']);
        expect(await sql.query('SELECT n FROM notes')).toEqual([{ n: 1 }]);
      });
    });

    it('refuses an append from a consumer’s transaction handler; the handler’s writes through tx commit with its checkpoint', async () => {
      await withStore(harness, async (store) => {
        const sql = await withNotes(store);
        if (sql === undefined) return expect(store.consumers.transact).toBeUndefined();
        await store.append('order-1', [event('Placed')]);
        const outcomes: string[] = [];
        const consumer = await startConsumer(store, {
          name: 'relay',
          checkpointMs: 50,
          transaction: async (events, tx) => {
            for (const placed of events) {
              await tx.execute(`INSERT INTO notes (n) VALUES (${placed.position})`);
              // the handler catches the refusal, so the batch commits without the append
              outcomes.push(
                await promptly(store.append('shipment-1', [event('Requested')])).then(
                  () => 'appended',
                  (error: unknown) => (isTributaryError(error) ? error.code : String(error)),
                ),
              );
            }
          },
        });
        try {
          await eventually(async () => (await store.consumers.get('relay'))?.partitions[0]?.checkpoint === 1, 'the batch commits');
        } finally {
          await consumer.stop();
        }
        expect(outcomes).toEqual(['TRANSACTION_REENTRY']);
        expect(await sql.query('SELECT n FROM notes')).toEqual([{ n: 1 }]);
        expect(await store.headPosition()).toBe(1);
      });
    });

    it('fails an append whose inline hook appends, and stores nothing of it', async () => {
      await withStore(harness, async (store) => {
        const sql = store.sql;
        if (sql === undefined) return expect(store.sql).toBeUndefined();
        const remove = sql.addInlineHook(async (events) => {
          await store.append('echo-1', events.map(() => event('Echoed')));
        });
        try {
          const refused = await expectCode(promptly(store.append('order-1', [event('Placed')])), 'TRANSACTION_REENTRY');
          expect(refused.details.operation).toBe('store.append');
        } finally {
          remove();
        }
        expect(await store.headPosition()).toBe(0);
        await expectCode(store.readStream('echo-1'), 'STREAM_NOT_FOUND');
        expect((await store.append('order-1', [event('Placed')])).position).toBe(1);
      });
    });

    it('answers reads made from inside a transaction at once', async () => {
      await withStore(harness, async (store) => {
        const sql = await withNotes(store);
        if (sql === undefined) return expect(store.sql).toBeUndefined();
        await store.append('order-1', [event('Placed')]);
        const seen = await sql.transaction(async (tx) => {
          await tx.execute('INSERT INTO notes (n) VALUES (1)');
          return {
            head: await promptly(store.headPosition()),
            log: (await promptly(store.readAll({ after: 0 }))).events.length,
            stream: (await promptly(store.readStream('order-1'))).events.length,
            streams: (await promptly(store.listStreams())).streams.length,
            consumers: await promptly(store.consumers.list()),
            waited: await promptly(store.waitForPosition(0, { timeoutMs: 1_000 })),
            query: await promptly(sql.query('SELECT 1 AS one')),
          };
        });
        expect(seen).toEqual({ head: 1, log: 1, stream: 1, streams: 1, consumers: [], waited: 1, query: [{ one: 1 }] });
      });
    });

    it('never shows a read from outside what an open transaction wrote, even one it rolls back', async () => {
      await withStore(harness, async (store) => {
        const sql = await withNotes(store);
        if (sql === undefined) return expect(store.sql).toBeUndefined();
        await store.append('order-1', [event('Placed')]);
        let open!: () => void;
        const opened = new Promise<void>((resolve) => (open = resolve));
        // chained here, before the transaction: the reads start outside it, the moment it has written
        const reads = opened.then(() =>
          Promise.all([
            store.listStreams(),
            store.listCategories(),
            store.streamInfo('ghost-1'),
            store.headPosition(),
            sql.query<{ n: number }>('SELECT n FROM notes'),
          ]),
        );
        const undone = sql.transaction(async (tx) => {
          // the store's own tables, written behind its back: what a half-done transaction would show
          await tx.execute(`INSERT INTO streams (name, category, last_revision, last_position) VALUES ('ghost-1', 'ghost', 0, 1)`);
          await tx.execute('INSERT INTO notes (n) VALUES (1)');
          open();
          await new Promise((resolve) => setTimeout(resolve, 100));
          throw new Error('undone');
        });
        await expect(undone).rejects.toThrow('undone');
        const [streams, categories, ghost, head, notes] = await promptly(reads);
        expect(streams.streams.map((s) => s.stream)).toEqual(['order-1']);
        expect(categories.map((c) => c.category)).toEqual(['order']);
        expect(ghost.exists).toBe(false);
        expect(head).toBe(1);
        expect(notes).toEqual([]);
      });
    });
  });
}
