import { describe, expect, it } from 'vitest';
import { event, expectCode, OTHER_UUID, readWholeLog, SOME_UUID, withStore, type StoreHarness } from './harness.js';

const THIRD_UUID = 'b5e0c2d4-6f8a-4c1e-9b3d-7a5c9e1f3b5d';

export function idempotencyContract(harness: StoreHarness): void {
  describe('idempotent append by event id', () => {
    it('a retry with the same id and content returns the original result and writes nothing', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('Opened')]);
        const batch = [
          event('Deposited', { amount: 5 }, { id: SOME_UUID, metadata: { correlationId: 'c' } }),
          event('Deposited', { amount: 6 }, { id: OTHER_UUID }),
        ];
        const original = await store.append('account-1', batch, { expectedRevision: 0 });
        await store.append('account-2', [event('Other')]);
        const logBefore = await readWholeLog(store);
        // the retry's expected revision is stale now: the retry must still succeed
        const retry = await store.append('account-1', batch, { expectedRevision: 0 });
        expect(retry).toEqual(original);
        expect(await readWholeLog(store)).toEqual(logBefore);
        expect(await store.append('account-1', batch)).toEqual(original);
      });
    });

    it('a retry of a single event is idempotent under any expected revision', async () => {
      await withStore(harness, async (store) => {
        const batch = [event('Opened', { owner: 'Damon' }, { id: SOME_UUID })];
        const original = await store.append('account-1', batch, { expectedRevision: 'no_stream' });
        for (const expectedRevision of ['no_stream', 'any', 'stream_exists', 0, 7] as const) {
          expect(await store.append('account-1', batch, { expectedRevision })).toEqual(original);
        }
        expect(await store.headPosition()).toBe(1);
      });
    });

    it('concurrent identical appends write once and both get the result', async () => {
      await withStore(harness, async (store) => {
        const batch = [event('Opened', {}, { id: SOME_UUID }), event('Named', {}, { id: OTHER_UUID })];
        const [a, b, c] = await Promise.all([
          store.append('account-1', batch),
          store.append('account-1', batch),
          store.append('account-1', batch),
        ]);
        expect(b).toEqual(a);
        expect(c).toEqual(a);
        expect(await store.headPosition()).toBe(2);
      });
    });

    const conflicts: [string, () => Parameters<typeof event>][] = [
      ['different data', () => ['Opened', { owner: 'someone else' }, { id: SOME_UUID }]],
      ['a different type', () => ['Renamed', { owner: 'Damon' }, { id: SOME_UUID }]],
      ['different metadata', () => ['Opened', { owner: 'Damon' }, { id: SOME_UUID, metadata: { correlationId: 'x' } }]],
    ];
    for (const [label, proposal] of conflicts) {
      it(`the same id with ${label} is EVENT_ID_CONFLICT`, async () => {
        await withStore(harness, async (store) => {
          await store.append('account-1', [event('Opened', { owner: 'Damon' }, { id: SOME_UUID })]);
          const error = await expectCode(store.append('account-1', [event(...proposal())]), 'EVENT_ID_CONFLICT');
          expect(error.details).toMatchObject({ id: SOME_UUID, stream: 'account-1' });
          expect(await store.headPosition()).toBe(1);
        });
      });
    }

    it('the same id in another stream is EVENT_ID_CONFLICT', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('Opened', {}, { id: SOME_UUID })]);
        await expectCode(store.append('account-2', [event('Opened', {}, { id: SOME_UUID })]), 'EVENT_ID_CONFLICT');
        expect((await store.streamInfo('account-2')).lastRevision).toBe(-1);
      });
    });

    it('a batch mixing stored and new events is EVENT_ID_CONFLICT and writes nothing', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('A', {}, { id: SOME_UUID })]);
        await expectCode(
          store.append('account-1', [event('A', {}, { id: SOME_UUID }), event('B', {}, { id: THIRD_UUID })]),
          'EVENT_ID_CONFLICT',
        );
        await expectCode(store.append('account-1', [event('A', {}, { id: SOME_UUID }), event('B')]), 'EVENT_ID_CONFLICT');
        expect(await store.headPosition()).toBe(1);
      });
    });

    it('a retry in another order than the original is EVENT_ID_CONFLICT', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('A', {}, { id: SOME_UUID }), event('B', {}, { id: OTHER_UUID })]);
        await expectCode(
          store.append('account-1', [event('B', {}, { id: OTHER_UUID }), event('A', {}, { id: SOME_UUID })]),
          'EVENT_ID_CONFLICT',
        );
      });
    });

    it('ids are compared without regard to case', async () => {
      await withStore(harness, async (store) => {
        const original = await store.append('account-1', [event('A', {}, { id: SOME_UUID })]);
        expect(await store.append('account-1', [event('A', {}, { id: SOME_UUID.toUpperCase() })])).toEqual(original);
      });
    });

    it('a retry into a tombstoned stream is STREAM_DELETED', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('A', {}, { id: SOME_UUID })]);
        await store.tombstoneStream('account-1');
        await expectCode(store.append('account-1', [event('A', {}, { id: SOME_UUID })]), 'STREAM_DELETED');
      });
    });
  });
}
