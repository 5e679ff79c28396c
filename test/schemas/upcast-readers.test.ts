import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import { openStore } from '../../src/open/open-store.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { tableSink, type TableContext } from '../../src/projections/sinks/table.js';
import type { EventStore } from '../../src/store/event-store.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import { subscribeToAll } from '../../src/subscriptions/log-subscription.js';
import { scratch } from '../support/backends.js';
import { until } from '../support/processes.js';
import { SseClient } from '../server/sse-client.js';
import { listening, withServer } from '../server/support.js';

let files = 0;

/** A store with CustomerJoined in three versions, events written as each, and upcasters 1→2 (stored rules) and 2→3 (a function). */
async function customers(): Promise<EventStore> {
  const store = await openStore(join(scratch, `upcast-${++files}.db`));
  const schemas = store.schemas!;
  await schemas.setCompatibility('CustomerJoined', 'NONE');
  await schemas.register('CustomerJoined', { type: 'object', properties: { name: { type: 'string' } } });
  await store.append('customer-1', [{ type: 'CustomerJoined', data: { name: 'Ada' } }]);
  await schemas.register('CustomerJoined', { type: 'object', properties: { fullName: { type: 'string' } } });
  await store.append('customer-2', [{ type: 'CustomerJoined', data: { fullName: 'Grace' } }]);
  await schemas.register('CustomerJoined', { type: 'object', properties: { fullName: { type: 'string' }, tier: { type: 'string' } } });
  await store.append('customer-3', [{ type: 'CustomerJoined', data: { fullName: 'Barbara', tier: 'gold' } }]);
  await schemas.addUpcaster('CustomerJoined', 1, [{ op: 'rename', path: '/name', to: 'fullName' }]);
  schemas.upcaster('CustomerJoined', 2, (data) => ({ tier: 'standard', ...(data as object) }));
  return store;
}

const LATEST = [
  { fullName: 'Ada', tier: 'standard' },
  { fullName: 'Grace', tier: 'standard' },
  { fullName: 'Barbara', tier: 'gold' },
];

it('a subscription and a consumer see every event as the latest version', async () => {
  const store = await customers();
  const seen: unknown[] = [];
  const subscription = subscribeToAll(store, { categories: ['customer'] });
  for await (const message of subscription) {
    if (message.kind === 'event') seen.push(message.event.data);
    if (seen.length === 3) break;
  }
  expect(seen).toEqual(LATEST);
  const handled: RecordedEvent[] = [];
  const consumer = await startConsumer(store, { name: 'welcome', filter: { categories: ['customer'] }, handler: (event) => void handled.push(event) });
  await until(() => handled.length === 3, 'three events handled');
  await consumer.stop();
  expect(handled.map((event) => event.data)).toEqual(LATEST);
  expect(handled.map((event) => event.metadata['schemaVersion'])).toEqual([3, 3, 3]);
  await store.close();
});

it('a projection rebuild sees upcast events', async () => {
  const store = await customers();
  const names = {
    name: 'customer_names',
    version: 1,
    filter: { categories: ['customer'] },
    sink: tableSink({ schema: (table) => [`CREATE TABLE ${table} (stream TEXT PRIMARY KEY, full_name TEXT, tier TEXT)`] }),
    handlers: {
      CustomerJoined: async (event: RecordedEvent, { tx, table }: TableContext) => {
        const { fullName, tier } = event.data as { fullName?: string; tier?: string };
        await tx.execute(tx.dialect.placeholders(`INSERT INTO ${table} (stream, full_name, tier) VALUES (?, ?, ?)`), [event.stream, fullName ?? null, tier ?? null]);
      },
    },
  };
  const running = await runProjection(store, names, { watchMs: 20 });
  const rows = () => store.sql!.query<{ stream: string; full_name: string; tier: string }>('SELECT stream, full_name, tier FROM customer_names ORDER BY stream');
  const { generation } = await requestRebuild(store, 'customer_names');
  for (;;) {
    const [status] = await projectionStatus(store, ['customer_names']);
    if (status!.generation === generation && status!.position >= 3) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await running.stop();
  expect(await rows()).toEqual(LATEST.map(({ fullName, tier }, i) => ({ stream: `customer-${i + 1}`, full_name: fullName, tier })));
  await store.close();
});

it('HTTP reads and SSE serve the latest version', async () => {
  const store = await customers();
  await withServer({ store }, async ({ app }) => {
    const read = await app.inject({ method: 'GET', url: '/all?category=customer' });
    expect(read.json<{ events: { data: unknown }[] }>().events.map((event) => event.data)).toEqual(LATEST);
    const stream = await app.inject({ method: 'GET', url: '/streams/customer-1' });
    expect(stream.json<{ events: { data: unknown; metadata: unknown }[] }>().events[0]).toMatchObject({ data: LATEST[0], metadata: { schemaVersion: 3 } });
    const base = await listening(app);
    const sse = await SseClient.open(`${base}/all/subscribe?after=0&category=customer`);
    try {
      await sse.until((client) => client.messages.some((message) => message.event === 'caught-up'), 'caught up');
      const data = sse.messages.filter((message) => message.id !== undefined && message.event === 'message').map((message) => (JSON.parse(message.data!) as { data: unknown }).data);
      expect(data).toEqual(LATEST);
    } finally {
      sse.close();
    }
  });
});
