import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import { RecordedEvent } from '../../src/core/event.js';
import type { ReadAllOptions } from '../../src/store/event-store.js';
import type { EventHandler } from '../../src/subscriptions/consumer-options.js';
import { Delivery, type DeliveryOptions } from '../../src/subscriptions/delivery.js';
import { PartitionProgress } from '../../src/subscriptions/partition-progress.js';
import { partitionOfStream } from '../../src/subscriptions/partitions.js';
import { FakeConsumerStore } from '../support/fake-consumer-store.js';

const eventAt = (position: number, stream = `order-${position}`, type = 'Placed') =>
  new RecordedEvent(`00000000-0000-4000-8000-${String(position).padStart(12, '0')}`, stream, type, 0, position, '{}', null, 0);

interface SetUp {
  handler?: EventHandler;
  options?: Partial<DeliveryOptions>;
  log?: RecordedEvent[];
  owned?: number[];
  transactions?: boolean;
}

async function setUp({ handler = () => undefined, options = {}, log = [], owned = [0], transactions = false }: SetUp = {}) {
  const consumers = new FakeConsumerStore({ transactions });
  const partitions = options.partitions ?? 1;
  await consumers.register({ name: 'ledger', partitions, startAt: 0, filter: {} });
  const readAll = async ({ after = 0, limit = 100 }: ReadAllOptions = {}) => ({ events: log.filter((e) => e.position > after).slice(0, limit), next: null });
  const progress = new PartitionProgress();
  for (const partition of owned) progress.take(partition, 0);
  const stopping = new AbortController();
  const settled: DeliveryOptions = {
    name: 'ledger',
    member: 'm',
    handler,
    transaction: undefined,
    retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
    onFailure: 'park',
    partitions,
    grouped: false,
    ...options,
  };
  const delivery = new Delivery({ consumers, readAll }, progress, settled, stopping.signal);
  return { consumers, progress, stopping, delivery };
}

describe('delivery', () => {
  it('hands an event to a handler that returns no promise without a promise of its own', async () => {
    const seen: number[] = [];
    const { delivery } = await setUp({ handler: (event, context) => void seen.push(event.position, context.attempt) });
    expect(delivery.deliver(eventAt(1), 0)).toBeUndefined();
    await delivery.deliver(eventAt(2), 0);
    expect(seen).toEqual([1, 1, 2, 1]);
    const asynchronous = await setUp({ handler: async () => undefined });
    expect(asynchronous.delivery.deliver(eventAt(1), 0)).toBeInstanceOf(Promise);
  });

  it('retries a failing handler, then parks its event with the attempts and the error', async () => {
    const attempts: number[] = [];
    const { delivery, consumers } = await setUp({
      handler: (_, context) => {
        attempts.push(context.attempt);
        throw new Error('cannot book');
      },
    });
    await delivery.deliver(eventAt(4, 'payment-1', 'Poison'), 0);
    expect(attempts).toEqual([1, 2, 3]);
    const [parked] = await consumers.listParked('ledger');
    expect(parked).toMatchObject({ position: 4, stream: 'payment-1', type: 'Poison', attempts: 3, replay: false });
    expect(parked!.error).toContain('cannot book');
  });

  it('succeeds on a retry without parking, an asynchronous failure included', async () => {
    let calls = 0;
    const { delivery, consumers } = await setUp({ handler: async () => (++calls < 2 ? Promise.reject(new Error('busy')) : undefined) });
    await delivery.deliver(eventAt(1), 0);
    expect(calls).toBe(2);
    expect(await consumers.listParked('ledger')).toEqual([]);
  });

  it("faults with HANDLER_FAILED under onFailure: 'stop', and gives up its retries when the consumer stops", async () => {
    const failing = () => {
      throw new Error('smtp refused');
    };
    const stopping = await setUp({ handler: failing, options: { onFailure: 'stop' } });
    const error: unknown = await stopping.delivery.deliver(eventAt(2, 'mail-1'), 0)!.catch((e: unknown) => e);
    expect(isTributaryError(error, 'HANDLER_FAILED')).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ consumer: 'ledger', position: 2, stream: 'mail-1', attempts: 3 });

    const slow = await setUp({ handler: failing, options: { retry: { attempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 } } });
    const delivering = slow.delivery.deliver(eventAt(1), 0)!;
    slow.stopping.abort();
    await expect(delivering).rejects.toThrow('smtp refused');
    expect(await slow.consumers.listParked('ledger')).toEqual([]);
  });

  it('replays the parked events of its partitions: handled ones leave the list, failing ones are parked again with their attempts counted on', async () => {
    const streams = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-6'];
    const mine = streams.filter((stream) => partitionOfStream(stream, 2) === 0);
    const theirs = streams.find((stream) => partitionOfStream(stream, 2) === 1)!;
    const log = [eventAt(1, mine[0], 'Fixed'), eventAt(2, mine[1], 'Poison'), eventAt(3, theirs, 'Fixed')];
    const handled: number[] = [];
    const { delivery, consumers } = await setUp({
      log,
      owned: [0],
      options: { partitions: 2, grouped: true },
      handler: (event) => {
        if (event.type === 'Poison') throw new Error('still broken');
        handled.push(event.position);
      },
    });
    for (const event of log) await consumers.park('ledger', { position: event.position, eventId: event.id, stream: event.stream, type: event.type, error: 'old', attempts: 3 });
    // one was scavenged since it was parked
    await consumers.park('ledger', { position: 9, eventId: eventAt(9).id, stream: mine[2]!, type: 'Gone', error: 'old', attempts: 3 });
    expect(delivery.replayDue).toBe(true);
    await delivery.replayParked();
    expect(delivery.replayDue).toBe(false);
    expect(await consumers.requestReplay('ledger')).toBe(4);
    expect(await delivery.lookForReplays()).toBe(true);
    await delivery.replayParked();
    expect(handled).toEqual([1]);
    const left = await consumers.listParked('ledger');
    expect(left.map((entry) => [entry.position, entry.attempts, entry.replay])).toEqual([
      [2, 6, false],
      [3, 3, true],
    ]);
  });

  it('runs a transaction handler on a batch, and when the batch fails, one event at a time to find the failing one', async () => {
    const batches: number[][] = [];
    const { delivery, consumers, progress } = await setUp({
      transactions: true,
      handler: undefined,
      options: {
        transaction: async (events) => {
          batches.push(events.map((event) => event.position));
          if (events.some((event) => event.type === 'Poison')) throw new Error('constraint');
        },
      },
    });
    expect(await delivery.deliverBatch([eventAt(1), eventAt(2)], 2, () => false)).toBe(true);
    expect((await consumers.get('ledger'))!.partitions[0]!.checkpoint).toBe(2);
    progress.advance(2);
    expect(await delivery.deliverBatch([eventAt(3), eventAt(4, 'order-4', 'Poison'), eventAt(5)], 5, () => false)).toBe(true);
    expect(batches).toEqual([[1, 2], [3, 4, 5], [3], [4], [4], [4], [5]]);
    expect((await consumers.listParked('ledger')).map((entry) => entry.position)).toEqual([4]);
    expect((await consumers.get('ledger'))!.partitions[0]!.checkpoint).toBe(5);
    expect(await delivery.deliverBatch([eventAt(6, 'order-6', 'Poison')], 6, () => true)).toBe(false);
  });
});
