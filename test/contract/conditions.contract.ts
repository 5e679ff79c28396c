import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import type { RecordedEvent } from '../../src/core/event.js';
import type { AppendCondition, EventQuery } from '../../src/core/event-query.js';
import type { EventStore } from '../../src/store/event-store.js';
import { event, expectCode, readWholeLog, withStore, type StoreHarness } from './harness.js';

const DEFAULT_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 25);

/** What decides whether a username is free: its claims and releases. */
function claimsOf(username: string): EventQuery {
  return [{ types: ['UsernameClaimed', 'UsernameReleased'], tags: [`username:${username}`] }];
}

function claim(username: string, data: unknown = {}) {
  return event('UsernameClaimed', data, { tags: [`username:${username}`] });
}

async function logIds(store: EventStore) {
  return (await readWholeLog(store)).map((e) => e.id);
}

export function conditionsContract(harness: StoreHarness): void {
  describe('conditional appends', () => {
    it('pass when nothing matching the query was appended after `after`, and write like a plain append', async () => {
      await withStore(harness, async (store) => {
        await store.append('user-1', [claim('bob')]);
        const head = await store.headPosition();
        const result = await store.append('user-2', [claim('ada')], { condition: { failIfEventsMatch: claimsOf('ada'), after: head } });
        expect(result.events[0]).toMatchObject({ revision: 0, position: 2 });
        const fromStart = await store.append('user-3', [claim('eve')], { condition: { failIfEventsMatch: claimsOf('eve'), after: 0 } });
        expect(fromStart.position).toBe(3);
        const noAfter = await store.append('user-4', [claim('joe')], { condition: { failIfEventsMatch: claimsOf('joe') } });
        expect(noAfter.position).toBe(4);
        expect((await readWholeLog(store)).map((e) => e.tags)).toEqual([['username:bob'], ['username:ada'], ['username:eve'], ['username:joe']]);
      });
    });

    it('pass when the query matches only events at or before `after`', async () => {
      await withStore(harness, async (store) => {
        await store.append('user-1', [claim('ada')]);
        await store.append('user-1', [event('UsernameReleased', {}, { tags: ['username:ada'] })]);
        await store.append('other-1', [event('Noise'), event('UsernameClaimed', {}, { tags: ['username:bob'] })]);
        const result = await store.append('user-2', [claim('ada')], { condition: { failIfEventsMatch: claimsOf('ada'), after: 2 } });
        expect(result.position).toBe(5);
        const atHead = await store.append('user-3', [event('Renamed', {}, { tags: ['username:ada'] })], { condition: { failIfEventsMatch: claimsOf('ada'), after: 5 } });
        expect(atHead.position).toBe(6);
      });
    });

    it('fail with APPEND_CONDITION_FAILED naming the first conflicting positions, ascending, at most 10, and write nothing', async () => {
      await withStore(harness, async (store) => {
        await store.append('room-1', [event('Opened', {}, { tags: ['room:1'] })]);
        for (let i = 0; i < 14; i++) {
          await store.append(`booking-${i}`, [event('Noise', { i }), event('RoomBooked', { i }, { tags: ['room:1', `guest:${i}`] })]);
        }
        const booked = (await readWholeLog(store)).filter((e) => e.type === 'RoomBooked').map((e) => e.position);
        const before = await logIds(store);
        const error = await expectCode(
          store.append('booking-x', [event('RoomBooked', {}, { tags: ['room:1'] })], {
            condition: { failIfEventsMatch: [{ types: ['RoomBooked'], tags: ['room:1'] }], after: 1 },
          }),
          'APPEND_CONDITION_FAILED',
        );
        expect(error.details).toMatchObject({ after: 1, positions: booked.slice(0, 10) });
        const late = await expectCode(
          store.append('booking-x', [event('RoomBooked', {}, { tags: ['room:1'] })], {
            condition: { failIfEventsMatch: [{ tags: ['guest:3'] }, { tags: ['guest:12'] }, { types: ['Nothing'] }], after: booked[2]! },
          }),
          'APPEND_CONDITION_FAILED',
        );
        expect(late.details).toMatchObject({ after: booked[2], positions: [booked[3], booked[12]] });
        expect(await logIds(store)).toEqual(before);
        expect((await store.streamInfo('booking-x')).exists).toBe(false);
      });
    });

    it('count only events of the condition\'s categories when it names some', async () => {
      await withStore(harness, async (store) => {
        await store.append('tenant1-1', [claim('ada')]);
        const ok = await store.append('tenant2-1', [claim('ada')], { condition: { failIfEventsMatch: claimsOf('ada'), after: 0, categories: ['tenant2'] } });
        expect(ok.position).toBe(2);
        await expectCode(
          store.append('tenant2-2', [claim('ada')], { condition: { failIfEventsMatch: claimsOf('ada'), after: 0, categories: ['tenant2', 'other'] } }),
          'APPEND_CONDITION_FAILED',
        );
      });
    });

    it('guard appendMany: a failed condition writes none of the streams', async () => {
      await withStore(harness, async (store) => {
        await store.append('room-7', [event('RoomBooked', {}, { tags: ['room:7'] })]);
        const condition: AppendCondition = { failIfEventsMatch: [{ types: ['RoomBooked'], tags: ['room:7'] }], after: 0 };
        const before = await logIds(store);
        const error = await expectCode(
          store.appendMany(
            [
              { stream: 'booking-1', events: [event('RoomBooked', {}, { tags: ['room:7'] })] },
              { stream: 'guest-ada', events: [event('StayPlanned')] },
            ],
            { condition },
          ),
          'APPEND_CONDITION_FAILED',
        );
        expect(error.details).toMatchObject({ after: 0, positions: [1] });
        expect(await logIds(store)).toEqual(before);
        expect((await store.streamInfo('guest-ada')).exists).toBe(false);
        const result = await store.appendMany(
          [
            { stream: 'booking-1', events: [event('RoomBooked', {}, { tags: ['room:7'] })] },
            { stream: 'guest-ada', events: [event('StayPlanned')] },
          ],
          { condition: { ...condition, after: 1 } },
        );
        expect(result.streams.map((part) => part.position)).toEqual([2, 3]);
      });
    });

    it('a retry of a conditional append returns the original result: it does not fail on its own events, nor on later ones', async () => {
      await withStore(harness, async (store) => {
        const events = [claim('ada', { n: 1 }), event('Welcomed', {}, { tags: ['username:ada'] })].map((e, i) => ({
          ...e,
          id: `00000000-0000-4000-8000-00000000000${i + 1}`,
        }));
        const condition: AppendCondition = { failIfEventsMatch: [{ tags: ['username:ada'] }], after: 0 };
        const first = await store.append('user-1', events, { condition });
        expect(await store.append('user-1', events, { condition })).toEqual(first);
        const many = await store.appendMany([{ stream: 'user-1', events }], { condition });
        expect(many.streams).toEqual([first]);
        await store.append('user-2', [claim('ada')]);
        const before = await logIds(store);
        expect(await store.append('user-1', events, { condition })).toEqual(first);
        expect(await logIds(store)).toEqual(before);
      });
    });

    it('two conditional appends in one group commit, each conflicting with the other: exactly one succeeds', async () => {
      await withStore(harness, async (store) => {
        await store.append('setup-1', [event('Started')]);
        for (let round = 0; round < 5; round++) {
          const head = await store.headPosition();
          const condition: AppendCondition = { failIfEventsMatch: claimsOf(`name${round}`), after: head };
          const outcomes = await Promise.allSettled([
            store.append(`user-a${round}`, [claim(`name${round}`, { by: 'a' })], { condition }),
            store.appendMany([{ stream: `user-b${round}`, events: [claim(`name${round}`, { by: 'b' })] }], { condition }),
          ]);
          const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
          const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          const reason = lost[0]!.reason as unknown;
          expect(isTributaryError(reason, 'APPEND_CONDITION_FAILED')).toBe(true);
          const claims = (await readWholeLog(store)).filter((e) => e.tags.includes(`username:name${round}`));
          expect(claims).toHaveLength(1);
          expect((reason as { details: { positions: number[] } }).details.positions).toEqual([claims[0]!.position]);
        }
      });
    });

    describe('bad conditions: INVALID_QUERY (or INVALID_TAG), nothing written', () => {
      const cases: { name: string; code: 'INVALID_QUERY' | 'INVALID_TAG'; condition: unknown }[] = [
        { name: 'a query with no items', code: 'INVALID_QUERY', condition: { failIfEventsMatch: [], after: 0 } },
        { name: 'no query', code: 'INVALID_QUERY', condition: { after: 0 } },
        { name: 'an item with neither types nor tags', code: 'INVALID_QUERY', condition: { failIfEventsMatch: [{ types: ['A'] }, {}], after: 0 } },
        { name: 'a negative after', code: 'INVALID_QUERY', condition: { failIfEventsMatch: claimsOf('ada'), after: -1 } },
        { name: 'a fractional after', code: 'INVALID_QUERY', condition: { failIfEventsMatch: claimsOf('ada'), after: 1.5 } },
        { name: 'an after given as text', code: 'INVALID_QUERY', condition: { failIfEventsMatch: claimsOf('ada'), after: '1' } },
        { name: 'an after of null', code: 'INVALID_QUERY', condition: { failIfEventsMatch: claimsOf('ada'), after: null } },
        { name: 'an unknown field', code: 'INVALID_QUERY', condition: { failIfEventsMatch: claimsOf('ada'), after: 0, position: 3 } },
        { name: 'a condition that is not an object', code: 'INVALID_QUERY', condition: [{ tags: ['username:ada'] }] },
        { name: 'a bad category', code: 'INVALID_QUERY', condition: { failIfEventsMatch: claimsOf('ada'), categories: [''] } },
        { name: 'an empty tag in the query', code: 'INVALID_TAG', condition: { failIfEventsMatch: [{ tags: [''] }], after: 0 } },
        { name: 'an invisible tag in the query', code: 'INVALID_TAG', condition: { failIfEventsMatch: [{ tags: ['user\u200bname:ada'] }], after: 0 } },
      ];
      for (const { name, code, condition } of cases) {
        it(`${name}: ${code}`, async () => {
          await withStore(harness, async (store) => {
            await store.append('user-1', [claim('bob')]);
            const before = await logIds(store);
            await expectCode(store.append('user-2', [claim('ada')], { condition: condition as AppendCondition }), code);
            await expectCode(store.appendMany([{ stream: 'user-2', events: [claim('ada')] }], { condition: condition as AppendCondition }), code);
            expect(await logIds(store)).toEqual(before);
          });
        });
      }
    });

    conditionsProperty(harness);
  });
}

