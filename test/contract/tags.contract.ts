import { describe, expect, it } from 'vitest';
import type { EventQuery } from '../../src/core/event-query.js';
import type { EventStore, LogFilter } from '../../src/store/event-store.js';
import { event, expectCode, readWholeLog, readWholeStream, withStore, type StoreHarness } from './harness.js';

/** Every event a filtered read or a read by query returns, paging `limit` at a time until `next` is null. */
async function readAllPaged(store: EventStore, options: LogFilter & { query?: EventQuery }, limit: number) {
  const events = [];
  let after: number | null = 0;
  while (after !== null) {
    const page = await store.readAll({ ...options, after, limit });
    expect(page.events.length).toBeLessThanOrEqual(limit);
    events.push(...page.events);
    after = page.next;
  }
  return events;
}

/** A small hotel: bookings and cancellations tagged by room and guest, and untagged noise. */
async function hotel(store: EventStore) {
  await store.append('booking-1', [
    event('RoomBooked', { n: 1 }, { tags: ['room:1', 'guest:ada'] }),
    event('Noted', { n: 2 }),
    event('RoomBooked', { n: 3 }, { tags: ['room:2', 'guest:ada'] }),
  ]);
  await store.append('booking-2', [event('RoomBooked', { n: 4 }, { tags: ['guest:bob', 'room:1'] })]);
  await store.append('invoice-1', [event('Invoiced', { n: 5 }, { tags: ['guest:ada'] })]);
  await store.append('booking-1', [event('BookingCancelled', { n: 6 }, { tags: ['room:1', 'guest:ada'] })]);
  await store.append('booking-3', [event('RoomBooked', { n: 7 }, { tags: ['room:3'] }), event('Noted', { n: 8 }, { tags: ['room:3', 'room:1'] })]);
}

/** The positions of the whole log that `keep` selects, computed in code. */
async function expectedPositions(store: EventStore, keep: (e: { type: string; tags: readonly string[] }) => boolean) {
  return (await readWholeLog(store)).filter(keep).map((e) => e.position);
}

