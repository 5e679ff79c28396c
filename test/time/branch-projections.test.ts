import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { openScratchStore } from '../../src/open/scratch-store.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import type { EventStore } from '../../src/store/event-store.js';
import { replayProjection } from '../../src/time/replay.js';
import { backends } from '../support/backends.js';
import { appendOrders, ordersTable } from './order-fixtures.js';

type Row = { order_id: string; status: string };

describe.each(backends)('a projection on a branch of a $name store', ({ name: backend, location }) => {
  it("changes with the branch's events, while the live projection and the real log see none of them", async () => {
    const store = await openStore(location(`branch-projections-${backend}`));
    const running = await runProjection(store, ordersTable(), { watchMs: 50 });
    const scratch = await openScratchStore();
    try {
      // o0 and o2 placed, o1 placed and shipped: positions 1 to 4
      await appendOrders(store, 0, 3);
      await store.branches!.create('late-supplier', { at: 2 });
      const late = store.branch!('late-supplier');
      // on the branch o1 was never shipped: it is cancelled instead, and o7 is placed
      await late.append('order-1', [{ type: 'OrderCancelled', data: { orderId: 'o1' } }], { expectedRevision: 0 });
      await late.append('order-7', [{ type: 'OrderPlaced', data: { orderId: 'o7', total: 70, customer: 'c1' } }], { expectedRevision: 'no_stream' });
      // a real event after the branch's: once the live projection has it, it has passed the time of the branch's appends
      await store.append('order-2', [{ type: 'OrderShipped', data: { orderId: 'o2', carrier: 'dhl' } }]);
      const head = await store.headPosition();
      await until(async () => (await rows(store)).some((row) => row.order_id === 'o2' && row.status === 'shipped'));

      expect(await rows(store)).toEqual([
        { order_id: 'o0', status: 'placed' },
        { order_id: 'o1', status: 'shipped' },
        { order_id: 'o2', status: 'shipped' },
      ]);
      expect(head).toBe(5);
      const { events } = await store.readAll({ limit: 100 });
      expect(events.map((event) => `${event.position}:${event.stream}:${event.type}`)).toEqual([
        '1:order-0:OrderPlaced',
        '2:order-1:OrderPlaced',
        '3:order-1:OrderShipped',
        '4:order-2:OrderPlaced',
        '5:order-2:OrderShipped',
      ]);

      // the branch: the real log up to position 2, then its own two events
      await replayProjection(late, ordersTable(), { into: scratch.store });
      expect(await rows(scratch.store)).toEqual([
        { order_id: 'o0', status: 'placed' },
        { order_id: 'o7', status: 'placed' },
      ]);
      expect(await rows(store)).toHaveLength(3);
    } finally {
      await running.stop();
      await scratch.dispose();
      await store.close();
    }
  });
});

async function rows(store: EventStore): Promise<Row[]> {
  const found = await store.sql!.query<Row>('SELECT order_id, status FROM orders ORDER BY order_id');
  return found.map(({ order_id, status }) => ({ order_id, status }));
}

async function until(condition: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // the view appears when the first generation is published
    }
    if (Date.now() > deadline) throw new Error('the live projection did not catch up');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
