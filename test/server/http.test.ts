import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/core/errors.js';
import { HTTP_STATUS } from '../../src/server/http-errors.js';
import { OpenApiContract } from './openapi.js';
import { withServer } from './support.js';

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
const codeOf = (body: string) => (json(body)['error'] as { code: string }).code;

describe('HTTP contract (in-process)', () => {
  it('appends, reads a stream both ways, and pages the log with filters; every answer matches /openapi.json', async () => {
    await withServer({}, async ({ app }) => {
      const contract = await OpenApiContract.load(app);
      const append = async (stream: string, body: object) => {
        const response = await app.inject({ method: 'POST', url: `/streams/${stream}`, payload: body });
        contract.check('POST', '/streams/{stream}', response.statusCode, json(response.body));
        return response;
      };
      const first = await append('order-1', {
        expectedRevision: 'no_stream',
        events: [
          { type: 'Placed', data: { total: 42 }, metadata: { correlationId: 'c-1' } },
          { type: 'Paid', data: { total: 42 }, id: '0190f7a4-2222-7000-8000-000000000001' },
        ],
      });
      expect(first.statusCode).toBe(201);
      expect(json(first.body)).toMatchObject({ stream: 'order-1', nextExpectedRevision: 1, position: 2 });
      await append('stock-1', { events: [{ type: 'Reserved', data: {} }] });
      await append('order-2', { expectedRevision: 'any', events: [{ type: 'Placed', data: { total: 7 } }] });

      const forward = await app.inject({ method: 'GET', url: '/streams/order-1?limit=1' });
      contract.check('GET', '/streams/{stream}', 200, json(forward.body));
      expect(json(forward.body)).toMatchObject({ next: 1, events: [{ type: 'Placed', revision: 0, position: 1, metadata: { correlationId: 'c-1' } }] });
      const backward = await app.inject({ method: 'GET', url: '/streams/order-1?direction=backward' });
      expect((json(backward.body)['events'] as { revision: number }[]).map((e) => e.revision)).toEqual([1, 0]);
      const event = (json(backward.body)['events'] as Record<string, unknown>[])[0]!;
      expect(Object.keys(event).sort()).toEqual(['data', 'id', 'metadata', 'position', 'recordedAt', 'revision', 'stream', 'tags', 'type']);

      const all = await app.inject({ method: 'GET', url: '/all?after=0&limit=2' });
      contract.check('GET', '/all', 200, json(all.body));
      expect(json(all.body)).toMatchObject({ next: 2 });
      const orders = await app.inject({ method: 'GET', url: '/all?category=order&type=Placed' });
      expect((json(orders.body)['events'] as { stream: string }[]).map((e) => e.stream)).toEqual(['order-1', 'order-2']);
      const listed = await app.inject({ method: 'GET', url: '/all?category=order,stock&category=nothing' });
      expect(json(listed.body)['events']).toHaveLength(4);
      expect(json((await app.inject({ method: 'GET', url: '/all?prefix=order-2' })).body)['events']).toHaveLength(1);
    });
  });

  it('answers each error with its coded status and body, documented in /openapi.json, storing nothing', async () => {
    await withServer({ limits: { bodyBytes: 64 * 1024, eventsPerAppend: 3, eventBytes: 1024 } }, async ({ app, store }) => {
      const contract = await OpenApiContract.load(app);
      await store.append('order-1', [{ type: 'Placed', data: {}, id: '0190f7a4-3333-7000-8000-000000000001' }]);
      await store.append('gone-1', [{ type: 'Placed', data: {} }]);
      await store.tombstoneStream('gone-1');
      const cases: { method: 'GET' | 'POST'; url: string; path: string; payload?: unknown; headers?: Record<string, string>; code: ErrorCode }[] = [
        { method: 'POST', url: '/streams/order-1', path: '/streams/{stream}', payload: { expectedRevision: 5, events: [{ type: 'X', data: {} }] }, code: 'WRONG_EXPECTED_REVISION' },
        { method: 'GET', url: '/streams/missing-1', path: '/streams/{stream}', code: 'STREAM_NOT_FOUND' },
        { method: 'GET', url: '/streams/gone-1', path: '/streams/{stream}', code: 'STREAM_DELETED' },
        { method: 'POST', url: '/streams/gone-1', path: '/streams/{stream}', payload: { events: [{ type: 'X', data: {} }] }, code: 'STREAM_DELETED' },
        {
          method: 'POST',
          url: '/streams/order-2',
          path: '/streams/{stream}',
          payload: { events: [{ type: 'Other', data: {}, id: '0190f7a4-3333-7000-8000-000000000001' }] },
          code: 'EVENT_ID_CONFLICT',
        },
        { method: 'POST', url: '/streams/-leading', path: '/streams/{stream}', payload: { events: [{ type: 'X', data: {} }] }, code: 'INVALID_STREAM_NAME' },
        { method: 'POST', url: '/streams/order-3', path: '/streams/{stream}', payload: { events: [{ type: 'X', data: {}, id: 'not-a-uuid' }] }, code: 'INVALID_EVENT' },
        { method: 'POST', url: '/streams/order-3', path: '/streams/{stream}', payload: { events: [] }, code: 'INVALID_EVENT' },
        { method: 'POST', url: '/streams/order-3', path: '/streams/{stream}', payload: { events: [{ type: 'X', data: {} }], expectedRevision: 'latest' }, code: 'INVALID_EXPECTED_REVISION' },
        { method: 'POST', url: '/streams/order-3', path: '/streams/{stream}', payload: { events: [{ type: 'X' }] }, code: 'INVALID_EVENT' },
        { method: 'POST', url: '/streams/order-3', path: '/streams/{stream}', payload: { events: [{ type: 'X', data: {} }], colour: 'red' }, code: 'INVALID_REQUEST' },
        { method: 'GET', url: '/all?limit=0', path: '/all', code: 'INVALID_REQUEST' },
        { method: 'GET', url: '/all?after=-1', path: '/all', code: 'INVALID_REQUEST' },
        { method: 'GET', url: '/all?colour=red', path: '/all', code: 'INVALID_REQUEST' },
        { method: 'POST', url: '/streams/order-3', path: '/streams/{stream}', payload: { events: Array.from({ length: 4 }, () => ({ type: 'X', data: {} })) }, code: 'TOO_MANY_EVENTS' },
        { method: 'POST', url: '/streams/order-3', path: '/streams/{stream}', payload: { events: [{ type: 'X', data: { text: 'x'.repeat(2000) } }] }, code: 'EVENT_TOO_LARGE' },
        { method: 'POST', url: '/streams/order-3', path: '/streams/{stream}', payload: { events: [{ type: 'X', data: { text: 'x'.repeat(70_000) } }] }, code: 'PAYLOAD_TOO_LARGE' },
        { method: 'GET', url: '/consumers/nobody', path: '/consumers/{name}', code: 'CONSUMER_NOT_FOUND' },
        { method: 'GET', url: '/consumers/nobody/parked', path: '/consumers/{name}/parked', code: 'CONSUMER_NOT_FOUND' },
        { method: 'GET', url: '/streams/order-1/subscribe', path: '/streams/{stream}/subscribe', headers: { 'last-event-id': 'yesterday' }, code: 'INVALID_ARGUMENT' },
      ];
      for (const test of cases) {
        const response = await app.inject({ method: test.method, url: test.url, payload: test.payload as object, headers: test.headers });
        expect({ url: test.url, code: codeOf(response.body) }).toEqual({ url: test.url, code: test.code });
        expect(response.statusCode).toBe(HTTP_STATUS[test.code]);
        contract.check(test.method, test.path, response.statusCode, json(response.body));
      }
      const nowhere = await app.inject({ method: 'PATCH', url: '/streams/order-1' });
      expect([nowhere.statusCode, codeOf(nowhere.body)]).toEqual([404, 'ROUTE_NOT_FOUND']);
      expect(await store.headPosition()).toBe(2);
      expect((await store.readAll({ categories: ['order'] })).events).toHaveLength(1);
    });
  });

  it('maps every error code to a 4xx or 5xx status', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      expect(HTTP_STATUS[code], code).toBeGreaterThanOrEqual(400);
      expect(HTTP_STATUS[code], code).toBeLessThan(600);
    }
  });

  it('keeps a "__proto__" key in event data as data: stored and read back as given, nothing polluted', async () => {
    await withServer({}, async ({ app }) => {
      const payload = '{"events":[{"type":"Odd","data":{"__proto__":{"polluted":true},"n":1}}]}';
      const appended = await app.inject({ method: 'POST', url: '/streams/odd-1', payload, headers: { 'content-type': 'application/json' } });
      expect(appended.statusCode).toBe(201);
      const read = await app.inject({ method: 'GET', url: '/streams/odd-1' });
      expect(read.body).toContain('"data":{"__proto__":{"polluted":true},"n":1}');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });
  });

  it('is an idempotent retry over HTTP: the same ids and content return the original result', async () => {
    await withServer({}, async ({ app, store }) => {
      const body = { expectedRevision: 'no_stream', events: [{ id: '0190f7a4-4444-7000-8000-000000000001', type: 'Placed', data: { n: 1 } }] };
      const first = await app.inject({ method: 'POST', url: '/streams/order-9', payload: body });
      const again = await app.inject({ method: 'POST', url: '/streams/order-9', payload: body });
      expect(again.statusCode).toBe(201);
      expect(again.body).toBe(first.body);
      expect(await store.headPosition()).toBe(1);
    });
  });

  it('reports health, Prometheus metrics, consumers and parked events; lists every route in /openapi.json', async () => {
    await withServer({}, async ({ app, store }) => {
      const contract = await OpenApiContract.load(app);
      expect(contract.paths.sort()).toEqual(
        [
          '/admin/scavenge',
          '/all',
          '/all/query',
          '/all/subscribe',
          '/branches',
          '/branches/{name}',
          '/branches/{name}/all',
          '/branches/{name}/all/query',
          '/branches/{name}/all/subscribe',
          '/branches/{name}/head',
          '/branches/{name}/streams',
          '/branches/{name}/streams/{stream}',
          '/branches/{name}/streams/{stream}/info',
          '/branches/{name}/streams/{stream}/subscribe',
          '/catalog',
          '/categories',
          '/consumer-records',
          '/consumers',
          '/consumers/{name}',
          '/consumers/{name}/checkpoints',
          '/consumers/{name}/fault',
          '/consumers/{name}/members/{member}',
          '/consumers/{name}/members/{member}/ack',
          '/consumers/{name}/members/{member}/claim',
          '/consumers/{name}/members/{member}/events',
          '/consumers/{name}/members/{member}/heartbeat',
          '/consumers/{name}/members/{member}/release',
          '/consumers/{name}/parked',
          '/consumers/{name}/parked/purge',
          '/consumers/{name}/parked/replay',
          '/consumers/{name}/record',
          '/consumers/{name}/replay-requests',
          '/copy/events',
          '/copy/head',
          '/copy/state',
          '/copy/streams',
          '/copy/tables',
          '/correlations/{id}',
          '/events/{id}',
          '/events/{id}/redact',
          '/events/{id}/reverse',
          '/history/{id}',
          '/head',
          '/health',
          '/metrics',
          '/lake/query',
          '/projections',
          '/projections/{name}',
          '/projections/{name}/documents',
          '/projections/{name}/rebuild',
          '/projections/{name}/documents/{id}',
          '/projections/{name}/search',
          '/positions',
          '/privacy',
          '/privacy/forget',
          '/privacy/{category}',
          '/schema-modes',
          '/schema-modes/{category}',
          '/schemas',
          '/schemas/openapi.json',
          '/schemas/{type}',
          '/schemas/{type}/check',
          '/schemas/{type}/compatibility',
          '/schemas/{type}/upcasters/{fromVersion}',
          '/schemas/{type}/versions',
          '/schemas/{type}/versions/{version}',
          '/streams',
          '/streams/{stream}',
          '/streams/{stream}/info',
          '/streams/{stream}/metadata',
          '/streams/{stream}/subscribe',
        ].sort(),
      );
      const health = await app.inject({ method: 'GET', url: '/health' });
      contract.check('GET', '/health', 200, json(health.body));
      expect(json(health.body)).toEqual({ status: 'ready', head: 0 });

      await app.inject({ method: 'POST', url: '/streams/mail-1', payload: { events: [{ type: 'Bounce', data: {} }, { type: 'Send', data: {} }] } });
      await store.consumers.register({ name: 'mailer', partitions: 1, startAt: 0, filter: { categories: ['mail'] } });
      await store.consumers.park('mailer', { position: 1, eventId: '0190f7a4-5555-7000-8000-000000000001', stream: 'mail-1', type: 'Bounce', error: 'smtp refused', attempts: 5 });
      const consumers = await app.inject({ method: 'GET', url: '/consumers' });
      contract.check('GET', '/consumers', 200, JSON.parse(consumers.body));
      expect(JSON.parse(consumers.body)).toMatchObject([{ name: 'mailer', checkpoint: 0, head: 2, lagEvents: 2, state: 'stopped', parked: 1 }]);
      const one = await app.inject({ method: 'GET', url: '/consumers/mailer' });
      contract.check('GET', '/consumers/{name}', 200, json(one.body));
      const parked = await app.inject({ method: 'GET', url: '/consumers/mailer/parked' });
      contract.check('GET', '/consumers/{name}/parked', 200, json(parked.body));
      expect(json(parked.body)).toMatchObject({ parked: [{ position: 1, stream: 'mail-1', error: 'smtp refused', replay: false }] });
      const replay = await app.inject({ method: 'POST', url: '/consumers/mailer/parked/replay', payload: { positions: [1] } });
      expect(json(replay.body)).toEqual({ replayed: 1 });
      contract.check('POST', '/consumers/{name}/parked/replay', 200, json(replay.body));
      const purge = await app.inject({ method: 'POST', url: '/consumers/mailer/parked/purge' });
      expect(json(purge.body)).toEqual({ purged: 1 });

      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.headers['content-type']).toContain('text/plain');
      expect(metrics.body).toContain('tributary_appended_events_total 2');
      expect(metrics.body).toContain('tributary_appends_total{outcome="ok"} 1');
      expect(metrics.body).toContain('tributary_head_position 2');
      expect(metrics.body).toContain('tributary_consumer_lag_events{consumer="mailer"} 2');
      expect(metrics.body).toContain('tributary_http_request_duration_seconds_count{method="POST",route="/streams/:stream",status="201"} 1');
    });
  });

  it('health answers 503 once the store cannot be reached', async () => {
    await withServer({}, async ({ app, store }) => {
      await store.close();
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(503);
      expect(json(health.body)).toMatchObject({ status: 'unavailable', error: { code: 'STORE_CLOSED' } });
    });
  });
});
