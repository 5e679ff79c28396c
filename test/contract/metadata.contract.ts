import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/store/event-store.js';
import { event, expectCode, readWholeLog, readWholeStream, withStore, type StoreHarness } from './harness.js';

async function revisions(store: EventStore, stream: string) {
  return (await readWholeStream(store, stream)).map((e) => e.revision);
}

async function fill(store: EventStore, stream: string, count: number) {
  await store.append(stream, Array.from({ length: count }, (_, i) => event('E', { i })));
}

export function metadataContract(harness: StoreHarness): void {
  describe('stream metadata', () => {
    it('round-trips and replaces metadata; a stream without any has {}', async () => {
      await withStore(harness, async (store) => {
        expect(await store.getStreamMetadata('account-1')).toEqual({});
        const metadata = { maxCount: 5, maxAge: 3600, truncateBefore: 2, custom: { owner: 'team-accounts', tags: ['a'] } };
        await store.setStreamMetadata('account-1', metadata);
        expect(await store.getStreamMetadata('account-1')).toEqual(metadata);
        await store.setStreamMetadata('account-1', { maxCount: 1 });
        expect(await store.getStreamMetadata('account-1')).toEqual({ maxCount: 1 });
        // metadata alone does not make a stream exist
        expect((await store.streamInfo('account-1')).exists).toBe(false);
        await expectCode(store.readStream('account-1'), 'STREAM_NOT_FOUND');
        expect((await store.listStreams()).streams).toEqual([]);
      });
    });

    for (const bad of [{ maxCount: 0 }, { maxAge: -1 }, { truncateBefore: 1.5 }, { custom: [] }, { color: 'red' }, null, 'x']) {
      it(`refuses ${JSON.stringify(bad)} with INVALID_STREAM_METADATA`, async () => {
        await withStore(harness, async (store) => {
          await expectCode(store.setStreamMetadata('account-1', bad as never), 'INVALID_STREAM_METADATA');
        });
      });
    }

    it('max count keeps only the newest events readable, both directions', async () => {
      await withStore(harness, async (store) => {
        await fill(store, 'account-1', 10);
        await store.setStreamMetadata('account-1', { maxCount: 3 });
        expect(await revisions(store, 'account-1')).toEqual([7, 8, 9]);
        const backward = await store.readStream('account-1', { direction: 'backward', limit: 10 });
        expect(backward.events.map((e) => e.revision)).toEqual([9, 8, 7]);
        expect((await store.readStream('account-1', { from: 2, limit: 2 })).events.map((e) => e.revision)).toEqual([7, 8]);
        await store.append('account-1', [event('E')], { expectedRevision: 9 });
        expect(await revisions(store, 'account-1')).toEqual([8, 9, 10]);
      });
    });

    it('truncate-before hides earlier revisions', async () => {
      await withStore(harness, async (store) => {
        await fill(store, 'account-1', 6);
        await store.setStreamMetadata('account-1', { truncateBefore: 4 });
        expect(await revisions(store, 'account-1')).toEqual([4, 5]);
        await store.setStreamMetadata('account-1', { truncateBefore: 100 });
        expect(await revisions(store, 'account-1')).toEqual([]);
        expect((await store.streamInfo('account-1')).exists).toBe(true);
      });
    });

    it('max age hides events older than so many seconds', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      await withStore(
        harness,
        async (store) => {
          await fill(store, 'account-1', 2);
          now += 60_000;
          await fill(store, 'account-1', 2);
          now += 30_000;
          await store.setStreamMetadata('account-1', { maxAge: 45 });
          expect(await revisions(store, 'account-1')).toEqual([2, 3]);
          now += 30_000;
          expect(await revisions(store, 'account-1')).toEqual([]);
        },
        { clock: () => now },
      );
    });
  });

  describe('soft delete', () => {
    it('makes the stream read as not found, until an append starts it again where it left off', async () => {
      await withStore(harness, async (store) => {
        await fill(store, 'account-1', 3);
        await store.deleteStream('account-1', { expectedRevision: 2 });
        await expectCode(store.readStream('account-1'), 'STREAM_NOT_FOUND');
        expect(await store.streamInfo('account-1')).toMatchObject({ exists: false, lastRevision: 2, deleted: 'soft' });
        expect((await store.listStreams()).streams[0]).toMatchObject({ stream: 'account-1', deleted: 'soft' });
        expect(await store.listCategories()).toEqual([]);
        // deleting again is a no-op
        await store.deleteStream('account-1');
        const result = await store.append('account-1', [event('Reopened')], { expectedRevision: 'no_stream' });
        expect(result.events[0]!.revision).toBe(3);
        expect(await revisions(store, 'account-1')).toEqual([3]);
        expect(await store.streamInfo('account-1')).toMatchObject({ exists: true, lastRevision: 3, deleted: false });
      });
    });

    it('checks the expected revision, and refuses a missing stream', async () => {
      await withStore(harness, async (store) => {
        await fill(store, 'account-1', 3);
        const error = await expectCode(store.deleteStream('account-1', { expectedRevision: 1 }), 'WRONG_EXPECTED_REVISION');
        expect(error.details).toMatchObject({ expected: 1, actual: 2 });
        expect(await revisions(store, 'account-1')).toEqual([0, 1, 2]);
        await expectCode(store.deleteStream('account-404'), 'STREAM_NOT_FOUND');
      });
    });
  });

  describe('tombstone', () => {
    it('fails every later append, read, delete and metadata change with STREAM_DELETED', async () => {
      await withStore(harness, async (store) => {
        await fill(store, 'account-1', 2);
        await store.tombstoneStream('account-1', { expectedRevision: 1 });
        await expectCode(store.append('account-1', [event('E')]), 'STREAM_DELETED');
        await expectCode(store.append('account-1', [event('E')], { expectedRevision: 'no_stream' }), 'STREAM_DELETED');
        await expectCode(store.readStream('account-1'), 'STREAM_DELETED');
        await expectCode(store.deleteStream('account-1'), 'STREAM_DELETED');
        await expectCode(store.tombstoneStream('account-1'), 'STREAM_DELETED');
        await expectCode(store.setStreamMetadata('account-1', { maxCount: 1 }), 'STREAM_DELETED');
        expect(await store.streamInfo('account-1')).toMatchObject({ exists: false, deleted: 'tombstone' });
      });
    });

    it('can reserve a name that was never written, and checks the expected revision', async () => {
      await withStore(harness, async (store) => {
        await store.tombstoneStream('account-9', { expectedRevision: 'no_stream' });
        await expectCode(store.append('account-9', [event('E')]), 'STREAM_DELETED');
        await fill(store, 'account-1', 1);
        await expectCode(store.tombstoneStream('account-1', { expectedRevision: 'no_stream' }), 'WRONG_EXPECTED_REVISION');
        await store.append('account-1', [event('E')]);
      });
    });

    it('a soft-deleted stream can be tombstoned', async () => {
      await withStore(harness, async (store) => {
        await fill(store, 'account-1', 1);
        await store.deleteStream('account-1');
        await store.tombstoneStream('account-1');
        await expectCode(store.append('account-1', [event('E')]), 'STREAM_DELETED');
      });
    });
  });

  describe('scavenge', () => {
    it('leaves the global log untouched until it runs, then removes exactly the hidden events', async () => {
      await withStore(harness, async (store) => {
        await fill(store, 'kept-1', 2);
        await fill(store, 'capped-1', 5);
        await fill(store, 'gone-1', 2);
        await fill(store, 'dead-1', 2);
        await fill(store, 'kept-2', 1);
        await store.setStreamMetadata('capped-1', { maxCount: 2 });
        await store.deleteStream('gone-1');
        await store.tombstoneStream('dead-1');
        expect(await readWholeLog(store)).toHaveLength(12);
        expect(await store.scavenge()).toEqual({ removed: 7 });
        const log = await readWholeLog(store);
        expect(log.map((e) => `${e.stream}@${e.revision}`)).toEqual([
          'kept-1@0',
          'kept-1@1',
          'capped-1@3',
          'capped-1@4',
          'kept-2@0',
        ]);
        expect(await store.scavenge()).toEqual({ removed: 0 });
        // the revived stream keeps its numbering; removed events stay removed
        await store.append('gone-1', [event('Back')]);
        expect(await revisions(store, 'gone-1')).toEqual([2]);
      });
    });

    it('never hands out a position twice, even after the newest events are removed', async () => {
      await withStore(harness, async (store) => {
        await fill(store, 'account-1', 3);
        await store.tombstoneStream('account-1');
        await store.scavenge();
        const result = await store.append('account-2', [event('E')]);
        expect(result.position).toBe(4);
        expect(await store.headPosition()).toBe(4);
      });
    });
  });
}
