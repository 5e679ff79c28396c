import { describe, expectTypeOf, it } from 'vitest';
import type { EventOf, RecordedEvent } from '../../src/core/event.js';
import { defineProjection } from '../../src/projections/definition/projection.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import type { TableContext } from '../../src/projections/sinks/table.js';
import { tableSink } from '../../src/projections/sinks/table.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { ConsumerOptions } from '../../src/subscriptions/consumer-options.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import { subscribeToAll } from '../../src/subscriptions/log-subscription.js';

// checked by `tsc --noEmit` (npm test's typecheck): each @ts-expect-error fails the build once its line compiles

/** An event map as `tributary schema types` generates it. */
interface OrderEvents {
  OrderPlaced: { orderId: string; total: number };
  'order.cancelled': { orderId: string; reason?: string };
}

describe('an event map types what handlers get', () => {
  it('EventOf narrows data by type, and a field the schema does not have is an error', () => {
    const handle = (e: EventOf<OrderEvents>) => {
      if (e.type === 'OrderPlaced') {
        expectTypeOf(e.data).toEqualTypeOf<{ orderId: string; total: number }>();
        // @ts-expect-error reason is not part of OrderPlaced
        void e.data.reason;
        return undefined;
      }
      expectTypeOf(e.type).toEqualTypeOf<'order.cancelled'>();
      return e.data.reason;
    };
    expectTypeOf(handle).parameter(0).toExtend<RecordedEvent>();
    expectTypeOf<EventOf>().toEqualTypeOf<RecordedEvent>();
  });

  it('consumers, subscriptions and projections take the map once and stay untyped without it', () => {
    const typed: ConsumerOptions<OrderEvents> = {
      name: 'orders',
      handler: (e) => (e.type === 'OrderPlaced' ? e.data.total : e.data.orderId),
      // @ts-expect-error a transaction handler's events are typed too
      transaction: async (events) => void events[0]?.data.missing,
    };
    const untyped: ConsumerOptions = { name: 'anything', handler: (e) => expectTypeOf(e).toEqualTypeOf<RecordedEvent>() };
    const start = (store: EventStore) => [
      startConsumer<OrderEvents>(store, { ...typed, transaction: undefined }),
      startConsumer(store, untyped),
      startConsumer<OrderEvents>(store, {
        name: 'orders-2',
        handler: (e) => {
          // @ts-expect-error total is a number
          if (e.type === 'OrderPlaced') void ((label: string) => label)(e.data.total);
        },
      }),
    ];
    const follow = async (store: EventStore) => {
      for await (const message of subscribeToAll<OrderEvents>(store, { types: ['OrderPlaced', 'order.cancelled'] })) {
        if (message.kind === 'event' && message.event.type === 'order.cancelled') expectTypeOf(message.event.data.reason).toEqualTypeOf<string | undefined>();
      }
    };
    const sink = tableSink({ schema: (table) => [`CREATE TABLE ${table} (id TEXT PRIMARY KEY, total REAL)`] });
    const projection = () =>
      defineProjection<TableContext, OrderEvents>({
        name: 'order_totals',
        version: 1,
        sink,
        handlers: {
          OrderPlaced: (e, { tx, table }) => tx.execute(`INSERT INTO ${table} VALUES (?, ?)`, [e.data.orderId, e.data.total]),
          // @ts-expect-error OrderShipped is not in the map
          OrderShipped: () => undefined,
        },
      });
    const run = (store: EventStore) =>
      runProjection<TableContext, OrderEvents>(store, {
        name: 'cancellations',
        version: 1,
        sink,
        handlers: {
          'order.cancelled': (e, { tx, table }) => tx.execute(`INSERT INTO ${table} VALUES (?, ?)`, [e.data.orderId, e.data.reason ?? null]),
          // @ts-expect-error the catch-all gets the map's events, and neither has a sku
          '*': (e) => void e.data.sku,
        },
      });
    expectTypeOf(run).toBeFunction();
    expectTypeOf(start).toBeFunction();
    expectTypeOf(follow).toBeFunction();
    expectTypeOf(projection).returns.toEqualTypeOf<ReturnType<typeof defineProjection<TableContext>>>();
  });
});