/** One client of the property test: reads a username's state at one step, decides, and appends at a later step. */
interface Client {
  username: string;
  readAt: number;
  writeAt: number;
  viaMany: boolean;
}

const clientArb = fc.record({
  username: fc.constantFrom('ada', 'bob', 'eve'),
  readAt: fc.integer({ min: 0, max: 7 }),
  delay: fc.integer({ min: 0, max: 3 }),
  viaMany: fc.boolean(),
});

/** The last claim or release of `username` at or before `head`, read by query a page at a time. */
async function lastChange(store: EventStore, username: string, head: number) {
  let last: RecordedEvent | undefined;
  let after: number | null = 0;
  while (after !== null && after < head) {
    const page = await store.readAll({ query: claimsOf(username), after, limit: 4 });
    last = page.events.filter((e) => e.position <= head).at(-1) ?? last;
    after = page.next;
  }
  return last;
}

function conditionsProperty(harness: StoreHarness): void {
  it('property: under random interleavings of read-decide-append, a username is never held twice, and every outcome is what its condition says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(clientArb, { minLength: 2, maxLength: 16 }), async (drawn) => {
        const clients: Client[] = drawn.map(({ username, readAt, delay, viaMany }) => ({ username, readAt, writeAt: readAt + delay, viaMany }));
        await withStore(harness, async (store) => {
          // odd clients go through a second handle: their appends meet the others' in the database, not in one process's group
          const other = await harness.openAnother(store);
          try {
            await interleave(clients, [store, other]);
          } finally {
            await other.close();
          }
        });
      }),
      { numRuns: harness.propertyRuns ?? DEFAULT_RUNS },
    );
  });
}

