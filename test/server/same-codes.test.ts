import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventData } from '../../src/core/event.js';
import type { StreamAppend } from '../../src/core/stream-appends.js';
import type { ReadAllOptions } from '../../src/store/event-store.js';
import { withServer } from './support.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 25) * 12;
const folder = mkdtempSync(join(tmpdir(), 'tributary-same-codes-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const deep = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;
const json = fc.jsonValue({ maxDepth: 3 });
const oddText = fc.constantFrom('', 'A\ud800', '\udc00', 'A\u0000', 'tab\tx', 'x'.repeat(257), '\u202eA', 'Placed', 'naïve ☕');
const absent = fc.constant(undefined);
// usually a valid value, so that the checks behind the first one are reached and some appends succeed
const usually = <T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: other });
const type = usually(fc.constantFrom('Placed', 'Paid', 'naïve ☕'), fc.oneof(oddText, fc.string({ maxLength: 8 }), json));
const id = usually(absent, fc.oneof(fc.uuid(), fc.constantFrom('0190F7A4-2222-7000-8000-000000000001', 'not-a-uuid'), json));
const data = usually(json, fc.oneof(absent, fc.constantFrom(deep(64), deep(65), { a: deep(63) }, { a: deep(64) }, JSON.parse('{"__proto__":1,"constructor":{"prototype":2}}') as unknown, '\ud800')));
const metadata = usually(
  fc.oneof(absent, fc.constant(null), fc.constantFrom({ correlationId: 'c-1' }, { deep: deep(63) })),
  fc.oneof(fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), oddText, fc.constantFrom('correlationId', 'causationId')), json, { maxKeys: 3 }), fc.constant({ deep: deep(64) }), json),
);
const tags = usually(
  fc.oneof(absent, fc.constantFrom(['customer:1'], ['customer:1', 'room:2'], [], ['a,b'])),
  fc.oneof(
    fc.constantFrom([''], ['a', 'a'], 'customer:1', [1], ['x'.repeat(257)], ['tab\tx'], ['\u202eA'], ['A\ud800'], null),
    fc.constant(Array.from({ length: 33 }, (_, index) => `t${index}`)),
    json,
  ),
);
const event = usually(fc.record({ id, type, data, metadata, tags, extra: usually(absent, json) }), json);
const expectedRevision = usually(
  fc.constantFrom(undefined, 'any', 'no_stream', 'stream_exists', 0),
  fc.oneof(fc.constantFrom('latest', '0x1', '1', 1, -1, 1.5, 2 ** 53, null), json),
);
const events = usually(fc.array(event, { minLength: 1, maxLength: 3 }), fc.oneof(fc.constant([]), absent, json));
const queryItem = usually(
  fc.oneof(fc.constant({ tags: ['customer:1'] }), fc.constant({ types: ['Paid', 'Placed'] }), fc.constant({ types: ['Placed'], tags: ['room:2'] })),
  fc.oneof(fc.constantFrom({}, { types: [] }, { tags: [] }, { types: [''] }, { types: 'Placed' }, { tags: [''] }, { tags: 'x' }, { kind: 'x' }), json),
);
const query = usually(fc.array(queryItem, { minLength: 1, maxLength: 2 }), fc.oneof(fc.constant([]), absent, json));
const after = usually(fc.oneof(absent, fc.nat(8)), fc.oneof(fc.constantFrom(-1, 1.5, '3', null, 2 ** 53), json));
const condition = usually(
  fc.oneof(absent, fc.record({ failIfEventsMatch: query, after })),
  fc.oneof(fc.record({ failIfEventsMatch: query, after, categories: fc.oneof(fc.constant(['order']), json), extra: usually(absent, json) }), json),
);
const body = fc.record({ expectedRevision, events, condition });
const streamName = usually(fc.constantFrom('acct-1', 'acct-2', 'order-1'), fc.oneof(oddText, json));
const part = usually(fc.record({ stream: streamName, expectedRevision, events, extra: usually(absent, json) }), json);
const manyBody = fc.record({ appends: usually(fc.array(part, { minLength: 1, maxLength: 3 }), fc.oneof(fc.constant([]), absent, json)), condition });
// never absent: without a query the library reads the whole log, which this route is not for
const readQuery = usually(fc.array(queryItem, { minLength: 1, maxLength: 2 }), fc.oneof(fc.constant([]), json.filter((value) => value !== null)));
// the log below holds positions 1 to 4; a time before it, one after it, and points no door may take
const asOf = usually(
  fc.oneof(absent, fc.constantFrom(1, 2, 4, '3', '2001-01-01', '2999-01-01T00:00:00Z')),
  fc.oneof(fc.constantFrom(0, 5, -1, 1.5, '0', 'yesterday', '2026-02-30', '2026-03-01T25:00Z', null, true, []), json),
);
const queryBody = fc.record({ query: readQuery, after, asOf, limit: usually(fc.oneof(absent, fc.integer({ min: 1, max: 5 })), fc.constantFrom(0, -1, 1.5, '2', 10_001, null)), categories: usually(fc.oneof(absent, fc.constantFrom(['order'], ['acct', 'order'], [])), fc.oneof(fc.constantFrom([''], [1], 'order'), json)) });

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: Error & { code?: string }) => error.code ?? `uncoded ${error.message}`,
  );

