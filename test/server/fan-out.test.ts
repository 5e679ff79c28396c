import { describe, expect, it } from 'vitest';
import { LiveFeeds, type FeedMember } from '../../src/server/live-feeds.js';
import type { SubscriptionMessage } from '../../src/subscriptions/log-subscription.js';
import type { RecordedEvent } from '../../src/core/event.js';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';

const caughtUp = (client: SseClient) => client.messages.some((m) => m.event === 'caught-up');

/** The positions a subscriber must get: every event of `categories` (all when none) after `after`, in order. */
function expected(log: readonly RecordedEvent[], after: number, categories?: string[]): number[] {
  return log.filter((event) => event.position > after && (categories === undefined || categories.includes(event.stream.split('-')[0]!))).map((event) => event.position);
}

describe('live fan-out: subscribers of the same stream or filter share one feed', () => {
  it('50 subscribers at different positions and filters each get their events gap-free, in order, once, while appends go on', async () => {
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      for (let i = 0; i < 40; i++) await store.append(`${i % 2 === 0 ? 'order' : 'stock'}-${i % 7}`, [{ type: 'Before', data: { i } }]);
      const specs = Array.from({ length: 50 }, (_, i) => ({
        categories: i % 3 === 0 ? undefined : i % 3 === 1 ? ['order'] : ['stock'],
        after: i % 5 === 0 ? undefined : (i * 7) % 40,
      }));
      // appends run while the subscribers connect, catch up and join their feeds
      let appending = true;
      let more = 20;
      const appender = (async () => {
        // and go on a little after all are live, so that subscribers from the head get events too
        for (let i = 0; appending || more-- > 0; i++) {
          await store.append(`${i % 3 === 0 ? 'stock' : 'order'}-${i % 11}`, [{ type: 'During', data: { i } }, { type: 'During', data: { i, second: true } }]);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      const clients = await Promise.all(
        specs.map(async (spec) => {
          const query = [spec.after === undefined ? '' : `after=${spec.after}`, ...(spec.categories ?? []).map((c) => `category=${c}`)].filter((q) => q !== '');
          const client = await SseClient.open(`${base}/all/subscribe?${query.join('&')}`);
          await client.until(caughtUp, 'caught up', 30_000);
          return client;
        }),
      );
      const feeds = async () => Number(/^tributary_live_feeds (\d+)$/m.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1]);
      appending = false;
      await appender;
      const head = await store.headPosition();
      const log = (await store.readAll({ limit: 10_000 })).events;
      for (const [i, client] of clients.entries()) {
        const spec = specs[i]!;
        const last = expected(log, 0, spec.categories).at(-1)!;
        await client.until((c) => Number(c.events.at(-1)?.id ?? 0) >= last, `subscriber ${i} reaches ${last} (head ${head})`, 30_000);
        const got = client.events.map((e) => Number(e.id));
        // one that started at the head: gap-free from its first event
        expect(got, `subscriber ${i}`).toEqual(expected(log, spec.after ?? got[0]! - 1, spec.categories));
        expect(client.messages.filter((m) => m.event === 'caught-up')).toHaveLength(1);
        expect(client.events.every((e) => e.event['position'] === Number(e.id))).toBe(true);
      }
      // one feed per filter: all, order, stock
      expect(await feeds()).toBe(3);
      for (const client of clients) client.close();
      await expect.poll(feeds, { timeout: 5_000 }).toBe(0);
    });
  }, 120_000);

  it('a token reading one category shares no feed with wider readers and is refused another team’s category', async () => {
    await withServer({ open: false }, async ({ app, store, token }) => {
      const base = await listening(app);
      const orders = (await token('read:order')).authorization.slice('Bearer '.length);
      const everything = (await token('read:*')).authorization.slice('Bearer '.length);
      const refused = await SseClient.open(`${base}/all/subscribe?category=stock&access_token=${orders}`);
      expect(refused.status).toBe(403);
      const wide = await SseClient.open(`${base}/all/subscribe?access_token=${everything}`);
      const narrow = await SseClient.open(`${base}/all/subscribe?access_token=${orders}`);
      await wide.until(caughtUp, 'caught up');
      await narrow.until(caughtUp, 'caught up');
      await store.append('stock-1', [{ type: 'Reserved', data: {} }]);
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      await wide.until((c) => c.events.length === 2, 'both events');
      await narrow.until((c) => c.events.length === 1, 'the order event');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(narrow.events.map((e) => e.event['stream'])).toEqual(['order-1']);
      wide.close();
      narrow.close();
    });
  });

  it('keeps a bounded window: a member too far behind it starts a feed of its own, and a feed stops once nobody follows it', async () => {
    const feeds = new LiveFeeds(1_000);
    const published: ((message: SubscriptionMessage) => void)[] = [];
    // a subscription that yields what the test pushes
    const open = (after: number, signal: AbortSignal) =>
      (async function* () {
        const queue: SubscriptionMessage[] = [{ kind: 'caught-up', position: after }];
        let wake: () => void = () => undefined;
        published.push((message) => {
          queue.push(message);
          wake();
        });
        while (!signal.aborted) {
          const next = queue.shift();
          if (next !== undefined) yield next;
          else await new Promise<void>((resolve) => ((wake = resolve), signal.addEventListener('abort', () => resolve(), { once: true })));
        }
      })();
    const member = (after: number): FeedMember & { got: number[] } => {
      const got: number[] = [];
      return { after, caughtUpSent: true, got, deliver: (position) => (got.push(position), true), caughtUp: () => undefined, failed: () => undefined };
    };
    const first = member(0);
    const controller = new AbortController();
    void feeds.join('k', first, open, controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    const event = (position: number) => ({ kind: 'event', event: { position, toJsonText: () => 'x'.repeat(200) } }) as unknown as SubscriptionMessage;
    for (let position = 1; position <= 20; position++) published[0]!(event(position));
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.got).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // 20 messages of over 200 bytes: the 1,000-byte window keeps the last few
    expect(feeds.covers('k', 0)).toBe(false);
    expect(feeds.covers('k', 17)).toBe(true);
    const late = member(17);
    const leaving = new AbortController();
    void feeds.join('k', late, open, leaving.signal);
    expect(late.got).toEqual([18, 19, 20]);
    published[0]!(event(21));
    await new Promise((resolve) => setImmediate(resolve));
    expect(late.got).toEqual([18, 19, 20, 21]);
    controller.abort();
    expect(feeds.size).toBe(1);
    leaving.abort();
    expect(feeds.size).toBe(0);
    expect(published).toHaveLength(1);
  });
});