/** Runs the clients step by step over `handles`, then checks the log against every outcome. */
async function interleave(clients: readonly Client[], handles: readonly EventStore[]): Promise<void> {
  const [store] = handles as [EventStore];
  const handleOf = (index: number) => handles[index % handles.length]!;
  const decisions = new Map<number, { after: number; type: 'UsernameClaimed' | 'UsernameReleased' }>();
  const outcomes: { client: number; after: number; position?: number; conflicts?: number[] }[] = [];
  for (let step = 0; step <= 10; step++) {
    for (const [index, client] of clients.entries()) {
      if (client.readAt !== step) continue;
      const after = await handleOf(index).headPosition();
      const held = (await lastChange(handleOf(index), client.username, after))?.type === 'UsernameClaimed';
      decisions.set(index, { after, type: held ? 'UsernameReleased' : 'UsernameClaimed' });
    }
    // every append of a step is fired at once, so they meet in one group commit or race in the database
    await Promise.all(
      clients.map(async (client, index) => {
        if (client.writeAt !== step) return;
        const { after, type } = decisions.get(index)!;
        const events = [event(type, { client: index }, { tags: [`username:${client.username}`] })];
        const condition: AppendCondition = { failIfEventsMatch: claimsOf(client.username), after };
        try {
          const position = client.viaMany
            ? (await handleOf(index).appendMany([{ stream: `user-${index}`, events }, { stream: `audit-${index}`, events: [event('Tried')] }], { condition })).streams[0]!.position
            : (await handleOf(index).append(`user-${index}`, events, { condition })).position;
          outcomes.push({ client: index, after, position });
        } catch (error) {
          if (!isTributaryError(error, 'APPEND_CONDITION_FAILED')) throw error;
          outcomes.push({ client: index, after, conflicts: (error.details as { positions: number[] }).positions });
        }
      }),
    );
  }
  const log = await readWholeLog(store);
  for (const username of ['ada', 'bob', 'eve']) {
    const changes = log.filter((e) => e.tags.includes(`username:${username}`)).map((e) => e.type);
    // claims and releases alternate, from a claim: never two holders at once
    expect(changes).toEqual(changes.map((_, i) => (i % 2 === 0 ? 'UsernameClaimed' : 'UsernameReleased')));
  }
  const matching = (client: number) => log.filter((e) => e.tags.includes(`username:${clients[client]!.username}`)).map((e) => e.position);
  for (const outcome of outcomes) {
    const others = matching(outcome.client).filter((position) => position > outcome.after);
    if (outcome.position !== undefined) {
      expect(others.filter((position) => position < outcome.position!)).toEqual([]);
    } else {
      expect(outcome.conflicts!.length).toBeGreaterThan(0);
      expect(outcome.conflicts).toEqual(others.slice(0, outcome.conflicts!.length));
    }
  }
  const audits = log.filter((e) => e.type === 'Tried').map((e) => e.stream);
  const wonViaMany = outcomes.filter((o) => o.position !== undefined && clients[o.client]!.viaMany).map((o) => `audit-${o.client}`);
  expect(audits.sort()).toEqual(wonViaMany.sort());
}
