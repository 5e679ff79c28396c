import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedEvent } from '../../src/core/event.js';
import { defineProjection, type ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { tableSink, type TableContext } from '../../src/projections/sinks/table.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { Gateway } from '../../src/time/gateway/gateway.js';

/** A currency service on a local port: every call answers a new rate, and counts the calls per event id. */
export interface RateService {
  readonly calls: Map<string, number>;
  readonly total: () => number;
  rate(eventId: string): Promise<number>;
  close(): Promise<void>;
}

export async function startRateService(): Promise<RateService> {
  const calls = new Map<string, number>();
  let served = 0;
  const server: Server = createServer((request, response) => {
    const eventId = new URL(request.url ?? '/', 'http://localhost').searchParams.get('event') ?? '';
    calls.set(eventId, (calls.get(eventId) ?? 0) + 1);
    // the rate moves with every call: a replay that asked again would get another answer
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ rate: 100 + ++served }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    calls,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    async rate(eventId) {
      const response = await fetch(`http://127.0.0.1:${port}/rate?event=${encodeURIComponent(eventId)}`);
      return ((await response.json()) as { rate: number }).rate;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What the priced projection's handlers saw: the table they wrote and `context.replay`, per event. */
export interface Seen {
  table: string;
  stream: string;
  replay: TableContext['replay'];
}

/**
 * Orders priced in euros at the rate the currency service gave when the order
 * was first handled, with a confirmation mail sent once per order.
 */
export function pricedOrders(gateway: Gateway, service: RateService, seen: Seen[], mails: string[], version = 1, key = 'rate', fallback?: number): ProjectionDefinition<unknown> {
  return defineProjection<TableContext>({
    name: 'priced',
    version,
    sink: tableSink({ schema: (t) => [`CREATE TABLE "${t}" (stream TEXT PRIMARY KEY, cents INTEGER NOT NULL)`] }),
    handlers: {
      OrderPlaced: async (event: RecordedEvent, { tx, table, replay }) => {
        seen.push({ table, stream: event.stream, replay });
        const ask = () => service.rate(event.id);
        const rate = await gateway.query(key, ask, fallback === undefined ? undefined : { fallback });
        await gateway.effect('confirmation', () => void mails.push(event.stream));
        const total = (event.data as { total: number }).total;
        await tx.execute(tx.dialect.placeholders(`INSERT INTO "${table}" VALUES (?, ?)`), [event.stream, total * rate]);
      },
    },
  }) as ProjectionDefinition<unknown>;
}

export async function placeOrders(store: EventStore, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { total: 10 * (i + 1) } }]);
}

export async function pricedRows(store: EventStore): Promise<{ stream: string; cents: number }[]> {
  const rows = await store.sql!.query<{ stream: string; cents: number | string }>('SELECT stream, cents FROM priced ORDER BY stream');
  return rows.map(({ stream, cents }) => ({ stream, cents: Number(cents) }));
}

export async function recordingCount(store: EventStore, owner: string): Promise<number> {
  const [row] = await store.sql!.query<{ n: number | string }>(
    store.sql!.dialect.placeholders('SELECT COUNT(*) AS n FROM tributary_gateway_recordings WHERE owner = ?'),
    [owner],
  );
  return Number(row!.n);
}

export async function eventually(condition: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // a view or a record not made yet
    }
    if (Date.now() > deadline) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
