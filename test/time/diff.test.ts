import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { diffBranches } from '../../src/open/diff-branches.js';
import { openScratchStore } from '../../src/open/scratch-store.js';
import { diffSources } from '../../src/time/diff-sources.js';
import type { Scratch } from '../../src/time/scratch.js';
import { backends, scratch } from '../support/backends.js';
import { refusal } from '../support/refusal.js';
import { appendOrders, copyLogUntil, dumpTables, orderDocsFile, orderLake, ordersTable } from './order-fixtures.js';

describe.each(backends)('diffs of projections built from $name sources', ({ name: backend, location }) => {
  it('reports exactly the rows, documents and lake rows one timeline adds, removes and changes; the scratches are deleted', async () => {
    const main = await openStore(location(`diff-main-${backend}`));
    const what = await openStore(location(`diff-what-if-${backend}`));
    const scratches: Scratch[] = [];
    const openScratch = async () => {
      const made = await openScratchStore();
      scratches.push(made);
      return made;
    };
    try {
      await appendOrders(main, 0, 6);
      await copyLogUntil(main, what, await main.headPosition());
      // the what-if: o1 (shipped on main) is cancelled, o5 ships, o6 is placed
      await what.append('order-1', [{ type: 'OrderCancelled', data: { orderId: 'o1' } }]);
      await what.append('order-5', [{ type: 'OrderShipped', data: { orderId: 'o5', carrier: 'ups' } }]);
      await what.append('order-6', [{ type: 'OrderPlaced', data: { orderId: 'o6', total: 60, customer: 'c0' } }]);
      const before = await dumpTables(main);

      const table = await diffSources(main, what, ordersTable(), { openScratch });
      expect(table.keyedBy).toEqual(['order_id']);
      const row = (orderId: string, status: string, total: number, customer: string) => ({ order_id: orderId, status, total, customer });
      expect(normalized(table.added)).toEqual([{ key: { order_id: 'o6' }, value: row('o6', 'placed', 60, 'c0') }]);
      expect(normalized(table.removed)).toEqual([{ key: { order_id: 'o1' }, value: row('o1', 'shipped', 10, 'c1') }]);
      expect(normalized(table.changed)).toEqual([{ key: { order_id: 'o5' }, before: row('o5', 'placed', 50, 'c2'), after: row('o5', 'shipped', 50, 'c2') }]);

      const documents = await diffSources(main, what, orderDocsFile, { openScratch });
      expect(documents).toMatchObject({
        keyedBy: ['id'],
        added: [{ key: 'order-6', value: { orderId: 'o6', total: 60, customer: 'c0' } }],
        removed: [{ key: 'order-1', value: { orderId: 'o1', total: 10, customer: 'c1', carrier: 'ups' } }],
        changed: [{ key: 'order-5', before: { orderId: 'o5', total: 50, customer: 'c2' }, after: { orderId: 'o5', total: 50, customer: 'c2', carrier: 'ups' } }],
      });

      const searchFile = { name: 'order_search', version: 1, sink: 'search', categories: ['order'], fields: { title: 'data.orderId', body: 'data.carrier' }, delete: ['OrderCancelled'] };
      expect(await diffSources(main, what, searchFile, { openScratch })).toEqual({
        projection: 'order_search',
        sink: 'search',
        keyedBy: ['id'],
        added: [{ key: 'order-6', value: { title: 'o6' } }],
        removed: [{ key: 'order-1', value: { title: 'o1', body: 'ups' } }],
        changed: [{ key: 'order-5', before: { title: 'o5' }, after: { title: 'o5', body: 'ups' } }],
        truncated: false,
      });

      const lake = await diffSources(main, what, orderLake(join(scratch, `never-${backend}`)), { openScratch });
      expect(lake.keyedBy).toBeNull();
      expect(lake.removed).toEqual([]);
      expect(lake.changed).toEqual([]);
      expect(lake.added.map(({ value }) => value as Record<string, unknown>).map(({ order_id, type, total }) => ({ order_id, type, total }))).toEqual([
        { order_id: 'o1', type: 'OrderCancelled', total: null },
        { order_id: 'o5', type: 'OrderShipped', total: null },
        { order_id: 'o6', type: 'OrderPlaced', total: 60 },
      ]);

      expect(await dumpTables(main)).toEqual(before);
      expect(scratches.length).toBe(8);
      for (const made of scratches) expect(existsSync(made.lakeDirectory.replace(/lake$/, ''))).toBe(false);
    } finally {
      for (const store of [main, what]) await store.close();
    }
  });

  it('diffBranches replays main and real branches of the store, and refuses bad and unknown names', async () => {
    const store = await openStore(location(`diff-names-${backend}`));
    try {
      await appendOrders(store, 0, 3);
      await store.branches!.create('late', { at: await store.headPosition() });
      await store.branches!.create('early', { at: 2 });
      await store.branch!('late').append('order-0', [{ type: 'OrderShipped', data: { orderId: 'o0', carrier: 'dhl' } }]);
      await store.append('order-9', [{ type: 'OrderPlaced', data: { orderId: 'o9', total: 90, customer: 'c0' } }]);
      const before = await dumpTables(store);
      const late = await diffBranches(store, ordersTable(), 'main', 'late');
      expect(late).toMatchObject({ added: [], removed: [{ key: { order_id: 'o9' } }], changed: [{ key: { order_id: 'o0' } }] });
      // forked at 2: o0 and o1 placed, o1 not yet shipped
      const early = await diffBranches(store, ordersTable(), 'early', 'main');
      expect(early.added.map(({ key }) => key)).toEqual([{ order_id: 'o2' }, { order_id: 'o9' }]);
      expect(early.changed.map(({ key }) => key)).toEqual([{ order_id: 'o1' }]);
      expect(await diffBranches(store, ordersTable(), 'main', 'main')).toMatchObject({ added: [], removed: [], changed: [] });
      expect(await refusal(diffBranches(store, ordersTable(), 'main', 'Bad Name'))).toMatchObject({ code: 'INVALID_BRANCH_NAME' });
      expect(await refusal(diffBranches(store, ordersTable(), 'missing', 'main'))).toMatchObject({ code: 'BRANCH_NOT_FOUND' });
      expect(await dumpTables(store)).toEqual(before);
    } finally {
      await store.close();
    }
  });
});

/** Numbers as numbers: PostgreSQL answers REAL columns as numbers, SQLite too, but keep the comparison honest either way. */
function normalized<T>(entries: T[]): T {
  return JSON.parse(JSON.stringify(entries), (_key, value: unknown) => (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value)) as T;
}
