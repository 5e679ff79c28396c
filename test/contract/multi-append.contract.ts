import { describe, expect, it } from 'vitest';
import type { StreamAppend } from '../../src/core/stream-appends.js';
import type { EventStore } from '../../src/store/event-store.js';
import { event, expectCode, OTHER_UUID, readWholeLog, SOME_UUID, withStore, type StoreHarness } from './harness.js';

/** Everything a refused call must leave as it was: the head, the log and each named stream's head. */
async function snapshotOf(store: EventStore, streams: readonly string[]) {
  return {
    head: await store.headPosition(),
    log: (await readWholeLog(store)).map((e) => [e.position, e.id, e.stream, e.revision]),
    streams: await Promise.all(streams.map((stream) => store.streamInfo(stream))),
  };
}

/** A deterministic event id, so a retry can give the same ones. */
function idOf(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

const FIVE = ['account-1', 'account-2', 'account-3', 'order-1', 'ledger-1'];

export function multiAppendContract(harness: StoreHarness): void {
  describe('appendMany (atomic multi-stream appends)', () => {
    it('writes every stream at positions contiguous across the call, one result per stream in the order given', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-2', [event('Opened'), event('Deposited')]);
        const result = await store.appendMany([
          { stream: 'order-1', events: [event('Placed'), event('Priced')], expectedRevision: 'no_stream' },
          { stream: 'account-2', events: [event('Debited')], expectedRevision: 1 },
          { stream: 'account-1', events: [event('Opened'), event('Credited'), event('Noted')] },
        ]);
        expect(result.streams.map((part) => part.stream)).toEqual(['order-1', 'account-2', 'account-1']);
        expect(result.streams.flatMap((part) => part.events.map((e) => e.position))).toEqual([3, 4, 5, 6, 7, 8]);
        expect(result.streams.map((part) => part.events.map((e) => e.revision))).toEqual([[0, 1], [2], [0, 1, 2]]);
        expect(result.streams.map((part) => [part.nextExpectedRevision, part.position])).toEqual([[1, 4], [2, 5], [2, 8]]);
        expect(result.position).toBe(8);
        const log = await readWholeLog(store);
        expect(log.map((e) => [e.position, e.stream, e.revision, e.type])).toEqual([
          [1, 'account-2', 0, 'Opened'],
          [2, 'account-2', 1, 'Deposited'],
          [3, 'order-1', 0, 'Placed'],
          [4, 'order-1', 1, 'Priced'],
          [5, 'account-2', 2, 'Debited'],
          [6, 'account-1', 0, 'Opened'],
          [7, 'account-1', 1, 'Credited'],
          [8, 'account-1', 2, 'Noted'],
        ]);
        expect(log.slice(2).map((e) => e.id)).toEqual(result.streams.flatMap((part) => part.events.map((e) => e.id)));
      });
    });

    it('one wrong expected revision among five streams writes nothing: heads, log and streams unchanged', async () => {
      await withStore(harness, async (store) => {
        for (const stream of FIVE) await store.append(stream, [event('Opened')]);
        const before = await snapshotOf(store, FIVE);
        const appends: StreamAppend[] = FIVE.map((stream, i) => ({
          stream,
          events: [event('Moved', { i }), event('Noted', { i })],
          expectedRevision: i === 3 ? 5 : 0,
        }));
        const error = await expectCode(store.appendMany(appends), 'WRONG_EXPECTED_REVISION');
        expect(error.message).toContain('order-1');
        expect(await snapshotOf(store, FIVE)).toEqual(before);
        const corrected = await store.appendMany(appends.map((part) => ({ ...part, expectedRevision: 0 })));
        expect(corrected.streams.map((part) => part.events.map((e) => e.revision))).toEqual(FIVE.map(() => [1, 2]));
        expect(corrected.position).toBe(before.head + 2 * FIVE.length);
      });
    });

    it('retrying a whole call with the same ids returns the original result and writes nothing', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('Opened')]);
        const appends: StreamAppend[] = [
          { stream: 'account-1', events: [event('Debited', { amount: 5 }, { id: idOf(1) })], expectedRevision: 0 },
          { stream: 'account-2', events: [event('Credited', { amount: 5 }, { id: idOf(2) }), event('Noted', {}, { id: idOf(3) })], expectedRevision: 'no_stream' },
        ];
        const first = await store.appendMany(appends);
        await store.append('account-1', [event('Deposited')]);
        const before = await snapshotOf(store, ['account-1', 'account-2']);
        // the expected revisions no longer hold: a retry is recognised by its ids before they are checked
        expect(await store.appendMany(appends)).toEqual(first);
        expect(await snapshotOf(store, ['account-1', 'account-2'])).toEqual(before);
      });
    });

    it('a call mixing a part already appended with a new part is refused with EVENT_ID_CONFLICT and writes nothing', async () => {
      await withStore(harness, async (store) => {
        await store.appendMany([{ stream: 'account-1', events: [event('Debited', {}, { id: SOME_UUID })] }]);
        const before = await snapshotOf(store, ['account-1', 'account-2']);
        await expectCode(
          store.appendMany([
            { stream: 'account-1', events: [event('Debited', {}, { id: SOME_UUID })] },
            { stream: 'account-2', events: [event('Credited', {}, { id: OTHER_UUID })] },
          ]),
          'EVENT_ID_CONFLICT',
        );
        expect(await snapshotOf(store, ['account-1', 'account-2'])).toEqual(before);
        await expectCode(
          store.appendMany([
            { stream: 'account-2', events: [event('Credited', {}, { id: OTHER_UUID })] },
            { stream: 'account-1', events: [event('Debited', { changed: true }, { id: SOME_UUID })] },
          ]),
          'EVENT_ID_CONFLICT',
        );
        expect(await snapshotOf(store, ['account-1', 'account-2'])).toEqual(before);
      });
    });

    it('a tombstoned stream in the call refuses the whole call with STREAM_DELETED', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-9', [event('Opened')]);
        await store.tombstoneStream('account-9');
        await store.append('account-1', [event('Opened')]);
        const before = await snapshotOf(store, ['account-1', 'account-2', 'account-9']);
        await expectCode(
          store.appendMany([
            { stream: 'account-1', events: [event('Debited')] },
            { stream: 'account-9', events: [event('Credited')] },
            { stream: 'account-2', events: [event('Noted')] },
          ]),
          'STREAM_DELETED',
        );
        expect(await snapshotOf(store, ['account-1', 'account-2', 'account-9'])).toEqual(before);
      });
    });

    it('takes exactly 100 streams and 1,000 events in one call', async () => {
      await withStore(harness, async (store) => {
        const result = await store.appendMany(
          Array.from({ length: 100 }, (_, i) => ({ stream: `load-${i}`, events: Array.from({ length: 10 }, () => event('Loaded')) })),
        );
        expect(result.streams).toHaveLength(100);
        expect(result.position).toBe(1000);
        expect(await store.headPosition()).toBe(1000);
      });
    });

    describe('bad input: a coded error, nothing written', () => {
      const cases: { name: string; code: Parameters<typeof expectCode>[1]; appends: () => unknown }[] = [
        { name: 'no streams', code: 'INVALID_APPENDS', appends: () => [] },
        { name: 'not a list', code: 'INVALID_APPENDS', appends: () => ({ stream: 'account-1', events: [event('A')] }) },
        {
          name: 'the same stream twice',
          code: 'INVALID_APPENDS',
          appends: () => [
            { stream: 'account-1', events: [event('A')] },
            { stream: 'account-2', events: [event('B')] },
            { stream: 'account-1', events: [event('C')] },
          ],
        },
        { name: 'more than 100 streams', code: 'INVALID_APPENDS', appends: () => Array.from({ length: 101 }, (_, i) => ({ stream: `load-${i}`, events: [event('A')] })) },
        {
          name: 'more than 1,000 events in all',
          code: 'INVALID_APPENDS',
          appends: () => [
            { stream: 'load-1', events: Array.from({ length: 500 }, () => event('A')) },
            { stream: 'load-2', events: Array.from({ length: 501 }, () => event('A')) },
          ],
        },
        { name: 'an unknown field in a part', code: 'INVALID_APPENDS', appends: () => [{ stream: 'account-1', events: [event('A')], expected: 0 }] },
        {
          name: 'a bad stream name in the second part',
          code: 'INVALID_STREAM_NAME',
          appends: () => [
            { stream: 'account-1', events: [event('A')] },
            { stream: '', events: [event('B')] },
          ],
        },
        {
          name: 'a bad expected revision',
          code: 'INVALID_EXPECTED_REVISION',
          appends: () => [
            { stream: 'account-1', events: [event('A')] },
            { stream: 'account-2', events: [event('B')], expectedRevision: -2 },
          ],
        },
        {
          name: 'a bad event in the last part',
          code: 'INVALID_EVENT',
          appends: () => [
            { stream: 'account-1', events: [event('A')] },
            { stream: 'account-2', events: [{ type: '', data: {} }] },
          ],
        },
        {
          name: 'one id in two parts',
          code: 'INVALID_EVENT',
          appends: () => [
            { stream: 'account-1', events: [event('A', {}, { id: SOME_UUID })] },
            { stream: 'account-2', events: [event('B', {}, { id: SOME_UUID })] },
          ],
        },
        {
          name: 'a bad tag',
          code: 'INVALID_TAG',
          appends: () => [
            { stream: 'account-1', events: [event('A', {}, { tags: ['room:1'] })] },
            { stream: 'account-2', events: [event('B', {}, { tags: ['room:1', ''] })] },
          ],
        },
      ];
      for (const { name, code, appends } of cases) {
        it(`${name}: ${code}`, async () => {
          await withStore(harness, async (store) => {
            await store.append('account-1', [event('Opened')]);
            const before = await snapshotOf(store, ['account-1', 'account-2']);
            await expectCode(store.appendMany(appends() as StreamAppend[]), code);
            expect(await snapshotOf(store, ['account-1', 'account-2'])).toEqual(before);
          });
        });
      }
    });
  });
}
