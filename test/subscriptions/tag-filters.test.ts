import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import type { EventData, RecordedEvent } from '../../src/core/event.js';
import type { EventStore } from '../../src/store/event-store.js';
import { startConsumer } from '../../src/subscriptions/consumer.js';
import type { ConsumerOptions } from '../../src/subscriptions/consumer-options.js';
import { subscribeToAll, type SubscriptionMessage } from '../../src/subscriptions/log-subscription.js';
import { until } from './processes.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-tag-filters-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let stores = 0;
async function withStore(work: (store: EventStore) => Promise<void>): Promise<void> {
  const store = await openStore(join(folder, `store-${++stores}.db`));
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

const booked = (room: number, ...tags: string[]): EventData => ({ type: 'RoomBooked', data: { room }, tags: [`room:${room}`, ...tags] });
const noted = (n: number): EventData => ({ type: 'RoomBooked', data: { n } });

const QUICK: Partial<ConsumerOptions> = { checkpointMs: 50, heartbeatMs: 50, leaseMs: 1_000, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 } };

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toSatisfy((error) => isTributaryError(error) && error.code === code);
}

describe('tag filters on SQLite', () => {
  it('a subscription filtered by tags delivers exactly the events carrying them all, in history and live', async () => {
    await withStore(async (store) => {
      await store.append('booking-1', [booked(7, 'hotel:1'), noted(1), booked(8, 'hotel:1')]);
      await store.append('booking-2', [booked(7), booked(7, 'hotel:1')]);
      const controller = new AbortController();
      const seen: SubscriptionMessage[] = [];
      for await (const message of subscribeToAll(store, { tags: ['hotel:1', 'room:7'], pageSize: 2, signal: controller.signal })) {
        seen.push(message);
        if (message.kind === 'caught-up') {
          await store.append('booking-3', [noted(2), booked(7), booked(9, 'hotel:1')]);
          await store.append('booking-4', [booked(7, 'hotel:1', 'vip')]);
        }
        if (message.kind === 'event' && message.event.stream === 'booking-4') break;
      }
      const events = seen.flatMap((message) => (message.kind === 'event' ? [message.event] : []));
      expect(events.map((event) => [event.stream, event.position])).toEqual([['booking-1', 1], ['booking-2', 5], ['booking-4', 9]]);
      expect(events.at(-1)!.tags).toEqual(['room:7', 'hotel:1', 'vip']);
      expect(seen.findIndex((message) => message.kind === 'caught-up')).toBe(2);
    });
  });

  it('a consumer and a consumer group filtered by tags handle exactly the tagged events, with their tags', async () => {
    await withStore(async (store) => {
      await store.append('booking-1', [booked(7), noted(1), booked(8)]);
      const handled: Record<string, RecordedEvent[]> = { lone: [], group: [] };
      const consumers = await Promise.all(
        [
          { name: 'lone', group: undefined },
          { name: 'group', group: { partitions: 3 } },
        ].map(({ name, group }) =>
          startConsumer(store, { ...QUICK, name, group, filter: { tags: ['room:7'] }, handler: (event) => void handled[name]!.push(event) }),
        ),
      );
      try {
        await store.append('booking-2', [noted(2), booked(7, 'hotel:1'), booked(9)]);
        for (const name of ['lone', 'group']) {
          await until(() => handled[name]!.length === 2, `${name} handled both bookings of room 7`, 10_000);
        }
        const head = await store.headPosition();
        for (const consumer of consumers) await until(() => consumer.position >= head, 'the consumers passed the head', 10_000);
        for (const name of ['lone', 'group']) {
          expect(handled[name]!.map((event) => [event.position, event.tags])).toEqual([
            [1, ['room:7']],
            [5, ['room:7', 'hotel:1']],
          ]);
        }
      } finally {
        for (const consumer of consumers) await consumer.stop();
      }
    });
  });

  it('a consumer reopened with other tags is a conflict; the same tags in another order, or none where none were stored, are not', async () => {
    await withStore(async (store) => {
      const register = (name: string, filter: object) => store.consumers.register({ name, partitions: 1, startAt: 0, filter });
      await register('rooms', { types: ['RoomBooked'], tags: ['room:7', 'hotel:1'] });
      await register('rooms', { types: ['RoomBooked'], tags: ['hotel:1', 'room:7'] });
      await expectCode(register('rooms', { types: ['RoomBooked'], tags: ['room:7'] }), 'CONSUMER_CONFLICT');
      await expectCode(register('rooms', { types: ['RoomBooked'] }), 'CONSUMER_CONFLICT');
      await expectCode(register('rooms', { types: ['RoomBooked'], tags: ['room:7', 'hotel:2'] }), 'CONSUMER_CONFLICT');
      const started = startConsumer(store, { ...QUICK, name: 'rooms', filter: { types: ['RoomBooked'], tags: ['room:8'] }, handler: () => undefined });
      await expectCode(started, 'CONSUMER_CONFLICT');
      expect((await store.consumers.get('rooms'))?.filter).toEqual({ types: ['RoomBooked'], tags: ['room:7', 'hotel:1'] });

      // a row stored before tags existed holds no tags key at all
      await register('orders', { categories: ['order'] });
      await register('orders', { categories: ['order'], tags: [] });
      await expectCode(register('orders', { categories: ['order'], tags: ['customer:42'] }), 'CONSUMER_CONFLICT');
      const consumer = await startConsumer(store, { ...QUICK, name: 'orders', filter: { categories: ['order'] }, handler: () => undefined });
      await consumer.stop();
    });
  });

  it('a malformed tag in a consumer filter is refused with INVALID_TAG before anything is registered', async () => {
    await withStore(async (store) => {
      for (const tags of [[''], ['a\u0000b'], ['x'.repeat(257)], ['same', 'same'], 'room:7']) {
        const filter = { tags } as unknown as { tags: string[] };
        await expectCode(store.consumers.register({ name: 'bad', partitions: 1, startAt: 0, filter }), 'INVALID_TAG');
        await expectCode(startConsumer(store, { name: 'bad', filter, handler: () => undefined }), 'INVALID_TAG');
      }
      expect(await store.consumers.get('bad')).toBeUndefined();
    });
  });
});
