import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withServer } from './support.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 25) * 8;

const json = fc.jsonValue({ maxDepth: 3 });
const streamName = fc.oneof(
  fc.constantFrom('order-1', 'account-12345', '-lead', '$tokens', 'a'.repeat(300), 'tab\there', 'nul\u0000x', 'ünïcødé-1', '..', 'order-1/subscribe'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const proposedEvent = fc.record(
  {
    id: maybe(fc.oneof(fc.uuid(), fc.string(), json)),
    type: fc.oneof(fc.constantFrom('Placed', '', 'x'.repeat(300), 'a\nb'), fc.string(), json),
    data: json,
    metadata: maybe(fc.oneof(fc.dictionary(fc.string(), json), json)),
    extra: maybe(json),
  },
  { requiredKeys: [] },
);
const appendBody = fc.oneof(
  fc.record(
    {
      expectedRevision: maybe(fc.oneof(fc.constantFrom('any', 'no_stream', 'stream_exists', 'latest', -1, 0, 1, 2.5), json)),
      events: fc.oneof(fc.array(proposedEvent, { maxLength: 5 }), json),
    },
    { requiredKeys: [] },
  ),
  json,
);

describe('HTTP fuzzing (fast-check)', () => {
  it('never answers 5xx to any append, and stores nothing from a rejected one', async () => {
    await withServer({ limits: { eventsPerAppend: 4, eventBytes: 2_000, bodyBytes: 16_000 } }, async ({ app, store }) => {
      await fc.assert(
        fc.asyncProperty(streamName, appendBody, fc.constantFrom('application/json', 'text/plain', undefined), async (stream, body, contentType) => {
          const before = await store.headPosition();
          const response = await app.inject({
            method: 'POST',
            url: `/streams/${encodeURIComponent(stream)}`,
            payload: JSON.stringify(body),
            headers: contentType === undefined ? {} : { 'content-type': contentType },
          });
          expect(response.statusCode).toBeLessThan(500);
          const after = await store.headPosition();
          if (response.statusCode === 201) {
            expect(after - before).toBe((body as { events: unknown[] }).events.length);
          } else {
            expect(after).toBe(before);
            expect(JSON.parse(response.body)).toMatchObject({ error: { code: expect.any(String) as unknown, message: expect.any(String) as unknown } });
          }
        }),
        { numRuns: RUNS },
      );
    });
  });

  it('never answers 5xx to reads with any stream name, query string or header', async () => {
    await withServer({}, async ({ app, store }) => {
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      const query = fc.dictionary(fc.constantFrom('from', 'limit', 'direction', 'after', 'category', 'type', 'prefix', 'other'), fc.string({ maxLength: 12 }), { maxKeys: 4 });
      await fc.assert(
        fc.asyncProperty(
          streamName,
          query,
          fc.constantFrom('/streams/{}', '/all', '/consumers/{}', '/consumers/{}/parked'),
          fc.dictionary(fc.constantFrom('last-event-id', 'authorization', 'accept'), fc.string({ maxLength: 20 }), { maxKeys: 2 }),
          async (stream, parameters, route, headers) => {
            const path = route.replace('{}', encodeURIComponent(stream) || 'x');
            const search = new URLSearchParams(parameters).toString();
            const response = await app.inject({ method: 'GET', url: `${path}${search === '' ? '' : '?'}${search}`, headers });
            expect(response.statusCode).toBeLessThan(500);
          },
        ),
        { numRuns: RUNS },
      );
      expect(await store.headPosition()).toBe(1);
    });
  });
});
