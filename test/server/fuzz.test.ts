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

  it('never answers 5xx to bodies that are not UTF-8 or nest deep, on any route that takes a body, and stores nothing', async () => {
    await withServer({}, async ({ app, store }) => {
      // each route with the bodies it takes, a deep value in place of @
      const routes = [
        ['POST', '/streams/order-1', '{"events":[{"type":"A","data":@}]}'],
        ['POST', '/streams/order-1', '{"events":[{"type":"A","data":{},"metadata":{"k":@}}]}'],
        ['POST', '/streams/order-1', '{"events":[{"type":"A","data":{},"id":@}]}'],
        ['POST', '/streams/order-1', '{"expectedRevision":@,"events":[{"type":"A","data":{}}]}'],
        ['POST', '/streams/order-1', '{"events":@}'],
        ['POST', '/streams/order-1', '@'],
        ['PUT', '/streams/order-1/metadata', '{"custom":{"k":@}}'],
        ['PUT', '/streams/order-1/metadata', '{"maxCount":@}'],
        ['PUT', '/consumers/c', '{"partitions":1,"startAt":0,"filter":{"categories":@}}'],
        ['PUT', '/consumers/c', '{"partitions":1,"startAt":0,"filter":@}'],
        ['POST', '/consumers/c/checkpoints', '{"checkpoints":[{"partition":0,"position":1,"x":@}]}'],
        ['POST', '/consumers/c/members/m/heartbeat', '{"state":"live","position":0,"leaseMs":@}'],
        ['POST', '/consumers/c/members/m/claim', '{"partitions":@}'],
        ['POST', '/consumers/c/parked', '{"position":1,"eventId":"e","stream":"s","type":"t","error":@,"attempts":1}'],
        ['PUT', '/consumers/c/fault', '{"fault":@}'],
        ['POST', '/consumers/c/parked/replay', '{"positions":@}'],
        ['POST', '/consumers/c/members/m/ack', '{"position":1,"error":@}'],
        ['POST', '/projections', '{"name":"p","version":1,"sink":"documents","fields":@}'],
        ['POST', '/projections', '{"name":"p","version":1,"sink":"documents","extra":@}'],
        ['POST', '/lake/query', '{"sql":@}'],
      ] as const;
      const invalidUtf8 = fc.constantFrom([0xff], [0xfe], [0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]);
      // described, not built, so that a failing case prints short
      const notUtf8 = fc.record({ value: fc.oneof(appendBody, json), bytes: invalidUtf8, at: fc.nat() });
      const nest = (depth: number, kind: 'array' | 'object') => (kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
      const deepBody = fc.record({
        depth: fc.oneof(fc.integer({ min: 60, max: 70 }), fc.integer({ min: 1_000, max: 120_000 })),
        kind: fc.constantFrom('array' as const, 'object' as const),
      });
      const bytesOf = (template: string, body: { value: unknown; bytes: readonly number[]; at: number } | { depth: number; kind: 'array' | 'object' }) => {
        if ('depth' in body) return Buffer.from(template.replace('@', nest(body.depth, body.kind)));
        const text = Buffer.from(JSON.stringify(body.value) ?? 'null');
        const cut = body.at % (text.length + 1);
        return Buffer.concat([text.subarray(0, cut), Buffer.from(body.bytes), text.subarray(cut)]);
      };
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), fc.oneof(notUtf8, deepBody), async ([method, url, template], body) => {
          const before = await store.headPosition();
          const response = await app.inject({ method, url, payload: bytesOf(template, body), headers: { 'content-type': 'application/json' } });
          expect(response.statusCode, `${method} ${url}: ${response.body.slice(0, 200)}`).toBeLessThan(500);
          if (response.statusCode >= 400) {
            expect(await store.headPosition()).toBe(before);
            expect(JSON.parse(response.body)).toMatchObject({ error: { code: expect.any(String) as unknown, message: expect.any(String) as unknown } });
          }
        }),
        { numRuns: RUNS },
      );
      expect((await store.listStreams()).streams.every((stream) => stream.stream === 'order-1')).toBe(true);
    });
  });
});
