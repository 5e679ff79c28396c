import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import { loadState, type DomainEvent } from '../../src/command/decider.js';
import type { AsOf } from '../../src/core/as-of.js';
import type { EventStore, ReadAllOptions } from '../../src/store/event-store.js';
import { event, expectCode, readWholeLog, withStore, type StoreHarness } from './harness.js';

const T0 = Date.UTC(2026, 2, 1, 9);
const iso = (millis: number) => new Date(millis).toISOString();

/** A clock the test moves by hand, so every event's recorded time is known. */
function handClock(start = T0) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

/**
 * The checking account of docs/time-travel.md beside a second stream, at known times:
 * T0 Deposited 100, T0+1s another account opens, T0+2s Withdrawn 30 and Deposited 5 (one append), T0+4s Withdrawn 50.
 */
async function account(store: EventStore, clock: { now: number }) {
  await store.append('account-12345', [event('Deposited', { amount: 100 })]);
  clock.now = T0 + 1000;
  await store.append('account-777', [event('Opened', {}, { tags: ['branch:north'] })]);
  clock.now = T0 + 2000;
  await store.append('account-12345', [event('Withdrawn', { amount: 30 }), event('Deposited', { amount: 5 }, { tags: ['branch:north'] })]);
  clock.now = T0 + 4000;
  await store.append('account-12345', [event('Withdrawn', { amount: 50 })]);
}

/** Every page of a stream read as of a point, forward or backward. */
async function streamAsOf(store: EventStore, stream: string, asOf: AsOf, direction: 'forward' | 'backward' = 'forward', limit = 2) {
  const events: RecordedEvent[] = [];
  let from: number | undefined;
  for (;;) {
    const page = await store.readStream(stream, { asOf, direction, limit, from });
    events.push(...page.events);
    if (page.next === null) break;
    from = page.next;
  }
  return events;
}

/** Every page of the log read as of a point, with a filter or not. */
async function logAsOf(store: EventStore, asOf: AsOf, options: ReadAllOptions = {}, limit = 2) {
  const events: RecordedEvent[] = [];
  let after: number | null = 0;
  while (after !== null) {
    const page: { events: RecordedEvent[]; next: number | null } = await store.readAll({ ...options, asOf, after, limit });
    events.push(...page.events);
    after = page.next;
  }
  return events;
}

const positions = (events: readonly RecordedEvent[]) => events.map((e) => e.position);

type Moved = DomainEvent<'Deposited' | 'Withdrawn', { amount: number }>;
const balance = {
  initialState: () => 0,
  evolve: (total: number, event: Moved) => total + (event.type === 'Deposited' ? 1 : -1) * event.data.amount,
};
const folded = (events: readonly RecordedEvent[]) => events.reduce((total, e) => balance.evolve(total, e as unknown as Moved), 0);

