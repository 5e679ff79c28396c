import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/core/errors.js';
import { HTTP_STATUS } from '../../src/server/http-errors.js';
import { OpenApiContract } from './openapi.js';
import { withServer, type TestServer } from './support.js';

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } & Record<string, unknown> }).error;

/** Posts raw JSON text (or bytes) and expects `code`, with nothing stored. */
async function refused({ app, store }: TestServer, payload: string | Buffer, code: ErrorCode, url = '/streams/order-1') {
  const before = await store.headPosition();
  const response = await app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
  const label = Buffer.isBuffer(payload) ? payload.toString('hex') : payload.slice(0, 120);
  expect([label, response.statusCode, errorOf(response.body).code]).toEqual([label, HTTP_STATUS[code], code]);
  expect(await store.headPosition()).toBe(before);
  return errorOf(response.body);
}

describe('HTTP inputs: refused as the library refuses them, with its code, storing nothing', () => {
  it('validates bodies without coercion: a non-string type is INVALID_EVENT, a revision in a string INVALID_EXPECTED_REVISION', async () => {
    await withServer({}, async (server) => {
      for (const type of ['12345', 'true', 'null', '["A"]', '{}', '""']) {
        await refused(server, `{"events":[{"type":${type},"data":{}}]}`, 'INVALID_EVENT');
      }
      for (const expected of ['"0x1"', '"1"', '"0"', '1.5', '-1', 'null', '"ANY"', '1e300', '9007199254740992']) {
        await refused(server, `{"expectedRevision":${expected},"events":[{"type":"A","data":{}}]}`, 'INVALID_EXPECTED_REVISION');
      }
      // wrong in both places: the library checks the expected revision first, and so does HTTP
      await refused(server, '{"expectedRevision":"0x1"}', 'INVALID_EXPECTED_REVISION');
      await refused(server, '{"expectedRevision":"0x1","events":[{"type":1}]}', 'INVALID_EXPECTED_REVISION');
      for (const metadata of ['"note"', '[]', '5', 'true', '{"correlationId":7}']) {
        await refused(server, `{"events":[{"type":"A","data":{},"metadata":${metadata}}]}`, 'INVALID_EVENT');
      }
      for (const events of ['[]', '{}', '"A"', 'null', '[1]', '[{"data":{}}]', '[{"type":"A"}]', '[{"type":"A","data":{},"id":7}]', '[{"type":"A","data":{},"metdata":{}}]']) {
        await refused(server, `{"events":${events}}`, 'INVALID_EVENT');
      }
      await refused(server, '{}', 'INVALID_EVENT');
      await refused(server, '{"events":[{"type":"A","data":{}}],"colour":"red"}', 'INVALID_REQUEST');
      await refused(server, '[{"type":"A","data":{}}]', 'INVALID_REQUEST');
      const accepted = await server.app.inject({ method: 'POST', url: '/streams/order-1', payload: { expectedRevision: 'no_stream', events: [{ type: 'A', data: {}, metadata: null }] } });
      expect(accepted.statusCode).toBe(201);
      const stored = await server.store.readStream('order-1');
      expect(stored.events.map((event) => [event.type, event.metadata])).toEqual([['A', {}]]);
    });
  });

  it('refuses stream metadata of the wrong kinds with INVALID_STREAM_METADATA, as store.setStreamMetadata does', async () => {
    await withServer({}, async ({ app, store }) => {
      await store.setStreamMetadata('order-1', { maxCount: 3 });
      const bodies: unknown[] = [{ maxCount: '5' }, { maxAge: true }, { maxCount: 0 }, { truncateBefore: -1 }, { truncateBefore: 1.5 }, { custom: [] }, { custom: 'x' }, { colour: 'red' }, [], 'x', { maxCount: 2 ** 60 }];
      for (const body of bodies) {
        const library = await store.setStreamMetadata('order-2', body as never).then(
          () => 'accepted',
          (error: { code: string }) => error.code,
        );
        const response = await app.inject({ method: 'PUT', url: '/streams/order-1/metadata', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        expect([body, response.statusCode, errorOf(response.body).code]).toEqual([body, 400, library]);
        expect(library).toBe('INVALID_STREAM_METADATA');
      }
      const deepCustom = `{"custom":{"a":${deep(100_000)}}}`;
      const response = await app.inject({ method: 'PUT', url: '/streams/order-1/metadata', payload: deepCustom, headers: { 'content-type': 'application/json' } });
      expect([response.statusCode, errorOf(response.body).code]).toEqual([400, 'INVALID_STREAM_METADATA']);
      expect(await store.getStreamMetadata('order-1')).toEqual({ maxCount: 3 });
      const nulls = await app.inject({ method: 'PUT', url: '/streams/order-1/metadata', payload: { maxCount: null, maxAge: 60, truncateBefore: null, custom: null } });
      expect(nulls.statusCode).toBe(204);
      expect(await store.getStreamMetadata('order-1')).toEqual({ maxAge: 60 });
    });
  });

  it('refuses data and metadata nested more than 64 deep with INVALID_EVENT, 100,000 levels included, and accepts 64', async () => {
    await withServer({}, async (server) => {
      for (const depth of [65, 1_000, 100_000]) {
        const error = await refused(server, `{"events":[{"type":"A","data":${deep(depth)}}]}`, 'INVALID_EVENT');
        expect(error.message).toMatch(/more than 64 deep/);
      }
      await refused(server, `{"events":[{"type":"A","data":{},"metadata":{"a":${deep(64)}}}]}`, 'INVALID_EVENT');
      await refused(server, `{"events":[{"type":"A","data":{}},{"type":"B","data":{"x":${deep(100_000)}}}]}`, 'INVALID_EVENT');
      // the body's shape is checked before the data, as the library would: a deep id is an id that is not a string
      await refused(server, `{"events":[{"type":"A","data":{},"id":${deep(100_000)}}]}`, 'INVALID_EVENT');
      await refused(server, `{"expectedRevision":${deep(100_000)},"events":[{"type":"A","data":{}}]}`, 'INVALID_EXPECTED_REVISION');
      const accepted = await server.app.inject({
        method: 'POST',
        url: '/streams/order-1',
        payload: `{"events":[{"type":"A","data":${deep(64)},"metadata":{"a":${deep(63)}}}]}`,
        headers: { 'content-type': 'application/json' },
      });
      expect(accepted.statusCode).toBe(201);
      expect(JSON.stringify((await server.store.readStream('order-1')).events[0]!.data)).toBe(deep(64));
    });
  });

  it('refuses bodies that are not valid UTF-8 with INVALID_REQUEST instead of storing U+FFFD', async () => {
    await withServer({}, async (server) => {
      const body = (bytes: number[]) => Buffer.concat([Buffer.from('{"events":[{"type":"A","data":"'), Buffer.from(bytes), Buffer.from('"}]}')]);
      // a stray byte, a truncated sequence, an overlong '/', an encoded surrogate, a code point past U+10FFFF
      for (const bytes of [[0xff], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]]) {
        const error = await refused(server, body(bytes), 'INVALID_REQUEST');
        expect(error.message).toMatch(/not valid UTF-8/);
      }
      const plain = await server.app.inject({ method: 'POST', url: '/streams/order-1', payload: Buffer.from([0x7b, 0xff]), headers: { 'content-type': 'text/plain' } });
      expect(errorOf(plain.body).code).toBe('INVALID_REQUEST');
      await refused(server, '', 'INVALID_REQUEST');
      await refused(server, '{"events":', 'INVALID_REQUEST');
      const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"events":[{"type":"A","data":"naïve ☕ 𝄞"}]}')]);
      const accepted = await server.app.inject({ method: 'POST', url: '/streams/order-1', payload: withBom, headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect(accepted.statusCode).toBe(201);
      expect((await server.store.readStream('order-1')).events[0]!.data).toBe('naïve ☕ 𝄞');
    });
  });

  it('refuses lone surrogates and NUL in types and metadata keys, and keeps them in data values', async () => {
    await withServer({}, async (server) => {
      for (const type of ['"A\\ud800"', '"\\udc00B"', '"A\\u0000"']) await refused(server, `{"events":[{"type":${type},"data":{}}]}`, 'INVALID_EVENT');
      for (const key of ['"\\u0000"', '"k\\ud800"', '"\\udfff"']) await refused(server, `{"events":[{"type":"A","data":{},"metadata":{${key}:1}}]}`, 'INVALID_EVENT');
      const payload = '{"events":[{"type":"A","data":{"s":"\\ud800 \\u0000 \\u202e","constructor":{"prototype":{"x":1}}},"metadata":{"note":"\\udc00"}}]}';
      const accepted = await server.app.inject({ method: 'POST', url: '/streams/order-1', payload, headers: { 'content-type': 'application/json' } });
      expect(accepted.statusCode).toBe(201);
      const [event] = (await server.store.readStream('order-1')).events;
      expect(event!.data).toEqual({ s: '\ud800 \u0000 \u202e', constructor: { prototype: { x: 1 } } });
      expect(event!.metadata).toEqual({ note: '\udc00' });
    });
  });

  it('refuses stream names with invisible format characters, NUL or broken encodings on every route that takes one', async () => {
    await withServer({}, async ({ app, store }) => {
      await store.append('order-1', [{ type: 'A', data: {} }]);
      const contract = await OpenApiContract.load(app);
      const routes: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string; suffix: string; payload?: object }[] = [
        { method: 'POST', path: '/streams/{stream}', suffix: '', payload: { events: [{ type: 'A', data: {} }] } },
        { method: 'GET', path: '/streams/{stream}', suffix: '' },
        { method: 'GET', path: '/streams/{stream}/subscribe', suffix: '/subscribe' },
        { method: 'GET', path: '/streams/{stream}/info', suffix: '/info' },
        { method: 'PUT', path: '/streams/{stream}/metadata', suffix: '/metadata', payload: { maxCount: 1 } },
        { method: 'DELETE', path: '/streams/{stream}', suffix: '' },
      ];
      for (const name of ['order-1\u202e', 'order\u200b-1', '\ufefforder-1', 'order-\u0000']) {
        for (const route of routes) {
          // a bad body too: the name is checked first, as the library checks it first
          const payload = route.payload === undefined ? undefined : { ...route.payload, events: 5 };
          const response = await app.inject({ method: route.method, url: `/streams/${encodeURIComponent(name)}${route.suffix}`, payload });
          expect([name, route.path, route.method, response.statusCode, errorOf(response.body).code]).toEqual([name, route.path, route.method, 400, 'INVALID_STREAM_NAME']);
          contract.check(route.method, route.path, 400, JSON.parse(response.body));
        }
      }
      // a lone surrogate cannot be percent-encoded as UTF-8: the bytes of one are refused before any route
      const surrogate = await app.inject({ method: 'POST', url: '/streams/order-%ED%A0%80', payload: { events: [{ type: 'A', data: {} }] } });
      expect(surrogate.statusCode).toBe(400);
      expect(['INVALID_REQUEST', 'INVALID_STREAM_NAME']).toContain(errorOf(surrogate.body).code);
      expect(await store.headPosition()).toBe(1);
      expect((await store.listStreams()).streams.map((stream) => stream.stream)).toEqual(['order-1']);
    });
  });

  it('reads query integers only as decimal text, and still takes repeated filters as lists', async () => {
    await withServer({}, async ({ app, store }) => {
      await store.append('order-1', [{ type: 'A', data: {} }]);
      await store.append('stock-1', [{ type: 'B', data: {} }]);
      for (const query of ['limit=0x10', 'limit=1e3', 'limit=%205', 'limit=5%20', 'limit=', 'limit=1.0', 'limit=%2B5', 'after=0b1', 'limit=1&limit=2']) {
        const response = await app.inject({ method: 'GET', url: `/all?${query}` });
        expect([query, response.statusCode, errorOf(response.body).code]).toEqual([query, 400, 'INVALID_REQUEST']);
      }
      const hard = await app.inject({ method: 'DELETE', url: '/streams/order-1?hard=1' });
      expect([hard.statusCode, errorOf(hard.body).code]).toEqual([400, 'INVALID_REQUEST']);
      const page = async (query: string) => (JSON.parse((await app.inject({ method: 'GET', url: `/all?${query}` })).body) as { events: { stream: string }[] }).events.map((e) => e.stream);
      expect(await page('limit=1')).toEqual(['order-1']);
      expect(await page('limit=007')).toEqual(['order-1', 'stock-1']);
      expect(await page('category=order&category=stock')).toEqual(['order-1', 'stock-1']);
      expect(await page('category=stock')).toEqual(['stock-1']);
      expect(await page('after=1&type=B')).toEqual(['stock-1']);
    });
  });
});
