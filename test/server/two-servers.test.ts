import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { buildServer } from '../../src/server/server.js';
import { throwawayDatabase } from '../support/postgres.js';
import { SseClient } from './sse-client.js';
import { listening } from './support.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());


describe.skipIf(database === undefined)('two servers on one PostgreSQL database', () => {
  it('a subscriber on server B receives at once what is appended through server A', async () => {
    const stores = await Promise.all([0, 1].map(() => openPostgresStore({ url: database!.url, schema: 'shared', poolSize: 4 })));
    const [a, b] = await Promise.all(stores.map((store) => buildServer({ store, open: true })));
    try {
      const [baseA, baseB] = [await listening(a!), await listening(b!)];
      const subscriber = await SseClient.open(`${baseB}/all/subscribe?category=order`);
      await subscriber.until((c) => c.messages.some((m) => m.event === 'caught-up'), 'caught up on B');
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${baseA}/streams/order-${i % 3}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ events: [{ type: 'Placed', data: { i } }] }),
        });
        expect(response.status).toBe(201);
      }
      await subscriber.until((c) => c.events.length === 20, 'B delivers every event appended through A', 5_000);
      expect(subscriber.events.map((e) => (e.event['data'] as { i: number }).i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      const read = await fetch(`${baseB}/all?category=order&limit=100`);
      expect(((await read.json()) as { events: unknown[] }).events).toHaveLength(20);
      subscriber.close();
    } finally {
      await a!.close();
      await b!.close();
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
