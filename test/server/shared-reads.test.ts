import { expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { sharedReads } from '../../src/server/shared-reads.js';

it('identical reads in one turn share one query; a later turn reads afresh and sees new events', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  try {
    await store.append('order-1', [{ type: 'Placed', data: {} }]);
    let queries = 0;
    const readAll = store.readAll.bind(store);
    store.readAll = (options) => {
      queries++;
      return readAll(options);
    };
    const shared = sharedReads(store);
    const pages = await Promise.all(Array.from({ length: 100 }, () => shared.readAll({ after: 0, limit: 10 })));
    expect(queries).toBe(1);
    expect(pages.every((page) => page.events[0] === pages[0]!.events[0])).toBe(true);
    await shared.readAll({ after: 0, limit: 5 });
    expect(queries).toBe(2);

    await store.append('order-1', [{ type: 'Paid', data: {} }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await shared.readAll({ after: 0, limit: 10 })).events).toHaveLength(2);
    expect(queries).toBe(3);
    expect(pages[0]!.events[0]!.toJsonText()).toBe(pages[1]!.events[0]!.toJsonText());
  } finally {
    await store.close();
  }
});
