import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import type { EventStore } from '../../src/store/event-store.js';
import { subscribeToAll, subscribeToStream, type SubscriptionMessage } from '../../src/subscriptions/log-subscription.js';
import { event, expectCode, withStore, type StoreHarness } from './harness.js';

/** Collects messages from a subscription until `until` says stop; the subscription is then ended. */
async function collect(
  messages: AsyncGenerator<SubscriptionMessage>,
  until: (seen: SubscriptionMessage[]) => boolean,
): Promise<SubscriptionMessage[]> {
  const seen: SubscriptionMessage[] = [];
  for await (const message of messages) {
    seen.push(message);
    if (until(seen)) break;
  }
  return seen;
}

const eventsOf = (messages: SubscriptionMessage[]): RecordedEvent[] =>
  messages.flatMap((message) => (message.kind === 'event' ? [message.event] : []));

async function appendMany(store: EventStore, stream: string, count: number, type = 'Noted'): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    await store.append(stream, Array.from({ length: Math.min(50, count - i) }, (_, j) => event(type, { n: i + j })));
  }
}

export function subscriptionsContract(harness: StoreHarness): void {
  describe('log subscriptions', () => {
    it('delivers history in pages, marks caught-up at the head, then delivers live appends', async () => {
      await withStore(harness, async (store) => {
        await appendMany(store, 'order-1', 120);
        const controller = new AbortController();
        const messages = subscribeToAll(store, { pageSize: 25, signal: controller.signal });
        const seen = await collect(messages, (all) => {
          if (all.at(-1)?.kind === 'caught-up') void store.append('order-2', [event('Live')]);
          return eventsOf(all).length === 121;
        });
        const caughtUp = seen.findIndex((message) => message.kind === 'caught-up');
        expect(caughtUp).toBe(120);
        expect(seen[caughtUp]).toEqual({ kind: 'caught-up', position: 120 });
        expect(eventsOf(seen).map((e) => e.position)).toEqual(Array.from({ length: 121 }, (_, i) => i + 1));
        expect(eventsOf(seen).at(-1)?.type).toBe('Live');
      });
    });

    it('resumes after a position and applies category and type filters, live as well as in history', async () => {
      await withStore(harness, async (store) => {
        await store.append('order-1', [event('Placed'), event('Shipped')]);
        await store.append('stock-1', [event('Reserved')]);
        await store.append('order-2', [event('Placed')]);
        const messages = subscribeToAll(store, { after: 1, categories: ['order'], types: ['Placed'] });
        const seen = await collect(messages, (all) => {
          if (all.at(-1)?.kind === 'caught-up') {
            void store.append('stock-2', [event('Placed')]).then(() => store.append('order-3', [event('Shipped'), event('Placed')]));
          }
          return eventsOf(all).length === 2;
        });
        expect(eventsOf(seen).map((e) => [e.stream, e.type])).toEqual([
          ['order-2', 'Placed'],
          ['order-3', 'Placed'],
        ]);
      });
    });

    it('has no gap and no duplicate at the seam while another handle appends through the switch to live', async () => {
      await withStore(harness, async (store) => {
        const other = await harness.openAnother(store);
        try {
          await appendMany(store, 'seam-0', 500);
          let appending = true;
          const appender = (async () => {
            for (let i = 1; appending && i <= 400; i++) await other.append(`seam-${i % 7}`, [event('During', { i })]);
          })();
          const seen = await collect(subscribeToAll(store, { pageSize: 64 }), (all) => eventsOf(all).length >= 700);
          appending = false;
          await appender;
          const positions = eventsOf(seen).map((e) => e.position);
          expect(positions).toEqual(Array.from({ length: positions.length }, (_, i) => i + 1));
          expect(seen.filter((message) => message.kind === 'caught-up')).toHaveLength(1);
        } finally {
          await other.close();
        }
      });
    });

    it('follows one stream from a position, waiting for a stream that does not exist yet', async () => {
      await withStore(harness, async (store) => {
        const messages = subscribeToStream(store, 'cart-9');
        const first = await messages.next();
        expect(first.value).toEqual({ kind: 'caught-up', position: 0 });
        await store.append('cart-8', [event('Elsewhere')]);
        await store.append('cart-9', [event('Added'), event('Added')]);
        const live = await collect(messages, (all) => eventsOf(all).length === 2);
        expect(eventsOf(live).map((e) => [e.stream, e.revision])).toEqual([
          ['cart-9', 0],
          ['cart-9', 1],
        ]);
        const resumed = await collect(subscribeToStream(store, 'cart-9', { after: 2 }), (all) => all.at(-1)?.kind === 'caught-up');
        expect(eventsOf(resumed).map((e) => e.revision)).toEqual([1]);
      });
    });

    it('ends a stream subscription with STREAM_DELETED when the stream is tombstoned', async () => {
      await withStore(harness, async (store) => {
        await store.append('cart-1', [event('Added')]);
        await store.tombstoneStream('cart-1');
        await expectCode(subscribeToStream(store, 'cart-1').next(), 'STREAM_DELETED');
      });
    });

    it('returns when its signal aborts while waiting live', async () => {
      await withStore(harness, async (store) => {
        const controller = new AbortController();
        const messages = subscribeToAll(store, { signal: controller.signal });
        expect((await messages.next()).value).toEqual({ kind: 'caught-up', position: 0 });
        const waiting = messages.next();
        setTimeout(() => controller.abort(), 20);
        expect(await waiting).toEqual({ done: true, value: undefined });
      });
    });
  });
}
