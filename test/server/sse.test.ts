import { describe, expect, it } from 'vitest';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';


describe('live subscriptions over server-sent events (real sockets)', () => {
  it('sends a stream’s history, a caught-up marker, then live events; resumes from Last-Event-ID', async () => {
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      await store.append('cart-1', [{ type: 'Added', data: { n: 1 } }, { type: 'Added', data: { n: 2 } }]);
      await store.append('cart-2', [{ type: 'Added', data: {} }]);
      const client = await SseClient.open(`${base}/streams/cart-1/subscribe?after=0`);
      expect(client.status).toBe(200);
      await client.until((c) => c.messages.some((m) => m.event === 'caught-up'), 'caught up');
      await store.append('cart-1', [{ type: 'Removed', data: {} }]);
      await client.until((c) => c.events.length === 3, 'the live event arrives');
      expect(client.events.map((e) => [e.id, e.event['type'], e.event['revision']])).toEqual([
        ['1', 'Added', 0],
        ['2', 'Added', 1],
        ['4', 'Removed', 2],
      ]);
      const caughtUp = client.messages.find((m) => m.event === 'caught-up')!;
      expect(caughtUp).toMatchObject({ id: '3', data: '{"position":3}' });
      client.close();

      const resumed = await SseClient.open(`${base}/streams/cart-1/subscribe?after=0`, { 'last-event-id': '2' });
      await resumed.until((c) => c.messages.some((m) => m.event === 'caught-up'), 'caught up');
      expect(resumed.events.map((e) => e.id)).toEqual(['4']);
      resumed.close();
    });
  });

  it('follows the filtered global log from the head by default, with heartbeat comments', async () => {
    await withServer({ sse: { heartbeatMs: 50 } }, async ({ app, store }) => {
      const base = await listening(app);
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      const client = await SseClient.open(`${base}/all/subscribe?category=order`);
      await client.until((c) => c.messages.some((m) => m.event === 'caught-up'), 'caught up');
      await store.append('stock-1', [{ type: 'Reserved', data: {} }]);
      await store.append('order-2', [{ type: 'Placed', data: {} }]);
      await client.until((c) => c.events.length === 1 && c.messages.some((m) => m.comment === 'heartbeat'), 'the order event and a heartbeat');
      expect(client.events[0]!.event).toMatchObject({ stream: 'order-2', position: 3 });
      client.close();
    });
  });

  it('cuts off a subscriber that stops reading with SUBSCRIBER_TOO_SLOW, while another keeps up', async () => {
    await withServer({ sse: { heartbeatMs: 300, maxBufferedBytes: 64 * 1024 } }, async ({ app, store }) => {
      const base = await listening(app);
      const slow = await SseClient.open(`${base}/all/subscribe?after=0`);
      const fast = await SseClient.open(`${base}/all/subscribe?after=0`);
      await slow.until((c) => c.messages.some((m) => m.event === 'caught-up'), 'the slow one is live');
      slow.pause();
      const padding = 'x'.repeat(4_000);
      // 20 MB: more than the kernel's socket buffers can hold (the sender's grows to 4 MB here), so the server's own buffer must fill
      for (let i = 0; i < 1000; i++) await store.append(`load-${i % 5}`, Array.from({ length: 5 }, () => ({ type: 'Big', data: { padding } })));
      await fast.until((c) => c.events.length === 5000, 'the fast subscriber has every event', 60_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      slow.resume();
      await slow.until((c) => c.ended, 'the slow subscriber is cut off', 20_000);
      const last = slow.messages.at(-1)!;
      expect(last.event).toBe('error');
      expect(JSON.parse(last.data!)).toMatchObject({ error: { code: 'SUBSCRIBER_TOO_SLOW' } });
      expect(slow.events.length).toBeLessThan(5000);
      fast.close();
    });
  });

  it('ends live streams when the server closes, so shutdown never hangs on them', async () => {
    await withServer({}, async ({ app }) => {
      const base = await listening(app);
      const client = await SseClient.open(`${base}/all/subscribe`);
      await client.until((c) => c.messages.some((m) => m.event === 'caught-up'), 'caught up');
      const started = Date.now();
      await app.close();
      await client.until((c) => c.ended, 'the stream ends');
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});
