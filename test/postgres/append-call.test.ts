import pg from 'pg';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { throwawayDatabase } from '../support/postgres.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());
afterEach(() => vi.restoreAllMocks());

/** The statements the store sends while `work` runs, in order, each shortened to its first words. */
async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const query = vi.spyOn(pg.Client.prototype, 'query');
  await work();
  const sent = query.mock.calls.map(([first]) => (typeof first === 'string' ? first : (first as { text: string }).text));
  vi.restoreAllMocks();
  return sent.map((text) => text.replace(/\s+/g, ' ').trim().slice(0, 40));
}

it('an append group commits in one statement, and a group the rules must decide falls back to a transaction of its own', async () => {
  const store = await openPostgresStore({ url: database!.url, schema: 'one_call', poolSize: 1 });
  try {
    await store.headPosition();
    const single = await statementsDuring(() => store.append('order-1', [{ type: 'Placed', data: {} }]));
    expect(single).toEqual([expect.stringContaining('.append_group(')]);

    const group = await statementsDuring(() =>
      Promise.all([
        store.append('order-1', [{ type: 'Paid', data: {} }], { expectedRevision: 0 }),
        store.append('order-2', [{ type: 'Placed', data: {} }, { type: 'Paid', data: {} }], { expectedRevision: 'no_stream' }),
        store.append('order-1', [{ type: 'Shipped', data: {} }], { expectedRevision: 1 }),
      ]),
    );
    expect(group).toEqual([expect.stringContaining('.append_group(')]);
    expect((await store.readStream('order-1')).events.map((e) => [e.type, e.revision, e.position])).toEqual([
      ['Placed', 0, 1],
      ['Paid', 1, 2],
      ['Shipped', 2, 5],
    ]);

    let refused: unknown;
    const mixed = await statementsDuring(() =>
      Promise.all([
        store.append('order-3', [{ type: 'Placed', data: {} }]),
        store.append('order-1', [{ type: 'Paid', data: {} }], { expectedRevision: 0 }).catch((error: unknown) => (refused = error)),
      ]),
    );
    expect(refused).toMatchObject({ code: 'WRONG_EXPECTED_REVISION' });
    expect(mixed).toEqual([expect.stringContaining('.append_group('), expect.stringMatching(/^BEGIN;/), expect.stringMatching(/^WITH created/), 'COMMIT']);
    expect((await store.readStream('order-3')).events.map((e) => [e.revision, e.position])).toEqual([[0, 6]]);
    expect(await store.headPosition()).toBe(6);
  } finally {
    await store.close();
  }
});

it('multi-stream, tagged and conditional appends commit in one statement; a condition that finds an event, or meets an earlier append of its group, is decided under the lock', async () => {
  const store = await openPostgresStore({ url: database!.url, schema: 'one_call_many', poolSize: 1 });
  const claim = (user: string, after: number) =>
    store.append(`user-${user}`, [{ type: 'Claimed', data: {}, tags: ['username:ada'] }], {
      condition: { failIfEventsMatch: [{ tags: ['username:ada'] }], after },
    });
  try {
    await store.headPosition();
    const many = await statementsDuring(() =>
      store.appendMany([
        { stream: 'account-1', events: [{ type: 'Debited', data: {}, tags: ['transfer:1'] }] },
        { stream: 'account-2', expectedRevision: 'no_stream', events: [{ type: 'Credited', data: {}, tags: ['transfer:1'] }] },
      ]),
    );
    expect(many).toEqual([expect.stringContaining('.append_group(')]);
    expect((await store.readAll({ tags: ['transfer:1'] })).events.map((e) => [e.stream, e.position, e.tags])).toEqual([
      ['account-1', 1, ['transfer:1']],
      ['account-2', 2, ['transfer:1']],
    ]);

    expect(await statementsDuring(() => claim('1', 2))).toEqual([expect.stringContaining('.append_group(')]);

    let refused: unknown;
    const found = await statementsDuring(() => claim('2', 2).catch((error: unknown) => (refused = error)));
    expect(refused).toMatchObject({ code: 'APPEND_CONDITION_FAILED', details: { after: 2, positions: [3] } });
    expect(found).toEqual([expect.stringContaining('.append_group('), expect.stringMatching(/^BEGIN;/), expect.stringMatching(/^SELECT ARRAY/), 'COMMIT']);

    const outcomes: unknown[] = [];
    const racing = await statementsDuring(() =>
      Promise.all(['3', '4'].map((user) => claim(user, 3).then((result) => outcomes.push(result.position), (error: { code: string }) => outcomes.push(error.code)))),
    );
    expect(outcomes).toEqual([4, 'APPEND_CONDITION_FAILED']);
    expect(racing).toEqual([expect.stringMatching(/^BEGIN;/), expect.stringMatching(/^SELECT ARRAY/), expect.stringMatching(/^WITH created/), 'COMMIT']);
    expect(await store.headPosition()).toBe(4);
  } finally {
    await store.close();
  }
});