describe('one set of rules for HTTP and the library', () => {
  it('an append body gets the code store.append gives for the same values, or both accept it', async () => {
    const library = openSqliteStore({ path: join(folder, 'library.db') });
    try {
      await withServer({}, async ({ app, store }) => {
        let run = 0;
        const seen = new Map<string, number>();
        await fc.assert(
          fc.asyncProperty(body, async (sent) => {
            // a fresh stream per case, the same on both sides, so both stores stay in step
            const stream = `order-${run++}`;
            const text = JSON.stringify(sent);
            const received = JSON.parse(text) as { expectedRevision?: never; events?: EventData[]; condition?: never };
            const expected = await outcome(
              library.append(stream, received.events as EventData[], { expectedRevision: received.expectedRevision, condition: received.condition }),
            );
            const before = await store.headPosition();
            const response = await app.inject({ method: 'POST', url: `/streams/${stream}`, payload: text, headers: { 'content-type': 'application/json' } });
            const answered = response.statusCode === 201 ? 'accepted' : (JSON.parse(response.body) as { error: { code: string } }).error.code;
            expect({ text, answered }).toEqual({ text, answered: expected });
            seen.set(answered, (seen.get(answered) ?? 0) + 1);
            if (answered !== 'accepted') expect(await store.headPosition()).toBe(before);
          }),
          { numRuns: RUNS },
        );
        expect(await store.headPosition()).toBe(await library.headPosition());
        // the bodies reach every rule: accepted ones, and each code an append can be refused with
        expect([...seen.keys()]).toEqual(
          expect.arrayContaining(['INVALID_EVENT', 'INVALID_EXPECTED_REVISION', 'WRONG_EXPECTED_REVISION', 'INVALID_TAG', 'INVALID_QUERY', 'APPEND_CONDITION_FAILED', 'accepted']),
        );
      });
    } finally {
      await library.close();
    }
  });

  it('a POST /streams body gets the code store.appendMany gives for the same values, or both accept it with the same result', async () => {
    const library = openSqliteStore({ path: join(folder, 'library-many.db') });
    try {
      await withServer({}, async ({ app, store }) => {
        const seen = new Map<string, number>();
        await fc.assert(
          fc.asyncProperty(manyBody, async (sent) => {
            const text = JSON.stringify(sent);
            const received = JSON.parse(text) as { appends?: StreamAppend[]; condition?: never };
            const expected = await outcome(library.appendMany(received.appends as StreamAppend[], { condition: received.condition }));
            const before = await store.headPosition();
            const response = await app.inject({ method: 'POST', url: '/streams', payload: text, headers: { 'content-type': 'application/json' } });
            const answered = response.statusCode === 201 ? 'accepted' : (JSON.parse(response.body) as { error: { code: string } }).error.code;
            expect({ text, answered }).toEqual({ text, answered: expected });
            seen.set(answered, (seen.get(answered) ?? 0) + 1);
            if (answered !== 'accepted') expect(await store.headPosition()).toBe(before);
          }),
          { numRuns: RUNS },
        );
        expect(await store.headPosition()).toBe(await library.headPosition());
        expect([...seen.keys()]).toEqual(
          expect.arrayContaining(['INVALID_APPENDS', 'INVALID_STREAM_NAME', 'INVALID_EVENT', 'INVALID_TAG', 'INVALID_QUERY', 'INVALID_EXPECTED_REVISION', 'accepted']),
        );
      });
    } finally {
      await library.close();
    }
  });

  it('a POST /all/query body gets the code store.readAll gives for the same query, or both answer the same page', async () => {
    await withServer({}, async ({ app, store }) => {
      await store.append('order-1', [{ type: 'Placed', data: {}, tags: ['customer:1', 'room:2'] }, { type: 'Paid', data: {} }]);
      await store.append('acct-1', [{ type: 'Placed', data: {}, tags: ['room:2'] }, { type: 'Opened', data: {}, tags: ['customer:1'] }]);
      const seen = new Map<string, number>();
      const positions = (page: { events: { position: number }[]; next: number | null }) => ({ positions: page.events.map((e) => e.position), next: page.next });
      await fc.assert(
        fc.asyncProperty(queryBody, async (sent) => {
          const text = JSON.stringify(sent);
          const received = JSON.parse(text) as ReadAllOptions;
          const expected = await store.readAll({ query: received.query, after: received.after, limit: received.limit, categories: received.categories, asOf: received.asOf }).then(
            (page) => positions(page),
            (error: Error & { code?: string }) => error.code ?? `uncoded ${error.message}`,
          );
          const response = await app.inject({ method: 'POST', url: '/all/query', payload: text, headers: { 'content-type': 'application/json' } });
          const answered = response.statusCode === 200 ? positions(JSON.parse(response.body) as never) : (JSON.parse(response.body) as { error: { code: string } }).error.code;
          expect({ text, answered }).toEqual({ text, answered: expected });
          const kind = typeof answered === 'string' ? answered : 'accepted';
          seen.set(kind, (seen.get(kind) ?? 0) + 1);
        }),
        { numRuns: RUNS },
      );
      expect([...seen.keys()]).toEqual(expect.arrayContaining(['INVALID_QUERY', 'INVALID_TAG', 'INVALID_ARGUMENT', 'INVALID_AS_OF', 'accepted']));
    });
  });
});
