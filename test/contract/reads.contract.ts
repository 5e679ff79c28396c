import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/store/event-store.js';
import { event, expectCode, readWholeLog, withStore, type StoreHarness } from './harness.js';

async function tenEvents(store: EventStore, stream = 'account-1') {
  await store.append(stream, Array.from({ length: 10 }, (_, i) => event(`E${i}`, { i })));
}

export function readsContract(harness: StoreHarness): void {
  describe('reading a stream', () => {
    it('reads forward from a revision in pages, with next pointing at the following page', async () => {
      await withStore(harness, async (store) => {
        await tenEvents(store);
        const first = await store.readStream('account-1', { limit: 4 });
        expect(first.events.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
        expect(first.next).toBe(4);
        const second = await store.readStream('account-1', { from: 4, limit: 4 });
        expect(second.events.map((e) => e.revision)).toEqual([4, 5, 6, 7]);
        const last = await store.readStream('account-1', { from: 8, limit: 4 });
        expect(last.events.map((e) => e.revision)).toEqual([8, 9]);
        expect(last.next).toBeNull();
        const exact = await store.readStream('account-1', { from: 6, limit: 4 });
        expect(exact.next).toBeNull();
        expect((await store.readStream('account-1', { from: 10 })).events).toEqual([]);
        expect((await store.readStream('account-1')).events.map((e) => e.data)).toEqual(
          Array.from({ length: 10 }, (_, i) => ({ i })),
        );
      });
    });

    it('reads backward from a revision, or from the end by default', async () => {
      await withStore(harness, async (store) => {
        await tenEvents(store);
        const first = await store.readStream('account-1', { direction: 'backward', limit: 3 });
        expect(first.events.map((e) => e.revision)).toEqual([9, 8, 7]);
        expect(first.next).toBe(6);
        const middle = await store.readStream('account-1', { direction: 'backward', from: 2, limit: 3 });
        expect(middle.events.map((e) => e.revision)).toEqual([2, 1, 0]);
        expect(middle.next).toBeNull();
        const beyond = await store.readStream('account-1', { direction: 'backward', from: 99, limit: 2 });
        expect(beyond.events.map((e) => e.revision)).toEqual([9, 8]);
      });
    });

    it('a missing stream is STREAM_NOT_FOUND', async () => {
      await withStore(harness, async (store) => {
        const error = await expectCode(store.readStream('account-404'), 'STREAM_NOT_FOUND');
        expect(error.details).toEqual({ stream: 'account-404' });
      });
    });

    it('events serialise to the shape of the HTTP contract, with or without parsing their data', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('Opened', { owner: 'Damon "D" Allison' }, { metadata: { causationId: 'x' } })]);
        const [recorded] = (await store.readStream('account-1')).events;
        const json = JSON.parse(JSON.stringify(recorded)) as Record<string, unknown>;
        expect(Object.keys(json).sort()).toEqual(
          ['data', 'id', 'metadata', 'position', 'recordedAt', 'revision', 'stream', 'tags', 'type'].sort(),
        );
        expect(json).toMatchObject({
          stream: 'account-1',
          type: 'Opened',
          revision: 0,
          position: 1,
          data: { owner: 'Damon "D" Allison' },
          metadata: { causationId: 'x' },
          tags: [],
        });
        expect(JSON.parse(recorded!.toJsonText())).toEqual(json);
      });
    });

    it('rejects bad read options with INVALID_ARGUMENT', async () => {
      await withStore(harness, async (store) => {
        await tenEvents(store);
        for (const options of [{ limit: 0 }, { limit: 10_001 }, { limit: 1.5 }, { from: -1 }, { direction: 'sideways' }]) {
          await expectCode(store.readStream('account-1', options as never), 'INVALID_ARGUMENT');
        }
        await expectCode(store.readStream(''), 'INVALID_STREAM_NAME');
      });
    });
  });

  describe('reading the global log', () => {
    it('pages through every event in position order', async () => {
      await withStore(harness, async (store) => {
        for (let i = 0; i < 25; i++) await store.append(`s${i % 3}-x`, [event('E', { i })]);
        const first = await store.readAll({ limit: 10 });
        expect(first.events.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(first.next).toBe(10);
        const rest = await store.readAll({ after: 10, limit: 100 });
        expect(rest.events.map((e) => e.position)).toEqual(Array.from({ length: 15 }, (_, i) => i + 11));
        expect(rest.next).toBeNull();
        expect((await store.readAll({ after: 25 })).events).toEqual([]);
        expect((await readWholeLog(store)).map((e) => e.data)).toEqual(Array.from({ length: 25 }, (_, i) => ({ i })));
      });
    });

    async function mixedLog(store: EventStore) {
      await store.append('account-1', [event('Opened'), event('Deposited')]);
      await store.append('order-1', [event('Placed')]);
      await store.append('account-2', [event('Opened')]);
      await store.append('accounting-1', [event('Booked')]);
      await store.append('account', [event('Bare')]);
      await store.append('Account-3', [event('Opened')]);
      await store.append('acc*unt-1', [event('Odd')]);
    }

    async function readFiltered(store: EventStore, filter: Parameters<EventStore['readAll']>[0]) {
      const seen: string[] = [];
      let after: number | null = 0;
      while (after !== null) {
        const page = await store.readAll({ ...filter, after, limit: 2 });
        seen.push(...page.events.map((e) => `${e.stream}/${e.type}`));
        after = page.next;
      }
      return seen;
    }

    it('filters by category, event type and stream prefix, case-sensitively', async () => {
      await withStore(harness, async (store) => {
        await mixedLog(store);
        expect(await readFiltered(store, { categories: ['account'] })).toEqual([
          'account-1/Opened',
          'account-1/Deposited',
          'account-2/Opened',
          'account/Bare',
        ]);
        expect(await readFiltered(store, { categories: ['order', 'accounting'] })).toEqual(['order-1/Placed', 'accounting-1/Booked']);
        expect(await readFiltered(store, { types: ['Opened'] })).toEqual(['account-1/Opened', 'account-2/Opened', 'Account-3/Opened']);
        expect(await readFiltered(store, { categories: ['account'], types: ['Opened'] })).toEqual([
          'account-1/Opened',
          'account-2/Opened',
        ]);
        expect(await readFiltered(store, { streamPrefix: 'account-' })).toEqual([
          'account-1/Opened',
          'account-1/Deposited',
          'account-2/Opened',
        ]);
        expect(await readFiltered(store, { streamPrefix: 'acc*' })).toEqual(['acc*unt-1/Odd']);
        expect(await readFiltered(store, { categories: ['nothing'] })).toEqual([]);
        expect(await readFiltered(store, { categories: [], types: [] })).toHaveLength(8);
      });
    });

    it('a sparse filter tested row by row still reaches every match across scan windows; an indexed one reads only its matches', async () => {
      await withStore(harness, async (store) => {
        const noise = Array.from({ length: 1000 }, () => event('Noise'));
        for (let round = 0; round < 10; round++) {
          await store.append('noise-1', noise);
          await store.append('rare-1', [event('Rare', { round })]);
        }
        const readAllOf = async (filter: Parameters<EventStore['readAll']>[0]) => {
          const found = [];
          let after: number | null = 0;
          let calls = 0;
          while (after !== null) {
            const page = await store.readAll({ ...filter, after, limit: 100 });
            found.push(...page.events.map((e) => (e.data as { round: number }).round));
            after = page.next;
            calls++;
          }
          return { found, calls };
        };
        const rounds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        const scanned = await readAllOf({ streamPrefix: 'rare-' });
        expect(scanned.found).toEqual(rounds);
        expect(scanned.calls).toBeGreaterThan(1);
        for (const filter of [{ categories: ['rare'] }, { types: ['Rare'] }, { categories: ['rare', 'nothing'] }, { types: ['Rare', 'Nothing'] }]) {
          expect(await readAllOf(filter)).toEqual({ found: rounds, calls: 1 });
        }
        expect((await readAllOf({ categories: ['rare'], types: ['Rare'] })).found).toEqual(rounds);
      });
    });

    it('rejects bad options with INVALID_ARGUMENT', async () => {
      await withStore(harness, async (store) => {
        for (const options of [{ after: -1 }, { limit: 0 }, { after: 0.5 }, { categories: 'account' }, { types: [1] }]) {
          await expectCode(store.readAll(options as never), 'INVALID_ARGUMENT');
        }
      });
    });
  });

  describe('stream info and listings', () => {
    it('describes missing and existing streams', async () => {
      await withStore(harness, async (store) => {
        expect(await store.streamInfo('account-1')).toEqual({
          stream: 'account-1',
          exists: false,
          lastRevision: -1,
          lastPosition: 0,
          deleted: false,
        });
        await store.append('order-1', [event('A')]);
        await store.append('account-1', [event('A'), event('B')]);
        expect(await store.streamInfo('account-1')).toEqual({
          stream: 'account-1',
          exists: true,
          lastRevision: 1,
          lastPosition: 3,
          deleted: false,
        });
        expect(await store.headPosition()).toBe(3);
      });
    });

    it('lists streams in name order a page at a time, by prefix or category', async () => {
      await withStore(harness, async (store) => {
        for (const name of ['order-2', 'account-10', 'account-2', 'order-1', 'accounting-1', 'account']) {
          await store.append(name, [event('E')]);
        }
        await store.append('account-2', [event('E')]);
        const first = await store.listStreams({ limit: 4 });
        expect(first.streams.map((s) => s.stream)).toEqual(['account', 'account-10', 'account-2', 'accounting-1']);
        expect(first.next).toBe('accounting-1');
        const second = await store.listStreams({ after: first.next!, limit: 4 });
        expect(second.streams.map((s) => s.stream)).toEqual(['order-1', 'order-2']);
        expect(second.next).toBeNull();
        const accounts = await store.listStreams({ category: 'account' });
        expect(accounts.streams.map((s) => [s.stream, s.lastRevision])).toEqual([
          ['account', 0],
          ['account-10', 0],
          ['account-2', 1],
        ]);
        expect(accounts.streams[2]).toEqual({
          stream: 'account-2',
          category: 'account',
          lastRevision: 1,
          lastPosition: 7,
          deleted: false,
        });
        expect((await store.listStreams({ prefix: 'account-1' })).streams.map((s) => s.stream)).toEqual(['account-10']);
        expect(await store.listCategories()).toEqual([
          { category: 'account', streams: 3 },
          { category: 'accounting', streams: 1 },
          { category: 'order', streams: 2 },
        ]);
      });
    });
  });
}
