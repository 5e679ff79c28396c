import { expect, it } from 'vitest';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';

it('GET /all/subscribe follows only the tagged events, on a feed of its own', async () => {
  await withServer({}, async ({ app, store }) => {
    await store.append('room-1', [{ type: 'Booked', data: {}, tags: ['room:1'] }]);
    await store.append('room-2', [{ type: 'Booked', data: {}, tags: ['room:2'] }]);
    const base = await listening(app);
    const tagged = await SseClient.open(`${base}/all/subscribe?after=0&tag=room:2`);
    const everything = await SseClient.open(`${base}/all/subscribe?after=0`);
    try {
      const ids = (client: SseClient) => client.messages.filter((message) => message.id !== undefined && message.event === 'message').map((message) => message.id);
      await tagged.until((client) => client.messages.some((message) => message.event === 'caught-up'), 'caught up');
      await everything.until((client) => client.messages.some((message) => message.event === 'caught-up'), 'caught up');
      await store.append('room-2', [{ type: 'Cancelled', data: {}, tags: ['room:2'] }]);
      await store.append('room-1', [{ type: 'Cancelled', data: {}, tags: ['room:1'] }]);
      await everything.until((client) => ids(client).length === 4, 'all four events');
      await tagged.until((client) => ids(client).length >= 2, 'the room:2 events');
      expect(ids(tagged)).toEqual(['2', '3']);
      expect(ids(everything)).toEqual(['1', '2', '3', '4']);
      const data = tagged.messages.find((message) => message.id === '3')?.data;
      expect(JSON.parse(data!)).toMatchObject({ tags: ['room:2'] });
    } finally {
      tagged.close();
      everything.close();
    }
  });
});

it("GET /all/subscribe?tag= with another team's token follows only the events of its own categories, history and live", async () => {
  await withServer({ open: false }, async ({ app, store, token }) => {
    const orders = await token('read:order');
    await store.append('order-1', [{ type: 'Placed', data: {}, tags: ['customer:7'] }]);
    await store.append('payment-1', [{ type: 'Paid', data: {}, tags: ['customer:7'] }]);
    const base = await listening(app);
    const tagged = await SseClient.open(`${base}/all/subscribe?after=0&tag=customer:7`, orders);
    try {
      const ids = () => tagged.messages.filter((message) => message.id !== undefined && message.event === 'message').map((message) => message.id);
      await tagged.until((client) => client.messages.some((message) => message.event === 'caught-up'), 'caught up');
      await store.append('payment-1', [{ type: 'Refunded', data: {}, tags: ['customer:7'] }]);
      await store.append('order-1', [{ type: 'Cancelled', data: {}, tags: ['customer:7'] }]);
      await tagged.until(() => ids().length >= 2, 'the two order events');
      expect(ids()).toEqual(['1', '4']);
    } finally {
      tagged.close();
    }
    const asked = await app.inject({ method: 'GET', url: '/all/subscribe?after=0&tag=customer:7&category=payment', headers: { ...orders, accept: 'text/event-stream' } });
    expect(asked.statusCode).toBe(403);
  });
});