export function asOfContract(harness: StoreHarness): void {
  describe('reading as of a time or a position', () => {
    it('as of a time, stream and log reads hold exactly the events recorded at or before it, and positionAt finds the last of them', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          await account(store, clock);
          const log = await readWholeLog(store);
          expect(log.map((e) => e.recordedAtMillis)).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 2000, T0 + 4000]);
          for (const time of [T0, T0 + 999, T0 + 1000, T0 + 2000, T0 + 3999, T0 + 4000]) {
            const before = log.filter((e) => e.recordedAtMillis <= time);
            expect(await store.positionAt(iso(time))).toBe(before.at(-1)!.position);
            expect(await store.positionAt(new Date(time))).toBe(before.at(-1)!.position);
            expect(positions(await logAsOf(store, iso(time)))).toEqual(positions(before));
            expect(positions(await logAsOf(store, new Date(time), {}, 100))).toEqual(positions(before));
            const stream = before.filter((e) => e.stream === 'account-12345');
            expect(positions(await streamAsOf(store, 'account-12345', iso(time)))).toEqual(positions(stream));
            expect(positions(await streamAsOf(store, 'account-12345', iso(time), 'backward'))).toEqual(positions(stream).reverse());
          }
          // the balance as of T0+3s: 100 - 30 + 5
          const asOfThree = await streamAsOf(store, 'account-12345', iso(T0 + 3000));
          expect(asOfThree.reduce((sum, e) => sum + (e.type === 'Deposited' ? 1 : -1) * (e.data as { amount: number }).amount, 0)).toBe(75);
        },
        { clock: clock.read },
      );
    });

    it('as of a position, reads hold exactly the events at or before it, in pages whose next is null once they reach it', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          await account(store, clock);
          const log = await readWholeLog(store);
          for (let at = 1; at <= 5; at++) {
            const before = log.filter((e) => e.position <= at);
            expect(positions(await logAsOf(store, at))).toEqual(positions(before));
            expect(positions(await logAsOf(store, String(at), {}, 1))).toEqual(positions(before));
            const stream = before.filter((e) => e.stream === 'account-12345');
            expect(positions(await streamAsOf(store, 'account-12345', at, 'forward', 1))).toEqual(positions(stream));
            expect(positions(await streamAsOf(store, 'account-12345', at, 'backward', 1))).toEqual(positions(stream).reverse());
          }
          expect(await store.readAll({ asOf: 3, after: 1, limit: 2 })).toMatchObject({ next: null });
          expect((await store.readAll({ asOf: 3, after: 0, limit: 2 })).next).toBe(2);
          expect(await store.readAll({ asOf: 2, after: 4 })).toEqual({ events: [], next: null });
          // the stream had its first event only; a backward read starts there, whatever `from` asks
          const backward = await store.readStream('account-12345', { asOf: 2, direction: 'backward', from: 3 });
          expect(backward.events.map((e) => e.revision)).toEqual([0]);
          expect(backward.next).toBeNull();
          const forward = await store.readStream('account-12345', { asOf: 3, from: 0, limit: 1 });
          expect([forward.events.map((e) => e.revision), forward.next]).toEqual([[0], 1]);
          expect(await store.readStream('account-12345', { asOf: 3, from: 2 })).toEqual({ events: [], next: null });
        },
        { clock: clock.read },
      );
    });

    it('a time before the first event reads an empty log and no stream; a time in the future reads the head', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          expect(await store.positionAt(iso(T0))).toBe(0);
          expect(await store.readAll({ asOf: iso(T0) })).toEqual({ events: [], next: null });
          await account(store, clock);
          expect(await store.positionAt('2026-03-01T08:59:59.999Z')).toBe(0);
          expect(await store.readAll({ asOf: '2026-03-01T08:59:59.999Z' })).toEqual({ events: [], next: null });
          await expectCode(store.readStream('account-12345', { asOf: '2026-03-01' }), 'STREAM_NOT_FOUND');
          // account-777 had no event yet at position 1, nor at its time
          await expectCode(store.readStream('account-777', { asOf: 1 }), 'STREAM_NOT_FOUND');
          await expectCode(store.readStream('account-777', { asOf: iso(T0 + 999) }), 'STREAM_NOT_FOUND');
          const future = '2999-01-01T00:00:00Z';
          expect(await store.positionAt(future)).toBe(5);
          expect(positions(await logAsOf(store, future))).toEqual([1, 2, 3, 4, 5]);
          expect(positions(await streamAsOf(store, 'account-12345', future))).toEqual([1, 3, 4, 5]);
          expect(positions(await logAsOf(store, 5))).toEqual([1, 2, 3, 4, 5]);
        },
        { clock: clock.read },
      );
    });

    it('position 0, a position past the head and text that is no time are INVALID_AS_OF, on every read and on positionAt', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          await account(store, clock);
          for (const asOf of [0, -1, 1.5, '0', 'yesterday', '2026-02-30T00:00:00Z', 'March 3', ''] as AsOf[]) {
            await expectCode(store.readStream('account-12345', { asOf }), 'INVALID_AS_OF');
            await expectCode(store.readAll({ asOf }), 'INVALID_AS_OF');
          }
          const beyond = await expectCode(store.readAll({ asOf: 6 }), 'INVALID_AS_OF');
          expect(beyond.details).toMatchObject({ asOf: 6, head: 5 });
          await expectCode(store.readStream('account-12345', { asOf: '6' }), 'INVALID_AS_OF');
          await expectCode(store.readStream('account-404', { asOf: 6 }), 'INVALID_AS_OF');
          await expectCode(store.readAll({ asOf: 6, categories: ['account'] }), 'INVALID_AS_OF');
          await expectCode(store.positionAt('yesterday'), 'INVALID_AS_OF');
          await expectCode(store.positionAt('12'), 'INVALID_AS_OF');
        },
        { clock: clock.read },
      );
    });

    it('filtered reads of the log as of a point keep their filter and stop at it', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          await account(store, clock);
          await store.append('order-1', [event('Placed', {}, { tags: ['branch:north'] })]);
          const log = await readWholeLog(store);
          const filters: { options: ReadAllOptions; keep: (e: RecordedEvent) => boolean }[] = [
            { options: { categories: ['account'] }, keep: (e) => e.stream.startsWith('account-') },
            { options: { types: ['Deposited'] }, keep: (e) => e.type === 'Deposited' },
            { options: { streamPrefix: 'account-1' }, keep: (e) => e.stream.startsWith('account-1') },
            { options: { tags: ['branch:north'] }, keep: (e) => e.tags.includes('branch:north') },
            { options: { categories: ['account'], types: ['Withdrawn'] }, keep: (e) => e.stream.startsWith('account-') && e.type === 'Withdrawn' },
            { options: { query: [{ types: ['Opened'] }, { tags: ['branch:north'] }] }, keep: (e) => e.type === 'Opened' || e.tags.includes('branch:north') },
          ];
          for (const { options, keep } of filters) {
            for (const at of [1, 2, 4, 6]) {
              const expected = positions(log.filter((e) => e.position <= at && keep(e)));
              expect(positions(await logAsOf(store, at, options, 1))).toEqual(expected);
              expect(positions(await logAsOf(store, iso(log[at - 1]!.recordedAtMillis), options, 1))).toEqual(
                positions(log.filter((e) => e.recordedAtMillis <= log[at - 1]!.recordedAtMillis && keep(e))),
              );
            }
          }
        },
        { clock: clock.read },
      );
    });

    it('a clock that steps back stamps the last recorded time instead: times never decrease, and as-of still answers', async () => {
      const clock = handClock(T0 + 60_000);
      await withStore(
        harness,
        async (store) => {
          await store.append('account-12345', [event('Deposited', { amount: 10 })]);
          clock.now = T0;
          await store.append('account-12345', [event('Withdrawn', { amount: 1 })]);
          await store.appendMany([{ stream: 'account-9', events: [event('Opened')] }]);
          clock.now = T0 + 61_000;
          await store.append('account-12345', [event('Deposited', { amount: 2 })]);
          const log = await readWholeLog(store);
          expect(log.map((e) => e.recordedAtMillis)).toEqual([T0 + 60_000, T0 + 60_000, T0 + 60_000, T0 + 61_000]);
          expect(await store.positionAt(iso(T0 + 30_000))).toBe(0);
          expect(await store.positionAt(iso(T0 + 60_000))).toBe(3);
          expect(positions(await streamAsOf(store, 'account-12345', iso(T0 + 60_500)))).toEqual([1, 2]);
        },
        { clock: clock.read },
      );
    });

    it('retention and deletion hide what they hide today, whatever the point', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          await account(store, clock);
          await store.setStreamMetadata('account-12345', { truncateBefore: 1 });
          expect(positions(await streamAsOf(store, 'account-12345', 3))).toEqual([3]);
          expect(await store.readStream('account-12345', { asOf: 2 })).toEqual({ events: [], next: null });
          await store.deleteStream('account-777');
          await expectCode(store.readStream('account-777', { asOf: 5 }), 'STREAM_NOT_FOUND');
          await store.tombstoneStream('account-12345');
          await expectCode(store.readStream('account-12345', { asOf: 5 }), 'STREAM_DELETED');
        },
        { clock: clock.read },
      );
    });

    it('positionAt steps over the gaps scavenging leaves, and reads as of a position in a gap stop there', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          await store.append('account-1', [event('Deposited', { amount: 1 })]);
          clock.now = T0 + 1000;
          await store.append('account-2', [event('Deposited', { amount: 2 })]);
          clock.now = T0 + 2000;
          await store.append('account-1', [event('Deposited', { amount: 3 })]);
          clock.now = T0 + 3000;
          await store.append('account-1', [event('Deposited', { amount: 4 })]);
          await store.setStreamMetadata('account-1', { maxCount: 1 });
          expect(await store.scavenge()).toEqual({ removed: 2 });
          const found = await Promise.all([T0, T0 + 1000, T0 + 2500, T0 + 3000].map((time) => store.positionAt(iso(time))));
          expect(found).toEqual([0, 2, 2, 4]);
          expect(positions(await logAsOf(store, 3))).toEqual([2]);
          expect(positions(await streamAsOf(store, 'account-1', 4))).toEqual([4]);
        },
        { clock: clock.read },
      );
    });

    it('loadState as of a time or a position is the fold of the events recorded by then; before the first, the initial state and -1', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          await account(store, clock);
          const stream = (await readWholeLog(store)).filter((e) => e.stream === 'account-12345');
          for (const time of [T0 - 1, T0, T0 + 1999, T0 + 2000, T0 + 9000]) {
            const before = stream.filter((e) => e.recordedAtMillis <= time);
            const expected = { state: folded(before), revision: before.at(-1)?.revision ?? -1 };
            expect(await loadState(store, 'account-12345', balance, { asOf: iso(time) })).toEqual(expected);
            expect(await loadState(store, 'account-12345', balance, { asOf: new Date(time) })).toEqual(expected);
          }
          for (let at = 1; at <= 5; at++) {
            const before = stream.filter((e) => e.position <= at);
            expect(await loadState(store, 'account-12345', balance, { asOf: at })).toEqual({ state: folded(before), revision: before.at(-1)?.revision ?? -1 });
          }
          expect(await loadState(store, 'account-12345', balance, { asOf: 5, untilRevision: 1 })).toEqual({ state: 70, revision: 1 });
          await expectCode(loadState(store, 'account-12345', balance, { asOf: 6 }), 'INVALID_AS_OF');
          await expectCode(loadState(store, 'account-12345', balance, { asOf: 'yesterday' }), 'INVALID_AS_OF');
        },
        { clock: clock.read },
      );
    });

    it('loadState as of a point starts from a kept snapshot only when it is not past the point, and keeps none', async () => {
      const clock = handClock();
      await withStore(
        harness,
        async (store) => {
          await account(store, clock);
          const snapshotting = { ...balance, snapshot: { name: 'balance', version: 1, every: 1 } };
          if (store.snapshots === undefined) {
            await expectCode(loadState(store, 'account-12345', snapshotting, { asOf: 3 }), 'SNAPSHOT_UNSUPPORTED');
            return;
          }
          // a snapshot whose state no fold gives: a load that starts from it shows it
          await store.snapshots.write({ stream: 'account-12345', name: 'balance', version: 1, revision: 1, fromRevision: 0, state: '1000' });
          expect(await loadState(store, 'account-12345', snapshotting, { asOf: 4 })).toEqual({ state: 1005, revision: 2 });
          expect(await loadState(store, 'account-12345', snapshotting, { asOf: 3 })).toEqual({ state: 1000, revision: 1 });
          // past the point: the fold starts from the beginning
          expect(await loadState(store, 'account-12345', snapshotting, { asOf: 1 })).toEqual({ state: 100, revision: 0 });
          expect(await loadState(store, 'account-12345', snapshotting, { asOf: iso(T0) })).toEqual({ state: 100, revision: 0 });
          expect(await store.snapshots.read('account-12345', 'balance')).toMatchObject({ revision: 1, state: '1000' });
        },
        { clock: clock.read },
      );
    });

    it('positionAt is the last event recorded at or before any time, for random logs whose clock goes back and forth', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ step: fc.integer({ min: -3, max: 5 }), size: fc.integer({ min: 1, max: 3 }), stream: fc.constantFrom('account-1', 'account-2') }), {
            minLength: 1,
            maxLength: 12,
          }),
          fc.array(fc.integer({ min: -2, max: 40 }), { minLength: 1, maxLength: 5 }),
          async (appends, offsets) => {
            const clock = handClock();
            await withStore(
              harness,
              async (store) => {
                for (const { step, size, stream } of appends) {
                  clock.now += step;
                  await store.append(stream, Array.from({ length: size }, () => event('Tick')));
                }
                const log = await readWholeLog(store);
                for (let i = 1; i < log.length; i++) expect(log[i]!.recordedAtMillis).toBeGreaterThanOrEqual(log[i - 1]!.recordedAtMillis);
                for (const offset of offsets) {
                  const time = T0 + offset;
                  const expected = log.filter((e) => e.recordedAtMillis <= time).at(-1)?.position ?? 0;
                  expect(await store.positionAt(iso(time))).toBe(expected);
                }
              },
              { clock: clock.read },
            );
          },
        ),
        { numRuns: harness.propertyRuns ?? 15 },
      );
    });
  });
}
