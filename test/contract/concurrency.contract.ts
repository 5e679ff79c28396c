import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import type { EventStore } from '../../src/store/event-store.js';
import { event, readWholeLog, readWholeStream, withStore, type StoreHarness } from './harness.js';

/** Appenders race for each next revision of one stream; returns how many won each revision. */
async function raceForRevisions(stores: EventStore[], appenders: number, revisions: number) {
  const winners = new Map<number, string[]>();
  await Promise.all(
    Array.from({ length: appenders }, async (_, appender) => {
      const store = stores[appender % stores.length]!;
      for (;;) {
        const info = await store.streamInfo('race-1');
        if (info.lastRevision + 1 >= revisions) return;
        try {
          const expectedRevision = info.lastRevision < 0 ? 'no_stream' : info.lastRevision;
          const result = await store.append('race-1', [event('Won', { appender })], { expectedRevision });
          const revision = result.events[0]!.revision;
          winners.set(revision, [...(winners.get(revision) ?? []), `appender-${appender}`]);
        } catch (error) {
          if (!isTributaryError(error, 'WRONG_EXPECTED_REVISION')) throw error;
        }
      }
    }),
  );
  return winners;
}

export function concurrencyContract(harness: StoreHarness): void {
  describe('concurrency', () => {
    it('many appenders with exact expected revisions on one stream: exactly one wins each revision', async () => {
      await withStore(harness, async (store) => {
        const winners = await raceForRevisions([store], 16, 60);
        expect([...winners.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
        expect([...winners.values()].every((names) => names.length === 1)).toBe(true);
        const events = await readWholeStream(store, 'race-1');
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 60 }, (_, i) => i));
        expect(events.map((e) => `appender-${(e.data as { appender: number }).appender}`)).toEqual(
          events.map((e) => winners.get(e.revision)![0]),
        );
      });
    });

    it('two handles on one database race for one stream: exactly one wins each revision', async () => {
      await withStore(harness, async (store) => {
        const other = await harness.openAnother(store);
        try {
          const winners = await raceForRevisions([store, other], 12, 40);
          expect([...winners.values()].every((names) => names.length === 1)).toBe(true);
          expect((await readWholeStream(other, 'race-1')).map((e) => e.revision)).toEqual(
            Array.from({ length: 40 }, (_, i) => i),
          );
        } finally {
          await other.close();
        }
      });
    });

    it('concurrent appends to different streams, from two handles: none lost, every position unique', async () => {
      await withStore(harness, async (store) => {
        const other = await harness.openAnother(store);
        try {
          const results = await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              (i % 2 === 0 ? store : other).append(`stream-${i % 40}`, [event('E', { i }), event('F', { i })]),
            ),
          );
          const positions = results.flatMap((r) => r.events.map((e) => e.position));
          expect(new Set(positions).size).toBe(400);
          const log = await readWholeLog(store);
          expect(log).toHaveLength(400);
          expect(log.map((e) => e.position)).toEqual([...positions].sort((a, b) => a - b));
          for (let s = 0; s < 40; s++) {
            const revisions = (await readWholeStream(store, `stream-${s}`)).map((e) => e.revision);
            expect(revisions).toEqual(Array.from({ length: 10 }, (_, i) => i));
          }
        } finally {
          await other.close();
        }
      });
    });

    it("one caller's conflict among concurrent appends never fails its neighbours", async () => {
      await withStore(harness, async (store) => {
        await store.append('account-0', [event('Opened')]);
        const outcomes = await Promise.allSettled([
          ...Array.from({ length: 10 }, (_, i) => store.append(`account-${i + 1}`, [event('Opened')], { expectedRevision: 'no_stream' })),
          store.append('account-0', [event('Late')], { expectedRevision: 'no_stream' }),
          store.append('account-0', [event('OnTime')], { expectedRevision: 0 }),
          store.append('account-0', [event('Bad')], { expectedRevision: 0 }),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual([...Array<string>(10).fill('fulfilled'), 'rejected', 'fulfilled', 'rejected']);
        expect((await readWholeStream(store, 'account-0')).map((e) => e.type)).toEqual(['Opened', 'OnTime']);
        expect(await readWholeLog(store)).toHaveLength(12);
      });
    });
  });
}
