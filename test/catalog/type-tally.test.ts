import { expect, it } from 'vitest';
import { typesInCategories } from '../../src/catalog/type-tally.js';
import { sqliteStoresPerTest } from '../support/test-stores.js';

const openStore = sqliteStoresPerTest();

it('counts each type per category, then only what was appended since, and starts over when a scavenge removed events', async () => {
  const store = openStore();
  const tally = async () => (await typesInCategories(store.sql!)).sort((a, b) => `${a.type}/${a.category}`.localeCompare(`${b.type}/${b.category}`));
  await store.append('order-1', [{ type: 'Placed', data: {} }, { type: 'Paid', data: {} }]);
  await store.append('stock-1', [{ type: 'Placed', data: {} }]);
  expect(await tally()).toEqual([
    { type: 'Paid', category: 'order', events: 1, lastPosition: 2 },
    { type: 'Placed', category: 'order', events: 1, lastPosition: 1 },
    { type: 'Placed', category: 'stock', events: 1, lastPosition: 3 },
  ]);

  await store.append('order-2', [{ type: 'Placed', data: {} }]);
  // two catalogs at once: each sees the new event once
  const [first, second] = await Promise.all([tally(), tally()]);
  for (const pairs of [first, second]) {
    expect(pairs.find((pair) => pair.type === 'Placed' && pair.category === 'order')).toEqual({ type: 'Placed', category: 'order', events: 2, lastPosition: 4 });
  }

  await store.deleteStream('order-1');
  await store.scavenge();
  expect(await tally()).toEqual([
    { type: 'Placed', category: 'order', events: 1, lastPosition: 4 },
    { type: 'Placed', category: 'stock', events: 1, lastPosition: 3 },
  ]);
});

it('walks a log longer than one statement in several, with the same counts', async () => {
  const store = openStore();
  const events = Array.from({ length: 1000 }, (_, i) => ({ type: i % 2 === 0 ? 'Even' : 'Odd', data: {} }));
  for (let i = 0; i < 25; i++) await store.append(`order-${i}`, events);
  expect((await typesInCategories(store.sql!)).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
    { type: 'Even', category: 'order', events: 12_500, lastPosition: 24_999 },
    { type: 'Odd', category: 'order', events: 12_500, lastPosition: 25_000 },
  ]);
});
