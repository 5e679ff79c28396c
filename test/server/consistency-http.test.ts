import { describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { mintToken } from '../../src/server/tokens.js';
import { OpenApiContract } from './openapi.js';
import { withServer } from './support.js';

const json = (response: LightMyRequestResponse) => JSON.parse(response.body) as Record<string, unknown>;
const errorOf = (response: LightMyRequestResponse) => json(response)['error'] as { code: string } & Record<string, unknown>;
const streamsOf = (response: LightMyRequestResponse) => (json(response)['events'] as { stream: string }[]).map((event) => event.stream);
const placed = (tags?: string[]) => ({ type: 'Placed', data: { total: 1 }, ...(tags === undefined ? {} : { tags }) });

describe('POST /streams: several streams at once', () => {
  it('writes every stream at contiguous positions and answers one result per stream, as /openapi.json says', async () => {
    await withServer({}, async ({ app, store }) => {
      const contract = await OpenApiContract.load(app);
      await store.append('account-1', [{ type: 'Opened', data: {} }]);
      const payload = {
        appends: [
          { stream: 'account-1', expectedRevision: 0, events: [{ type: 'Debited', data: { amount: 5 }, tags: ['transfer:t1'] }] },
          { stream: 'account-2', expectedRevision: 'no_stream', events: [{ type: 'Credited', data: { amount: 5 }, tags: ['transfer:t1'] }, placed()] },
        ],
      };
      const response = await app.inject({ method: 'POST', url: '/streams', payload });
      expect(response.statusCode, response.body).toBe(201);
      contract.check('POST', '/streams', 201, json(response));
      expect(json(response)).toMatchObject({
        position: 4,
        streams: [
          { stream: 'account-1', nextExpectedRevision: 1, position: 2, events: [{ revision: 1, position: 2 }] },
          { stream: 'account-2', nextExpectedRevision: 1, position: 4, events: [{ revision: 0, position: 3 }, { revision: 1, position: 4 }] },
        ],
      });
      const tagged = await app.inject({ method: 'GET', url: '/all?tag=transfer:t1' });
      contract.check('GET', '/all', 200, json(tagged));
      expect(json(tagged)['events']).toMatchObject([
        { stream: 'account-1', tags: ['transfer:t1'] },
        { stream: 'account-2', tags: ['transfer:t1'] },
      ]);
    });
  });

  it('writes nothing when one stream of five is not at its expected revision, and answers a retry with the original result', async () => {
    await withServer({}, async ({ app, store }) => {
      await store.append('room-3', [{ type: 'Built', data: {} }]);
      const streams = ['room-1', 'room-2', 'room-3', 'room-4', 'room-5'];
      const wrong = { appends: streams.map((stream) => ({ stream, expectedRevision: 'no_stream', events: [placed()] })) };
      const refused = await app.inject({ method: 'POST', url: '/streams', payload: wrong });
      expect([refused.statusCode, errorOf(refused).code]).toEqual([409, 'WRONG_EXPECTED_REVISION']);
      expect(await store.headPosition()).toBe(1);

      const ids = streams.map((_, index) => `0190f7a4-6666-7000-8000-00000000000${index}`);
      const once = { appends: streams.map((stream, index) => ({ stream, events: [{ ...placed(), id: ids[index] }] })) };
      const first = await app.inject({ method: 'POST', url: '/streams', payload: once });
      const again = await app.inject({ method: 'POST', url: '/streams', payload: once });
      expect(first.statusCode).toBe(201);
      expect([again.statusCode, json(again)]).toEqual([201, json(first)]);
      expect(await store.headPosition()).toBe(6);
    });
  });

  it('refuses bad calls with the store codes, naming the part, and the server limits with 413, storing nothing', async () => {
    await withServer({ limits: { eventsPerAppend: 3, eventBytes: 1024 } }, async ({ app, store }) => {
      const contract = await OpenApiContract.load(app);
      const many = (count: number) => Array.from({ length: count }, (_, index) => ({ stream: `order-${index}`, events: [placed()] }));
      const cases: [unknown, number, string][] = [
        [{ appends: [] }, 400, 'INVALID_APPENDS'],
        [{ appends: many(101) }, 400, 'INVALID_APPENDS'],
        [{ appends: [{ stream: 'order-1', events: [placed()] }, { stream: 'order-1', events: [placed()] }] }, 400, 'INVALID_APPENDS'],
        [{ appends: [{ stream: 'order-1', events: [placed()], extra: 1 }] }, 400, 'INVALID_APPENDS'],
        // the store's limit of 1,000 events wins over the server's smaller one: the library says the same
        [{ appends: [{ stream: 'order-1', events: Array.from({ length: 1001 }, () => placed()) }] }, 400, 'INVALID_APPENDS'],
        [{ appends: [{ stream: '-order', events: [placed()] }] }, 400, 'INVALID_STREAM_NAME'],
        [{ appends: [{ stream: 'order-1', expectedRevision: '1', events: [placed()] }] }, 400, 'INVALID_EXPECTED_REVISION'],
        [{ appends: [{ stream: 'order-1', events: [] }] }, 400, 'INVALID_EVENT'],
        // a bad tag in the first part wins over a malformed event in the second, as in the library
        [{ appends: [{ stream: 'order-1', events: [placed([''])] }, { stream: 'order-2', events: [{ type: 'X' }] }] }, 400, 'INVALID_TAG'],
        [{ appends: [{ stream: 'order-1', events: [placed(['a', 'a'])] }] }, 400, 'INVALID_TAG'],
        [{ appends: [{ stream: 'order-1', events: [placed(Array.from({ length: 33 }, (_, index) => `t${index}`))] }] }, 400, 'INVALID_TAG'],
        [{ appends: [{ stream: 'order-1', events: [placed()] }], condition: { failIfEventsMatch: [] } }, 400, 'INVALID_QUERY'],
        [{ appends: [{ stream: 'order-1', events: [placed()] }], condition: { failIfEventsMatch: [{}] } }, 400, 'INVALID_QUERY'],
        [{ appends: [{ stream: 'order-1', events: [placed()] }], condition: { failIfEventsMatch: [{ tags: ['a'] }], after: -1 } }, 400, 'INVALID_QUERY'],
        [{ appends: [{ stream: 'order-1', events: [placed()] }], condition: { failIfEventsMatch: [{ tags: ['a\u0000'] }] } }, 400, 'INVALID_TAG'],
        [{ appends: many(4) }, 413, 'TOO_MANY_EVENTS'],
        [{ appends: [{ stream: 'order-1', events: [placed()] }, { stream: 'order-2', events: [{ type: 'X', data: 'x'.repeat(2000) }] }] }, 413, 'EVENT_TOO_LARGE'],
      ];
      for (const [payload, status, code] of cases) {
        const response = await app.inject({ method: 'POST', url: '/streams', payload: payload as object });
        expect([JSON.stringify(payload).slice(0, 120), response.statusCode, errorOf(response).code]).toEqual([JSON.stringify(payload).slice(0, 120), status, code]);
        contract.check('POST', '/streams', status, json(response));
      }
      const tooLarge = await app.inject({ method: 'POST', url: '/streams', payload: cases.at(-1)![0] as object });
      expect(errorOf(tooLarge)).toMatchObject({ append: 1, index: 0 });
      expect(await store.headPosition()).toBe(0);
    });
  });
});

describe('conditional appends over HTTP', () => {
  it('refuse with 409 APPEND_CONDITION_FAILED naming the positions, on both append routes, and pass when the match is before `after`', async () => {
    await withServer({}, async ({ app, store }) => {
      const contract = await OpenApiContract.load(app);
      await store.append('user-1', [{ type: 'UsernameClaimed', data: {}, tags: ['username:ada'] }]);
      const condition = (after: number) => ({ failIfEventsMatch: [{ types: ['UsernameClaimed'], tags: ['username:ada'] }], after });
      const one = await app.inject({
        method: 'POST',
        url: '/streams/user-2',
        payload: { events: [{ type: 'UsernameClaimed', data: {}, tags: ['username:ada'] }], condition: condition(0) },
      });
      expect(one.statusCode).toBe(409);
      contract.check('POST', '/streams/{stream}', 409, json(one));
      expect(errorOf(one)).toMatchObject({ code: 'APPEND_CONDITION_FAILED', after: 0, positions: [1] });
      const many = await app.inject({ method: 'POST', url: '/streams', payload: { appends: [{ stream: 'user-2', events: [placed()] }], condition: condition(0) } });
      expect(errorOf(many)).toMatchObject({ code: 'APPEND_CONDITION_FAILED', after: 0, positions: [1] });
      expect(await store.headPosition()).toBe(1);

      const passed = await app.inject({ method: 'POST', url: '/streams/user-2', payload: { events: [placed()], condition: condition(1) } });
      expect(passed.statusCode).toBe(201);
      const passedMany = await app.inject({ method: 'POST', url: '/streams', payload: { appends: [{ stream: 'user-3', events: [placed()] }], condition: condition(1) } });
      expect(passedMany.statusCode).toBe(201);
    });
  });
});

describe('reads by tag and by query', () => {
  it('GET /all?tag= ANDs repeated tags and never splits one at a comma; POST /all/query ORs items and pages', async () => {
    await withServer({}, async ({ app, store }) => {
      const contract = await OpenApiContract.load(app);
      await store.append('room-1', [{ type: 'Booked', data: {}, tags: ['room:1', 'day:mon'] }]);
      await store.append('room-2', [{ type: 'Booked', data: {}, tags: ['room:2', 'day:mon'] }]);
      await store.append('room-1', [{ type: 'Cancelled', data: {}, tags: ['room:1', 'a,b'] }]);
      await store.append('guest-1', [{ type: 'Arrived', data: {}, tags: ['day:mon'] }]);
      const get = (url: string) => app.inject({ method: 'GET', url });
      expect(streamsOf(await get('/all?tag=room:1&tag=day:mon'))).toEqual(['room-1']);
      expect(streamsOf(await get('/all?tag=day:mon&category=room'))).toEqual(['room-1', 'room-2']);
      expect(streamsOf(await get('/all?tag=day:mon&type=Arrived'))).toEqual(['guest-1']);
      expect(streamsOf(await get(`/all?tag=${encodeURIComponent('a,b')}`))).toEqual(['room-1']);
      expect(streamsOf(await get('/all?tag=a'))).toEqual([]);
      expect(errorOf(await get('/all?tag=')).code).toBe('INVALID_TAG');

      const query = (payload: unknown) => app.inject({ method: 'POST', url: '/all/query', payload: payload as object });
      const both = await query({ query: [{ tags: ['room:2'] }, { types: ['Cancelled', 'Arrived'] }] });
      contract.check('POST', '/all/query', 200, json(both));
      expect(json(both)['events']).toMatchObject([{ stream: 'room-2', position: 2 }, { type: 'Cancelled', position: 3 }, { type: 'Arrived', position: 4 }]);
      const paged = await query({ query: [{ tags: ['day:mon'] }], after: 1, limit: 1 });
      expect(json(paged)).toMatchObject({ events: [{ position: 2 }], next: 2 });
      expect(streamsOf(await query({ query: [{ tags: ['day:mon'] }], categories: ['guest'] }))).toEqual(['guest-1']);
      for (const [payload, code] of [
        [{ query: [] }, 'INVALID_QUERY'],
        [{ query: [{}] }, 'INVALID_QUERY'],
        [{ query: [{ tags: [''] }] }, 'INVALID_TAG'],
        [{ query: [{ types: ['A'], extra: 1 }] }, 'INVALID_QUERY'],
        [{}, 'INVALID_QUERY'],
        [{ query: [{ types: ['A'] }], after: -1 }, 'INVALID_ARGUMENT'],
        [{ query: [{ types: ['A'] }], limit: 0 }, 'INVALID_ARGUMENT'],
        [{ query: [{ types: ['A'] }], extra: true }, 'INVALID_REQUEST'],
      ] as const) {
        const refused = await query(payload);
        expect([JSON.stringify(payload), refused.statusCode, errorOf(refused).code]).toEqual([JSON.stringify(payload), 400, code]);
        contract.check('POST', '/all/query', 400, json(refused));
      }
    });
  });

  it('GET /all/subscribe refuses a bad tag before the stream opens, with the store code', async () => {
    await withServer({}, async ({ app }) => {
      for (const url of ['/all/subscribe?tag=', `/all/subscribe?tag=${'x'.repeat(257)}`, '/all/subscribe?tag=a&tag=a']) {
        const refused = await app.inject({ method: 'GET', url, headers: { accept: 'text/event-stream' } });
        expect([url, refused.statusCode, errorOf(refused).code]).toEqual([url, 400, 'INVALID_TAG']);
      }
    });
  });
});

describe('a token of another team', () => {
  it('cannot write through POST /streams, and one refused stream refuses the whole call', async () => {
    await withServer({ open: false }, async ({ app, store, token }) => {
      const orders = await token('write:order');
      const writeAll = await token('write:*');
      const mixed = { appends: [{ stream: 'order-1', events: [placed()] }, { stream: 'payment-1', events: [placed()] }] };
      const refused = await app.inject({ method: 'POST', url: '/streams', payload: mixed, headers: orders });
      expect([refused.statusCode, errorOf(refused)]).toEqual([403, expect.objectContaining({ code: 'FORBIDDEN', stream: 'payment-1' })]);
      const own = await app.inject({ method: 'POST', url: '/streams', payload: { appends: [{ stream: '$audit-1', events: [placed()] }] }, headers: orders });
      expect(own.statusCode).toBe(403);
      expect(await store.headPosition()).toBe(0);
      expect((await app.inject({ method: 'POST', url: '/streams', payload: mixed, headers: writeAll })).statusCode).toBe(201);
    });
  });

  it('sees conditions narrowed to its own categories: another team’s events never fail them, and naming its category is 403', async () => {
    await withServer({ open: false }, async ({ app, store, token }) => {
      const orders = await token('write:order');
      const admin = await token('admin');
      await store.append('payment-1', [{ type: 'Paid', data: {}, tags: ['customer:7'] }]);
      const condition = { failIfEventsMatch: [{ tags: ['customer:7'] }] };
      const append = (url: string, payload: object, headers: { authorization: string }) => app.inject({ method: 'POST', url, payload, headers });
      expect((await append('/streams', { appends: [{ stream: 'order-2', events: [placed()] }], condition }, orders)).statusCode).toBe(201);
      expect((await append('/streams/order-1', { events: [placed(['customer:7'])], condition }, orders)).statusCode).toBe(201);
      // once an order event matches, the narrowed condition fails, naming only positions the token may read
      const failed = await append('/streams/order-3', { events: [placed()], condition }, orders);
      expect(errorOf(failed)).toMatchObject({ code: 'APPEND_CONDITION_FAILED', positions: [3] });
      const named = await append('/streams/order-3', { events: [placed()], condition: { ...condition, categories: ['payment'] } }, orders);
      expect([named.statusCode, errorOf(named).code]).toEqual([403, 'FORBIDDEN']);
      const byAdmin = await append('/streams/order-3', { events: [placed()], condition }, admin);
      expect(errorOf(byAdmin)).toMatchObject({ code: 'APPEND_CONDITION_FAILED', positions: [1, 3] });
      expect(await store.headPosition()).toBe(3);
    });
  });

  it('reads nothing of another team through ?tag= or POST /all/query, and a token that may read no category reads nothing', async () => {
    await withServer({ open: false }, async ({ app, store, token }) => {
      const orders = await token('read:order');
      await store.append('payment-1', [{ type: 'Paid', data: {}, tags: ['customer:7'] }]);
      await store.append('order-1', [{ type: 'Placed', data: {}, tags: ['customer:7'] }]);
      const tagged = await app.inject({ method: 'GET', url: '/all?tag=customer:7', headers: orders });
      expect(streamsOf(tagged)).toEqual(['order-1']);
      const asked = await app.inject({ method: 'GET', url: '/all?tag=customer:7&category=payment', headers: orders });
      expect(asked.statusCode).toBe(403);
      const query = (payload: object) => app.inject({ method: 'POST', url: '/all/query', payload, headers: orders });
      expect(streamsOf(await query({ query: [{ tags: ['customer:7'] }, { types: ['Paid'] }] }))).toEqual(['order-1']);
      expect((await query({ query: [{ types: ['Paid'] }], categories: ['payment'] })).statusCode).toBe(403);

      const { token: secret, record } = mintToken('unparsable', ['read:order']);
      await store.tokens!.create({ ...record, scopes: ['read:order:typo'] });
      const nothing = { authorization: `Bearer ${secret}` };
      expect((await app.inject({ method: 'GET', url: '/all', headers: nothing })).statusCode).toBe(403);
      expect((await app.inject({ method: 'POST', url: '/all/query', payload: { query: [{ types: ['Paid'] }] }, headers: nothing })).statusCode).toBe(403);
    });
  });
});