export function tagsContract(harness: StoreHarness): void {
  describe('tags', () => {
    it('are stored with the event and read back by readStream, readAll and toJSON; events without tags read as []', async () => {
      await withStore(harness, async (store) => {
        const tags = ['customer:42', 'room:7', 'naïve ☕ 𝄞', 'x'.repeat(256)];
        await store.append('order-1', [event('Placed', {}, { tags }), event('Priced')]);
        const [tagged, plain] = await readWholeStream(store, 'order-1');
        expect(tagged!.tags).toEqual(tags);
        expect(plain!.tags).toEqual([]);
        expect((await store.readAll()).events.map((e) => e.tags)).toEqual([tags, []]);
        expect((JSON.parse(JSON.stringify(tagged)) as { tags: unknown }).tags).toEqual(tags);
        expect((JSON.parse(tagged!.toJsonText()) as { tags: unknown }).tags).toEqual(tags);
        expect((JSON.parse(plain!.toJsonText()) as { tags: unknown }).tags).toEqual([]);
        expect((await store.readAll({ tags: ['Customer:42'] })).events).toEqual([]);
      });
    });

    it('are part of an event\'s content: a retry with the same id and other tags is refused with EVENT_ID_CONFLICT', async () => {
      await withStore(harness, async (store) => {
        const id = '00000000-0000-4000-8000-000000000001';
        const first = await store.append('order-1', [event('Placed', {}, { id, tags: ['customer:42', 'room:7'] })]);
        expect(await store.append('order-1', [event('Placed', {}, { id, tags: ['customer:42', 'room:7'] })])).toEqual(first);
        await expectCode(store.append('order-1', [event('Placed', {}, { id, tags: ['customer:43', 'room:7'] })]), 'EVENT_ID_CONFLICT');
        await expectCode(store.append('order-1', [event('Placed', {}, { id })]), 'EVENT_ID_CONFLICT');
        expect(await store.headPosition()).toBe(1);
      });
    });

    it('readAll({tags}) returns exactly the events carrying every given tag, with types OR\'ed', async () => {
      await withStore(harness, async (store) => {
        await hotel(store);
        const read = async (filter: LogFilter) => (await readAllPaged(store, filter, 100)).map((e) => e.position);
        expect(await read({ tags: ['room:1'] })).toEqual([1, 4, 6, 8]);
        expect(await read({ tags: ['guest:ada'] })).toEqual([1, 3, 5, 6]);
        expect(await read({ tags: ['room:1', 'guest:ada'] })).toEqual([1, 6]);
        expect(await read({ tags: ['guest:ada', 'room:1'] })).toEqual([1, 6]);
        expect(await read({ tags: ['room:1'], types: ['RoomBooked', 'Noted'] })).toEqual([1, 4, 8]);
        expect(await read({ tags: ['room:1'], types: ['Invoiced'] })).toEqual([]);
        expect(await read({ tags: ['room:9'] })).toEqual([]);
        expect(await read({ tags: ['room:1'], categories: ['booking'] })).toEqual([1, 4, 6, 8]);
        expect(await read({ tags: ['guest:ada'], categories: ['invoice'] })).toEqual([5]);
        expect(await read({ tags: ['guest:ada'], streamPrefix: 'booking-' })).toEqual([1, 3, 6]);
        const events = await readAllPaged(store, { tags: ['room:1', 'guest:ada'] }, 100);
        expect(events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 6 }]);
        expect(events.map((e) => e.tags)).toEqual([['room:1', 'guest:ada'], ['room:1', 'guest:ada']]);
      });
    });

    it('a tag read with a stream prefix takes the prefix literally, wildcards of LIKE and GLOB included', async () => {
      await withStore(harness, async (store) => {
        const names = ['hotel-a_1', 'hotel-ab1', 'hotel-a%1', 'hotel-a*1', 'hotel-a?1', 'hotel-a[1]', 'hotel-a\\1', 'hotel-A_1'];
        for (const name of names) await store.append(name, [event('Booked', {}, { tags: ['room:1'] })]);
        for (const prefix of ['hotel-a_', 'hotel-a%', 'hotel-a*', 'hotel-a?', 'hotel-a[', 'hotel-a\\']) {
          const streams = (await readAllPaged(store, { tags: ['room:1'], streamPrefix: prefix }, 3)).map((e) => e.stream);
          expect(streams, prefix).toEqual(names.filter((name) => name.startsWith(prefix)));
        }
      });
    });

    it('a tag read pages with next, at any page size, and returns the same events as a whole read', async () => {
      await withStore(harness, async (store) => {
        for (let i = 0; i < 12; i++) {
          await store.append(`room-${i % 3}`, [event('Booked', { i }, { tags: i % 2 === 0 ? ['hot', `room:${i % 3}`] : ['cold'] }), event('Noise', { i })]);
        }
        const hot = await expectedPositions(store, (e) => e.tags.includes('hot'));
        expect(hot).toHaveLength(6);
        for (const limit of [1, 2, 5, 6, 100]) {
          expect((await readAllPaged(store, { tags: ['hot'] }, limit)).map((e) => e.position)).toEqual(hot);
        }
        const page = await store.readAll({ tags: ['hot'], after: hot[1]!, limit: 2 });
        expect(page.events.map((e) => e.position)).toEqual(hot.slice(2, 4));
        expect(page.next).not.toBeNull();
        const last = await store.readAll({ tags: ['hot'], after: hot[5]! });
        expect(last.events).toEqual([]);
        expect(last.next).toBeNull();
      });
    });

    it('readAll({query}) ORs its items, returns an event matching two items once, and pages', async () => {
      await withStore(harness, async (store) => {
        await hotel(store);
        const query: EventQuery = [
          { types: ['RoomBooked'], tags: ['room:1'] },
          { tags: ['guest:ada'] },
          { types: ['Noted', 'Invoiced'] },
        ];
        const expected = await expectedPositions(
          store,
          (e) => (e.type === 'RoomBooked' && e.tags.includes('room:1')) || e.tags.includes('guest:ada') || e.type === 'Noted' || e.type === 'Invoiced',
        );
        expect(expected).toEqual([1, 2, 3, 4, 5, 6, 8]);
        for (const limit of [1, 3, 100]) {
          expect((await readAllPaged(store, { query }, limit)).map((e) => e.position)).toEqual(expected);
        }
        expect((await readAllPaged(store, { query: [{ tags: ['room:1'] }, { tags: ['room:1', 'guest:ada'] }] }, 2)).map((e) => e.position)).toEqual([1, 4, 6, 8]);
        expect((await readAllPaged(store, { query: [{ tags: ['room:3'] }], categories: ['booking'] }, 1)).map((e) => e.position)).toEqual([7, 8]);
        expect((await readAllPaged(store, { query: [{ tags: ['guest:ada'] }], categories: ['invoice'] }, 1)).map((e) => e.position)).toEqual([5]);
      });
    });

    it('a query of single tags counts an event carrying two of them once per page, so no page ends early', async () => {
      await withStore(harness, async (store) => {
        await store.append('room-1', Array.from({ length: 5 }, () => event('Booked', {}, { tags: ['room:1', 'night:1'] })));
        await store.append('room-2', Array.from({ length: 5 }, () => event('Booked', {}, { tags: ['night:1'] })));
        for (const limit of [1, 2, 3, 7]) {
          const read = await readAllPaged(store, { query: [{ tags: ['room:1'] }, { tags: ['night:1'] }] }, limit);
          expect(read.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        }
        const page = await store.readAll({ query: [{ tags: ['room:1'] }, { tags: ['night:1'] }], limit: 4 });
        expect(page).toMatchObject({ next: 4 });
        expect(page.events.map((e) => e.position)).toEqual([1, 2, 3, 4]);
      });
    });

    it('scavenged events leave the tag index: a tag read after a scavenge does not return them', async () => {
      await withStore(harness, async (store) => {
        await store.append('room-1', [1, 2, 3, 4].map((n) => event('Booked', { n }, { tags: ['room:1', `n:${n}`] })));
        await store.append('room-2', [event('Booked', { n: 5 }, { tags: ['room:1'] })]);
        await store.append('room-3', [event('Booked', { n: 6 }, { tags: ['room:1'] })]);
        await store.setStreamMetadata('room-1', { maxCount: 1 });
        await store.deleteStream('room-2');
        await store.scavenge();
        const left = await readWholeLog(store);
        expect(left.map((e) => e.data)).toEqual([{ n: 4 }, { n: 6 }]);
        expect((await readAllPaged(store, { tags: ['room:1'] }, 1)).map((e) => e.data)).toEqual([{ n: 4 }, { n: 6 }]);
        expect(await readAllPaged(store, { tags: ['n:2'] }, 10)).toEqual([]);
        expect((await readAllPaged(store, { query: [{ tags: ['room:1'] }, { types: ['Booked'] }] }, 10)).map((e) => e.data)).toEqual([{ n: 4 }, { n: 6 }]);
        await store.tombstoneStream('room-3');
        await store.scavenge();
        expect((await readAllPaged(store, { tags: ['room:1'] }, 10)).map((e) => e.data)).toEqual([{ n: 4 }]);
        // a conditional append does not see scavenged events either
        await store.append('room-9', [event('Booked', {}, { tags: ['n:2'] })], { condition: { failIfEventsMatch: [{ tags: ['n:2'] }], after: 0 } });
      });
    });

    describe('bad tags and queries: a coded error, nothing written', () => {
      const badTags: { name: string; tags: unknown }[] = [
        { name: 'an empty tag', tags: [''] },
        { name: 'a tag of 257 characters', tags: ['x'.repeat(257)] },
        { name: 'a control character', tags: ['room\u00071'] },
        { name: 'a newline', tags: ['room:1\n'] },
        { name: 'a zero-width space (U+200B)', tags: ['room:\u200b1'] },
        { name: 'a right-to-left override (U+202E)', tags: ['\u202eroom:1'] },
        { name: 'a lone surrogate', tags: ['room:\ud8001'] },
        { name: 'the same tag twice', tags: ['room:1', 'guest:ada', 'room:1'] },
        { name: '33 tags', tags: Array.from({ length: 33 }, (_, i) => `t:${i}`) },
        { name: 'a tag that is not a string', tags: ['room:1', 7] },
        { name: 'tags that are not a list', tags: 'room:1' },
      ];
      for (const { name, tags } of badTags) {
        it(`${name}: INVALID_TAG on append, appendMany and reads`, async () => {
          await withStore(harness, async (store) => {
            await store.append('room-1', [event('Booked', {}, { tags: ['room:1'] })]);
            const before = (await readWholeLog(store)).map((e) => e.id);
            await expectCode(store.append('room-1', [event('Booked'), event('Booked', {}, { tags } as never)]), 'INVALID_TAG');
            await expectCode(
              store.appendMany([
                { stream: 'room-2', events: [event('Booked')] },
                { stream: 'room-3', events: [event('Booked', {}, { tags } as never)] },
              ]),
              'INVALID_TAG',
            );
            expect((await readWholeLog(store)).map((e) => e.id)).toEqual(before);
            await expectCode(store.readAll({ tags: tags as string[] }), 'INVALID_TAG');
            await expectCode(store.readAll({ query: [{ tags: tags as string[] }] }), 'INVALID_TAG');
          });
        });
      }

      it('32 tags on one event are accepted', async () => {
        await withStore(harness, async (store) => {
          const tags = Array.from({ length: 32 }, (_, i) => `t:${i}`);
          await store.append('room-1', [event('Booked', {}, { tags })]);
          expect((await store.readAll({ tags: ['t:31', 't:0'] })).events.map((e) => e.tags)).toEqual([tags]);
        });
      });

      const badQueries: { name: string; query: unknown }[] = [
        { name: 'a query with no items', query: [] },
        { name: 'an item with neither types nor tags', query: [{ tags: ['room:1'] }, {}] },
        { name: 'an item with empty types and tags', query: [{ types: [], tags: [] }] },
        { name: 'an item with an unknown field', query: [{ tag: ['room:1'] }] },
        { name: 'an item that is not an object', query: ['room:1'] },
        { name: 'a query that is not a list', query: { tags: ['room:1'] } },
        { name: 'an empty type', query: [{ types: [''] }] },
        { name: '101 items', query: Array.from({ length: 101 }, (_, i) => ({ tags: [`room:${i}`] })) },
      ];
      for (const { name, query } of badQueries) {
        it(`${name}: INVALID_QUERY on reads`, async () => {
          await withStore(harness, async (store) => {
            await store.append('room-1', [event('Booked', {}, { tags: ['room:1'] })]);
            await expectCode(store.readAll({ query: query as EventQuery }), 'INVALID_QUERY');
          });
        });
      }

      it('a read by query with types, tags or a stream prefix beside it: INVALID_QUERY', async () => {
        await withStore(harness, async (store) => {
          const query: EventQuery = [{ tags: ['room:1'] }];
          await expectCode(store.readAll({ query, types: ['Booked'] }), 'INVALID_QUERY');
          await expectCode(store.readAll({ query, tags: ['room:1'] }), 'INVALID_QUERY');
          await expectCode(store.readAll({ query, streamPrefix: 'room-' }), 'INVALID_QUERY');
        });
      });
    });
  });
}
