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
