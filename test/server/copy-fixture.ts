import type { EventStore } from '../../src/store/event-store.js';
import type { EventRow } from '../../src/store/sql-rows.js';

/** Data whose JSON text a re-encoding would change: escapes, exponents, fractions, nesting and key order. */
const UNUSUAL = [
  { 'z-last': 1, 'a-first': 2, nested: { deep: [1, { b: 2, a: 1 }], empty: {} }, '': 'empty key' },
  { big: 1e21, small: 1e-7, tenth: 0.1, third: 1 / 3, negativeZero: -0, max: Number.MAX_SAFE_INTEGER },
  { text: 'é \u2028 \u2029 \u0000 \u001f "quoted" \\ 😀 \ud83d\ude00 \u200b', key: { 'ключ': 'значение', '鍵': '値' } },
  ['an', 'array', null, true, false, 0],
  'a bare string',
  42,
  null,
];

/** Rows as another store's copy wrote them: text no JSON.stringify makes, which any parse and re-encode on the way would change. */
const RAW_DATA = ' { "z" : 1E21, "a": 0.10, "s": "\\u00e9\\ud83d\\ude00\\/", "n": -0, "deep": {"b": [1,2.50], "a": {}} } ';
export const RAW_ROWS: EventRow[] = [
  [1, '0190f7a4-0000-7000-8000-000000000001', 'order-raw', 0, 'Placed', 1_700_000_000_123, '{"correlationId":"c-1","x":1.50}', RAW_DATA, '["customer:7"]'],
  [2, '0190f7a4-0000-7000-8000-000000000002', 'order-raw', 1, 'Placed', 1_700_000_000_124, null, '[1e2, "\\u2028"]', null],
  [3, '0190f7a4-0000-7000-8000-000000000003', 'order-raw', 2, 'Placed', 1_700_000_000_125, '{}', '"text"', '[]'],
];

/** A store with events of every kind a copy carries: unusual data and metadata, tags, metadata changes, deletes, a tombstone and a scavenge. */
export async function fillForCopy(store: EventStore): Promise<void> {
  // a restored store is writable: its first rows are text as a copy carried it
  await store.copyTarget!.beginCopy('a-store-restored-from', 'elsewhere', 'restored');
  await store.copyTarget!.applyCopy({ position: 0, change: 0 }, { events: RAW_ROWS, changes: [], checkpoint: { position: 3, change: 0 }, head: 3, sourceHead: 3 });
  for (const [i, data] of UNUSUAL.entries()) {
    await store.append('order-kept', [{ type: 'Placed', data, metadata: { correlationId: `c-${i}`, note: data } }]);
  }
  for (const i of [0, 1, 2]) await store.append(`order-${i % 2}`, [{ type: 'Placed', data: { i } }]);
  await store.append('payment-1', [{ type: 'Paid', data: { amount: 10 }, tags: ['customer:7', 'région:ü'] }]);
  await store.append('payment-2', [{ type: 'Paid', data: { amount: 20 } }, { type: 'Refunded', data: { amount: 20 } }]);
  await store.setStreamMetadata('order-0', { maxCount: 1, custom: { 'z': 1, 'a': [0.1, 1e21], owner: 'ordres ☃' } });
  await store.deleteStream('order-1');
  await store.tombstoneStream('payment-2');
  await store.scavenge();
  // a soft-deleted stream written again is live, and its row moved by that append alone
  await store.append('order-1', [{ type: 'Placed', data: { again: true } }]);
  await store.setStreamMetadata('stock-1', { truncateBefore: 3 });
  await store.consumers.register({ name: 'pay-feed', partitions: 2, startAt: 0, filter: { categories: ['payment'] } });
  const [paid] = (await store.readStream('payment-1')).events;
  await store.consumers.park('pay-feed', { position: paid!.position, eventId: paid!.id, stream: 'payment-1', type: 'Paid', error: 'é\u2028', attempts: 2 });
}
