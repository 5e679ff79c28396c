import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleCommand, loadState, type Decider, type DomainEvent } from '../../src/command/decider.js';
import type { SnapshotPolicy } from '../../src/command/snapshot-policy.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { Snapshot, SnapshotStore } from '../../src/store/snapshot-store.js';
import { event, expectCode, readWholeLog, withStore, type StoreHarness } from './harness.js';

type Added = DomainEvent<'Added', { n: number }>;
interface Tally {
  count: number;
  sum: number;
  seen: number[];
}

/** A decider whose state remembers every event folded, so a fold that skipped or repeated one shows. */
const tally: Decider<{ add: number[] }, Added, Tally> = {
  initialState: () => ({ count: 0, sum: 0, seen: [] }),
  evolve: (state, added) => ({ count: state.count + 1, sum: state.sum + added.data.n, seen: [...state.seen, added.data.n] }),
  decide: (command) => command.add.map((n) => ({ type: 'Added', data: { n } })),
};

const policy: SnapshotPolicy = { name: 'tally', version: 1, every: 10 };
const snapshotting = (snapshot: SnapshotPolicy = policy) => ({ ...tally, snapshot });

const added = (from: number, count: number) => Array.from({ length: count }, (_, i) => event('Added', { n: from + i }));
const tallyOf = (numbers: number[]): Tally => ({ count: numbers.length, sum: numbers.reduce((a, b) => a + b, 0), seen: numbers });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The store, seen through a wrapper that counts the events its stream reads return. */
function counted(store: EventStore, snapshots: SnapshotStore | undefined = store.snapshots) {
  let events = 0;
  const wrapper = new Proxy(store, {
    get(target, property) {
      if (property === 'snapshots') return snapshots;
      if (property === 'readStream') {
        return async (...args: Parameters<EventStore['readStream']>) => {
          const page = await target.readStream(...args);
          events += page.events.length;
          return page;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapper, read: () => events, reset: () => (events = 0) };
}

const keptOf = (store: EventStore, stream: string) => store.snapshots!.read(stream, policy.name);

/**
 * Snapshots of a decider's state: kept beside the log, never in it; a load
 * starts from one only when it is of the decider's version, at or before the
 * revision asked for, and of the stream's events as they still read; writers
 * race without corrupting one; a store without snapshots refuses the policy.
 */
export function snapshotsContract(harness: StoreHarness): void {
  describe('snapshots', () => {
    it('a store without snapshots refuses a decider that keeps them, before appending anything; one with them round-trips a snapshot', async () => {
      await withStore(harness, async (store) => {
        await store.append('tally-1', added(0, 3));
        if (store.snapshots === undefined) {
          await expectCode(loadState(store, 'tally-1', snapshotting()), 'SNAPSHOT_UNSUPPORTED');
          await expectCode(handleCommand(store, 'tally-1', snapshotting(), { add: [9] }), 'SNAPSHOT_UNSUPPORTED');
          expect((await store.streamInfo('tally-1')).lastRevision).toBe(2);
          return expect((await loadState(store, 'tally-1', tally)).state).toEqual(tallyOf([0, 1, 2]));
        }
        const snapshot: Snapshot = { stream: 'tally-1', name: 'tally', version: 1, revision: 2, fromRevision: 0, state: '{"a":[1,"é"]}' };
        expect(await store.snapshots.read('tally-1', 'tally')).toBeNull();
        await store.snapshots.write(snapshot);
        expect(await store.snapshots.read('tally-1', 'tally')).toEqual(snapshot);
        expect(await store.snapshots.read('tally-1', 'other')).toBeNull();
        expect(await store.snapshots.read('tally-2', 'tally')).toBeNull();
      });
    });

    it('snapshots are not events: the log, stream reads, stream info and listings do not show them', async () => {
      await withStore(harness, async (store) => {
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        await store.append('tally-1', added(0, 12));
        const before = { log: await readWholeLog(store), info: await store.streamInfo('tally-1'), head: await store.headPosition() };
        expect((await loadState(store, 'tally-1', snapshotting())).state).toEqual(tallyOf(range(0, 11)));
        await store.snapshots.write({ stream: 'tally-9', name: 'tally', version: 1, revision: 0, fromRevision: 0, state: '{}' });
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 11 });
        expect(await readWholeLog(store)).toEqual(before.log);
        expect(await store.streamInfo('tally-1')).toEqual(before.info);
        expect(await store.headPosition()).toBe(before.head);
        expect((await store.readStream('tally-1', { limit: 100 })).events).toHaveLength(12);
        expect(await store.streamInfo('tally-9')).toMatchObject({ exists: false, lastRevision: -1 });
        expect((await store.listStreams()).streams.map((s) => s.stream)).toEqual(['tally-1']);
        expect(await store.listCategories()).toEqual([{ category: 'tally', streams: 1 }]);
      });
    });

    it('refuses malformed snapshots and policies with INVALID_ARGUMENT', async () => {
      await withStore(harness, async (store) => {
        await store.append('tally-1', added(0, 1));
        for (const snapshot of [{ name: '' }, { name: 'x'.repeat(101) }, { version: -1 }, { every: 0 }, { every: 1.5 }] as Partial<SnapshotPolicy>[]) {
          await expectCode(loadState(store, 'tally-1', snapshotting({ ...policy, ...snapshot })), 'INVALID_ARGUMENT');
        }
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        const good: Snapshot = { stream: 'tally-1', name: 'tally', version: 1, revision: 3, fromRevision: 0, state: '{}' };
        for (const bad of [{ name: '' }, { version: 0.5 }, { revision: -1 }, { fromRevision: 4 }, { state: {} as unknown as string }]) {
          await expectCode(store.snapshots.write({ ...good, ...bad }), 'INVALID_ARGUMENT');
        }
        await expectCode(store.snapshots.write({ ...good, stream: '-bad' }), 'INVALID_STREAM_NAME');
        expect(await keptOf(store, 'tally-1')).toBeNull();
      });
    });

    it('keeps a snapshot every `every` events, and a load folds only the events after it', async () => {
      await withStore(harness, async (store) => {
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        const view = counted(store);
        await store.append('tally-1', added(0, 9));
        expect((await loadState(view.store, 'tally-1', snapshotting())).state).toEqual(tallyOf(range(0, 8)));
        expect(await keptOf(store, 'tally-1')).toBeNull();
        await store.append('tally-1', added(9, 16));
        view.reset();
        expect(await loadState(view.store, 'tally-1', snapshotting())).toEqual({ state: tallyOf(range(0, 24)), revision: 24 });
        expect(view.read()).toBe(25);
        expect(await keptOf(store, 'tally-1')).toMatchObject({ version: 1, revision: 24, fromRevision: 0 });
        await store.append('tally-1', added(25, 3));
        view.reset();
        expect(await loadState(view.store, 'tally-1', snapshotting())).toEqual({ state: tallyOf(range(0, 27)), revision: 27 });
        // the first event, to check the snapshot still holds, and the three after it
        expect(view.read()).toBe(4);
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 24 });
      });
    });

    it('handleCommand keeps a snapshot of the state after its append once `every` events passed, and a failed snapshot write fails nothing', async () => {
      await withStore(harness, async (store) => {
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        const every4 = snapshotting({ ...policy, every: 4 });
        await handleCommand(store, 'tally-1', every4, { add: [0, 1, 2] });
        expect(await keptOf(store, 'tally-1')).toBeNull();
        const handled = await handleCommand(store, 'tally-1', every4, { add: [3] });
        expect(handled.state).toEqual(tallyOf(range(0, 3)));
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 3, fromRevision: 0, state: JSON.stringify(tallyOf(range(0, 3))) });
        const broken: SnapshotStore = { read: (stream, name) => store.snapshots!.read(stream, name), write: () => Promise.reject(new Error('disk full')) };
        const failing = counted(store, broken).store;
        const next = await handleCommand(failing, 'tally-1', every4, { add: [4, 5, 6, 7, 8] });
        expect(next.result?.nextExpectedRevision).toBe(8);
        expect((await loadState(failing, 'tally-1', every4)).state).toEqual(tallyOf(range(0, 8)));
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 3 });
        // the next load folds the five events past the snapshot and keeps one before deciding
        await handleCommand(store, 'tally-1', every4, { add: [9] });
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 8, state: JSON.stringify(tallyOf(range(0, 8))) });
      });
    });

    it('ignores a snapshot of another version, and replaces it with one of its own', async () => {
      await withStore(harness, async (store) => {
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        await store.append('tally-1', added(0, 12));
        // what version 1 kept does not fit version 2's state at all
        await store.snapshots.write({ stream: 'tally-1', name: 'tally', version: 1, revision: 11, fromRevision: 0, state: '{"old":true}' });
        const version2 = snapshotting({ ...policy, version: 2 });
        expect(await loadState(store, 'tally-1', version2)).toEqual({ state: tallyOf(range(0, 11)), revision: 11 });
        expect(await keptOf(store, 'tally-1')).toMatchObject({ version: 2, revision: 11, state: JSON.stringify(tallyOf(range(0, 11))) });
        // an older process, still at version 1, folds everything again and takes the snapshot back
        await store.append('tally-1', added(12, 10));
        expect((await loadState(store, 'tally-1', snapshotting())).state).toEqual(tallyOf(range(0, 21)));
        expect(await keptOf(store, 'tally-1')).toMatchObject({ version: 1, revision: 21 });
      });
    });

    it('untilRevision starts only from a snapshot at or before it, and keeps none', async () => {
      await withStore(harness, async (store) => {
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        const view = counted(store);
        await store.append('tally-1', added(0, 30));
        await loadState(store, 'tally-1', snapshotting());
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 29 });
        view.reset();
        expect(await loadState(view.store, 'tally-1', snapshotting(), { untilRevision: 10 })).toEqual({ state: tallyOf(range(0, 10)), revision: 10 });
        expect(view.read()).toBeGreaterThanOrEqual(11);
        await store.append('tally-1', added(30, 20));
        view.reset();
        expect(await loadState(view.store, 'tally-1', snapshotting(), { untilRevision: 35 })).toEqual({ state: tallyOf(range(0, 35)), revision: 35 });
        // the first event and up to 30-35: not the 36 a fold from the start reads
        expect(view.read()).toBeLessThan(36);
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 29 });
        expect(await loadState(store, 'tally-1', snapshotting(), { untilRevision: 29 })).toEqual({ state: tallyOf(range(0, 29)), revision: 29 });
      });
    });

    it('deleting a stream deletes its snapshots; one of a deleted and recreated, truncated, scavenged or tombstoned stream, or past its last revision, is ignored', async () => {
      await withStore(harness, async (store) => {
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        await store.append('tally-1', added(0, 12));
        await loadState(store, 'tally-1', snapshotting());
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 11 });
        await store.deleteStream('tally-1');
        expect(await keptOf(store, 'tally-1')).toBeNull();
        // as a load that began before the deletion would leave it
        await store.snapshots.write({ stream: 'tally-1', name: 'tally', version: 1, revision: 11, fromRevision: 0, state: JSON.stringify(tallyOf(range(0, 11))) });
        expect(await loadState(store, 'tally-1', snapshotting())).toEqual({ state: tally.initialState(), revision: -1 });
        await store.append('tally-1', added(100, 3), { expectedRevision: 'no_stream' });
        expect(await loadState(store, 'tally-1', snapshotting())).toEqual({ state: tallyOf([100, 101, 102]), revision: 14 });
        await store.append('tally-1', added(103, 10));
        expect((await loadState(store, 'tally-1', snapshotting())).state).toEqual(tallyOf(range(100, 112)));
        expect(await keptOf(store, 'tally-1')).toMatchObject({ revision: 24, fromRevision: 12 });

        await store.setStreamMetadata('tally-1', { truncateBefore: 20 });
        expect((await loadState(store, 'tally-1', snapshotting())).state).toEqual(tallyOf(range(108, 112)));
        await store.scavenge();
        expect((await loadState(store, 'tally-1', snapshotting())).state).toEqual(tallyOf(range(108, 112)));

        await store.append('tally-2', added(0, 3));
        await store.snapshots.write({ stream: 'tally-2', name: 'tally', version: 1, revision: 7, fromRevision: 0, state: '{"ahead":true}' });
        expect(await loadState(store, 'tally-2', snapshotting())).toEqual({ state: tallyOf([0, 1, 2]), revision: 2 });

        await store.append('tally-3', added(0, 12));
        await loadState(store, 'tally-3', snapshotting());
        await store.tombstoneStream('tally-3');
        expect(await keptOf(store, 'tally-3')).toBeNull();
        await store.snapshots.write({ stream: 'tally-3', name: 'tally', version: 1, revision: 11, fromRevision: 0, state: '{}' });
        expect(await loadState(store, 'tally-3', snapshotting())).toEqual({ state: tally.initialState(), revision: -1 });
      });
    });

    it('a state that is not plain JSON fails the load with SNAPSHOT_NOT_JSON, before handleCommand appends anything', async () => {
      await withStore(harness, async (store) => {
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        const withDate: Decider<{ add: number[] }, Added, { at: Date | null; seen: number }> = {
          initialState: () => ({ at: null, seen: 0 }),
          evolve: (state) => ({ at: new Date(0), seen: state.seen + 1 }),
          decide: (command) => command.add.map((n) => ({ type: 'Added', data: { n } })),
          snapshot: { name: 'dated', version: 1, every: 2 },
        };
        await store.append('tally-1', added(0, 2));
        const refused = await expectCode(loadState(store, 'tally-1', withDate), 'SNAPSHOT_NOT_JSON');
        expect(refused.details).toMatchObject({ snapshot: 'dated', path: '$.at' });
        await expectCode(handleCommand(store, 'tally-1', withDate, { add: [5] }), 'SNAPSHOT_NOT_JSON');
        expect((await store.streamInfo('tally-1')).lastRevision).toBe(1);
        expect(await store.snapshots.read('tally-1', 'dated')).toBeNull();
        const cycle: Record<string, unknown> = {};
        cycle['self'] = cycle;
        const odd = [{ m: new Map() }, { u: undefined }, new Array<number>(3), { n: Number.NaN }, { b: 1n }, { f: () => 1 }, cycle];
        for (const [i, state] of odd.entries()) {
          const weird = { ...tally, initialState: () => state as unknown as Tally, evolve: (s: Tally) => s, snapshot: { ...policy, every: 1 } };
          await expectCode(loadState(store, 'tally-1', weird), 'SNAPSHOT_NOT_JSON').then((e) => expect(e.details, `state ${i}`).toHaveProperty('path'));
        }
      });
    });

    it('two handles writing the same snapshot concurrently leave the highest revision, whole', async () => {
      await withStore(harness, async (store) => {
        if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
        const other = await harness.openAnother(store);
        try {
          const writes = Array.from({ length: 40 }, (_, revision) => {
            const state = JSON.stringify({ revision, pad: 'x'.repeat(2000 + revision) });
            const handle = revision % 2 === 0 ? store : other;
            return handle.snapshots!.write({ stream: 'tally-1', name: 'tally', version: 1, revision, fromRevision: 0, state });
          });
          await Promise.all(writes.reverse());
          const kept = await keptOf(store, 'tally-1');
          expect(kept).toMatchObject({ revision: 39 });
          expect(JSON.parse(kept!.state)).toEqual({ revision: 39, pad: 'x'.repeat(2039) });
        } finally {
          await other.close();
        }
      });
    });

    it('property: loadState with snapshots equals loadState without, whatever the appends, deletions, truncations and every', async () => {
      const step = fc.oneof(
        { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 7 }) }) },
        { weight: 4, arbitrary: fc.record({ kind: fc.constant('load' as const), until: fc.option(fc.integer({ min: 0, max: 60 })) }) },
        { weight: 3, arbitrary: fc.record({ kind: fc.constant('command' as const), count: fc.integer({ min: 0, max: 4 }) }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'delete' as const }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 5 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('maxCount' as const), count: fc.option(fc.integer({ min: 1, max: 20 })) }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'scavenge' as const }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('version' as const), version: fc.integer({ min: 1, max: 3 }) }) },
      );
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.array(step, { minLength: 1, maxLength: 25 }), async (every, steps) => {
          await withStore(harness, async (store) => {
            if (store.snapshots === undefined) return expect(store.sql).toBeUndefined();
            let decider = snapshotting({ ...policy, every });
            let next = 0;
            for (const s of steps) {
              const info = await store.streamInfo('tally-1');
              if (s.kind === 'append') {
                await store.append('tally-1', added(next, s.count));
                next += s.count;
              } else if (s.kind === 'command') {
                const add = range(next, next + s.count - 1);
                next += s.count;
                await handleCommand(store, 'tally-1', decider, { add });
              } else if (s.kind === 'delete') {
                if (info.exists) await store.deleteStream('tally-1');
              } else if (s.kind === 'truncate') {
                if (info.deleted !== 'tombstone') await store.setStreamMetadata('tally-1', { truncateBefore: Math.max(0, info.lastRevision - s.back) });
              } else if (s.kind === 'maxCount') {
                await store.setStreamMetadata('tally-1', s.count === null ? {} : { maxCount: s.count });
              } else if (s.kind === 'scavenge') {
                await store.scavenge();
              } else if (s.kind === 'version') {
                decider = snapshotting({ ...policy, every, version: s.version });
              } else {
                const options = s.until === null ? {} : { untilRevision: s.until };
                expect(await loadState(store, 'tally-1', decider, options)).toEqual(await loadState(store, 'tally-1', tally, options));
              }
            }
            expect(await loadState(store, 'tally-1', decider)).toEqual(await loadState(store, 'tally-1', tally));
          });
        }),
        { numRuns: harness.propertyRuns ?? Number(process.env['PROPERTY_RUNS'] ?? 25) },
      );
    });
  });
}
