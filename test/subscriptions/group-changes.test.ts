import { afterEach, expect, it } from 'vitest';
import { openSqliteStore, type SqliteEventStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { startConsumer, type Consumer } from '../../src/subscriptions/consumer.js';
import type { ConsumerOptions } from '../../src/subscriptions/consumer-options.js';
import { FakeConsumerStore } from '../support/fake-consumer-store.js';
import { until } from './processes.js';

// a heartbeat far longer than the join may take: only the store's signal can move the partitions in time
const SLOW_BEATS = { heartbeatMs: 5_000, leaseMs: 20_000, checkpointMs: 5_000 };

let log: SqliteEventStore | undefined;
const consumers: Consumer[] = [];
afterEach(async () => {
  for (const consumer of consumers.splice(0)) await consumer.stop();
  await log?.close();
});

/** The log of an in-memory SQLite store, with `consumers` as its consumer store. */
function storeWith(consumerStore: FakeConsumerStore): EventStore {
  log = openSqliteStore({ path: ':memory:' });
  const target = log;
  return new Proxy(target, {
    get(object, key) {
      if (key === 'consumers') return consumerStore;
      const value = Reflect.get(object, key, object) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

interface Handling {
  member: string;
  stream: string;
  revision: number;
}

/** Members that record each event handled, and fail the test's checks when two handle one stream at once. */
function recorder() {
  const handled: Handling[] = [];
  const inHand = new Map<string, string>();
  const overlaps: string[] = [];
  const options = (member: string): ConsumerOptions => ({
    ...SLOW_BEATS,
    name: 'g',
    group: { partitions: 8 },
    member,
    handler: async (event, context) => {
      const other = inHand.get(event.stream);
      if (other !== undefined) overlaps.push(`${event.stream}: ${other} and ${context.member}`);
      inHand.set(event.stream, context.member);
      handled.push({ member: context.member, stream: event.stream, revision: event.revision });
      await new Promise((resolve) => setTimeout(resolve, 1));
      inHand.delete(event.stream);
    },
  });
  return { handled, overlaps, options };
}

async function appendRounds(store: EventStore, streams: number, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let s = 0; s < streams; s++) await store.append(`item-${s}`, [{ type: 'Counted', data: { round } }]);
  }
}

it('hands a joiner its share at once when the store signals the join, long before the holders’ next heartbeat', async () => {
  const consumerStore = new FakeConsumerStore({ groupSignals: true });
  const store = storeWith(consumerStore);
  await appendRounds(store, 16, 5);
  const { handled, overlaps, options } = recorder();
  const start = async (member: string) => {
    const consumer = await startConsumer(store, options(member));
    consumers.push(consumer);
    return consumer;
  };
  const a = await start('a');
  const b = await start('b');
  await until(() => a.partitions.length === 4 && b.partitions.length === 4, 'a and b hold four partitions each', 3_000);
  const beatsBefore = consumerStore.calls.filter((call) => call.startsWith('heartbeat')).length;
  // the events a and b are handling while c joins
  void appendRounds(store, 16, 5);

  const joined = performance.now();
  const c = await start('c');
  await until(() => c.partitions.length === 2 && a.partitions.length === 3 && b.partitions.length === 3, 'c has its share', 3_000);
  expect(performance.now() - joined).toBeLessThan(1_000);
  // a handful of beats prompted by the signals, not the periodic ones (the next is 5 s away)
  expect(consumerStore.calls.filter((call) => call.startsWith('heartbeat')).length - beatsBefore).toBeLessThan(20);

  await until(() => handled.length >= 16 * 10, 'every event is handled', 5_000);
  expect(overlaps).toEqual([]);
  const byStream = new Map<string, number[]>();
  for (const { stream, revision } of handled) byStream.set(stream, [...(byStream.get(stream) ?? []), revision]);
  for (const revisions of byStream.values()) expect(revisions).toEqual(Array.from({ length: 10 }, (_, i) => i));
  expect(new Set(handled.map((h) => h.member))).toEqual(new Set(['a', 'b', 'c']));
});

it('without the signal a joiner waits for the holders’ heartbeat', async () => {
  const store = storeWith(new FakeConsumerStore());
  const { options } = recorder();
  const a = await startConsumer(store, options('a'));
  consumers.push(a);
  await until(() => a.partitions.length === 8 && a.state === 'live', 'a holds every partition and is live', 3_000);
  const c = await startConsumer(store, options('c'));
  consumers.push(c);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  // the case above got its share within this time only through the signal
  expect([a.partitions.length, c.partitions.length]).toEqual([8, 0]);
});
