import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { RemoteEventStore, openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends } from '../support/backends.js';
import { OpenApiContract } from './openapi.js';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';

const placedV1 = {
  type: 'object',
  required: ['orderId', 'amount'],
  properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
  additionalProperties: false,
};
// BACKWARD-compatible: a field older events, closed to it, never hold
const placedV2 = { ...placedV1, properties: { ...placedV1.properties, currency: { type: 'string' } } };
// breaks BACKWARD: events of v1 have no customer
const placedBreaking = { ...placedV1, required: ['orderId', 'amount', 'customer'], properties: { ...placedV1.properties, customer: { type: 'string' } } };
const good = { type: 'OrderPlaced', data: { orderId: 'o-1', amount: 5 } };
const bad = { type: 'OrderPlaced', data: { orderId: 'o-2', amount: 'five' } };

type Headers = Record<string, string>;

/** A JSON request through inject; answers the status and the parsed body. */
async function call(app: FastifyInstance, method: string, url: string, body?: unknown, headers: Headers = {}) {
  const response = await app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: response.statusCode, body: response.body === '' ? undefined : response.json<Record<string, unknown>>(), text: response.body };
}

/** A pino destination that keeps every line. */
function captured() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: { level: 'warn', stream } };
}

describe('the schema registry over HTTP', () => {
  it('registers, reads, checks and lists through every route; each answer matches /openapi.json', async () => {
    await withServer({}, async ({ app }) => {
      const contract = await OpenApiContract.load(app);
      const check = (method: string, path: string, answer: { status: number; body: unknown }) => contract.check(method, path, answer.status, answer.body ?? null);

      const first = await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV1, categories: ['order'] });
      expect(first).toMatchObject({ status: 201, body: { type: 'OrderPlaced', version: 1, schema: placedV1 } });
      check('POST', '/schemas/{type}/versions', first);
      const again = await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV1 });
      expect(again).toMatchObject({ status: 200, body: first.body });
      check('POST', '/schemas/{type}/versions', again);

      const compatible = await call(app, 'POST', '/schemas/OrderPlaced/check', { schema: placedV2 });
      expect(compatible).toMatchObject({ status: 200, body: { compatible: true, compatibility: 'BACKWARD', version: 2, checkedAgainst: [1], breaks: [] } });
      check('POST', '/schemas/{type}/check', compatible);
      const breaking = await call(app, 'POST', '/schemas/OrderPlaced/check', { schema: placedBreaking });
      expect(breaking).toMatchObject({ status: 200, body: { compatible: false, breaks: [{ version: 1, direction: 'backward', change: 'required-added' }] } });
      const refused = await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedBreaking });
      expect(refused).toMatchObject({ status: 409, body: { error: { code: 'SCHEMA_INCOMPATIBLE', breaks: [{ change: 'required-added' }] } } });
      check('POST', '/schemas/{type}/versions', refused);

      const second = await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV2 });
      expect(second).toMatchObject({ status: 201, body: { version: 2 } });
      const compatibility = await call(app, 'PUT', '/schemas/OrderPlaced/compatibility', { compatibility: 'FULL' });
      expect(compatibility.status).toBe(204);
      check('PUT', '/schemas/{type}/compatibility', compatibility);
      const rules = [{ op: 'default', path: '/currency', value: 'EUR' }];
      const upcaster = await call(app, 'PUT', '/schemas/OrderPlaced/upcasters/1', { rules });
      expect(upcaster.status).toBe(204);
      check('PUT', '/schemas/{type}/upcasters/{fromVersion}', upcaster);
      const mode = await call(app, 'PUT', '/schema-modes/order', { mode: 'warn' });
      expect(mode.status).toBe(204);
      check('PUT', '/schema-modes/{category}', mode);

      const summary = { type: 'OrderPlaced', latest: 2, compatibility: 'FULL', categories: ['order'], upcasters: [1] };
      const listed = await call(app, 'GET', '/schemas');
      expect(listed).toMatchObject({ status: 200, body: { types: [summary], modes: [{ category: 'order', mode: 'warn' }] } });
      check('GET', '/schemas', listed);
      const described = await call(app, 'GET', '/schemas/OrderPlaced');
      expect(described).toMatchObject({ status: 200, body: { ...summary, versions: [{ version: 1 }, { version: 2, schema: placedV2 }], rules: [{ fromVersion: 1, rules }] } });
      check('GET', '/schemas/{type}', described);
      for (const [version, expected] of [['1', 1], ['2', 2], ['latest', 2]] as const) {
        const one = await call(app, 'GET', `/schemas/OrderPlaced/versions/${version}`);
        expect(one).toMatchObject({ status: 200, body: { type: 'OrderPlaced', version: expected } });
        check('GET', '/schemas/{type}/versions/{version}', one);
      }
      const missing = await call(app, 'GET', '/schemas/OrderPlaced/versions/3');
      expect(missing).toMatchObject({ status: 404, body: { error: { code: 'SCHEMA_NOT_FOUND' } } });
      check('GET', '/schemas/{type}/versions/{version}', missing);
      expect(await call(app, 'GET', '/schemas/Nothing')).toMatchObject({ status: 404, body: { error: { code: 'SCHEMA_NOT_FOUND' } } });
      const modes = await call(app, 'GET', '/schema-modes');
      expect(modes).toMatchObject({ status: 200, body: { modes: [{ category: 'order', mode: 'warn' }] } });
      check('GET', '/schema-modes', modes);
    });
  });

  it('serves the registered schemas as an OpenAPI 3.1 document linked from /openapi.json, references rewritten to components', async () => {
    await withServer({}, async ({ app }) => {
      const address = { type: 'object', properties: { city: { type: 'string' } } };
      expect((await call(app, 'POST', '/schemas/Address/versions', { schema: address, categories: ['order'] })).status).toBe(201);
      const shipped = { type: 'object', properties: { to: { $ref: 'tributary:schemas/Address/versions/1' }, note: { const: { $ref: 'tributary:schemas/Address/versions/1' } } } };
      expect((await call(app, 'POST', '/schemas/Order%20Shipped/versions', { schema: shipped, categories: ['order'] })).status).toBe(201);
      expect((await call(app, 'POST', '/schemas/Order%20Shipped/versions', { schema: { ...shipped, required: [] }, categories: ['order'] })).status).toBe(201);

      const main = await call(app, 'GET', '/openapi.json');
      expect(main.body).toMatchObject({ externalDocs: { url: 'schemas/openapi.json' } });
      const document = await call(app, 'GET', '/schemas/openapi.json');
      expect(document.status).toBe(200);
      expect(document.body).toMatchObject({ openapi: '3.1.0', jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema', paths: {} });
      const components = (document.body as { components: { schemas: Record<string, Record<string, unknown>> } }).components.schemas;
      expect(Object.keys(components).sort()).toEqual(['AddressV1', 'Order_ShippedV1', 'Order_ShippedV2']);
      expect(components['AddressV1']).toEqual({ ...address, 'x-event-type': 'Address', 'x-schema-version': 1 });
      expect(components['Order_ShippedV2']).toMatchObject({
        'x-event-type': 'Order Shipped',
        'x-schema-version': 2,
        // a reference is rewritten; the same text as data (const) is not
        properties: { to: { $ref: '#/components/schemas/AddressV1' }, note: { const: { $ref: 'tributary:schemas/Address/versions/1' } } },
      });
    });
  });

  for (const backend of backends) {
    it(`refuses a whole batch with one bad event in an enforce category with 422 naming index and path, storing nothing (${backend.name})`, async () => {
      const store = await openStore(backend.location(`enforce-http-${Date.now()}`));
      await withServer({ store }, async ({ app }) => {
        await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV1, categories: ['order'] });
        expect((await call(app, 'PUT', '/schema-modes/order', { mode: 'enforce' })).status).toBe(204);
        const head = await store.headPosition();

        const single = await call(app, 'POST', '/streams/order-1', { events: [good, good, bad] });
        expect(single).toMatchObject({
          status: 422,
          body: { error: { code: 'SCHEMA_VALIDATION_FAILED', failures: [{ index: 2, stream: 'order-1', type: 'OrderPlaced', version: 1, path: '/data/amount' }] } },
        });
        expect((single.body as { error: { failures: unknown[] } }).error.failures).toHaveLength(1);
        expect((await call(app, 'GET', '/streams/order-1')).body).toMatchObject({ error: { code: 'STREAM_NOT_FOUND' } });

        const many = await call(app, 'POST', '/streams', { appends: [{ stream: 'stock-1', events: [{ type: 'Reserved', data: {} }] }, { stream: 'order-2', events: [good, bad] }] });
        expect(many).toMatchObject({ status: 422, body: { error: { code: 'SCHEMA_VALIDATION_FAILED', failures: [{ index: 1, stream: 'order-2', path: '/data/amount' }] } } });
        expect((await call(app, 'GET', '/streams/stock-1')).body).toMatchObject({ error: { code: 'STREAM_NOT_FOUND' } });
        expect(await store.headPosition()).toBe(head);

        expect((await call(app, 'POST', '/streams/order-1', { events: [good] })).status).toBe(201);
        const [stored] = (await store.readStream('order-1', { raw: true })).events;
        expect(stored!.metadata).toMatchObject({ schemaVersion: 1 });
      });
    });
  }

  it('stores what a warn category accepts against its schema, counts it in /metrics and logs it at warn', async () => {
    const log = captured();
    await withServer({ logger: log.logger }, async ({ app, store }) => {
      await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV1, categories: ['order'] });
      await call(app, 'PUT', '/schema-modes/order', { mode: 'warn' });
      expect((await call(app, 'POST', '/streams/order-1', { events: [good, bad] })).status).toBe(201);
      expect((await call(app, 'POST', '/streams', { appends: [{ stream: 'order-2', events: [bad] }] })).status).toBe(201);
      expect((await store.readStream('order-1')).events.map((event) => event.data)).toEqual([good.data, bad.data]);

      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain('tributary_schema_warnings_total{category="order",type="OrderPlaced"} 2');
      const warnings = log.lines.filter((line) => line['schemaWarning'] !== undefined);
      expect(warnings.map((line) => [line['level'], (line['schemaWarning'] as Record<string, unknown>)['stream'], (line['schemaWarning'] as Record<string, unknown>)['path']])).toEqual([
        [40, 'order-1', '/data/amount'],
        [40, 'order-2', '/data/amount'],
      ]);
    });
  });

  it('reads events upcast by default and as stored with ?raw=true: stream and log pages, the query read, and server-sent events', async () => {
    await withServer({}, async ({ app }) => {
      const base = await listening(app);
      await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV1, categories: ['order'] });
      await call(app, 'PUT', '/schema-modes/order', { mode: 'enforce' });
      expect((await call(app, 'POST', '/streams/order-1', { events: [good] })).status).toBe(201);
      await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV2 });
      await call(app, 'PUT', '/schemas/OrderPlaced/upcasters/1', { rules: [{ op: 'default', path: '/currency', value: 'EUR' }] });
      const upcast = { ...good.data, currency: 'EUR' };

      const dataOf = async (url: string, body?: unknown) => ((await call(app, body === undefined ? 'GET' : 'POST', url, body)).body as { events: { data: unknown }[] }).events.map((event) => event.data);
      expect(await dataOf('/streams/order-1')).toEqual([upcast]);
      expect(await dataOf('/streams/order-1?raw=true')).toEqual([good.data]);
      expect(await dataOf('/streams/order-1?raw=false')).toEqual([upcast]);
      expect(await dataOf('/all?category=order')).toEqual([upcast]);
      expect(await dataOf('/all?category=order&raw=true')).toEqual([good.data]);
      expect(await dataOf('/all/query', { query: [{ types: ['OrderPlaced'] }] })).toEqual([upcast]);
      expect(await dataOf('/all/query?raw=true', { query: [{ types: ['OrderPlaced'] }] })).toEqual([good.data]);
      for (const flag of ['1', 'yes', '']) {
        expect(await call(app, 'GET', `/streams/order-1?raw=${flag}`)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST' } } });
      }

      const upcastHistory: unknown[] = [upcast];
      const rawHistory: unknown[] = [good.data];
      for (const url of ['/streams/order-1/subscribe?after=0', '/all/subscribe?after=0&category=order']) {
        const [upcastClient, rawClient] = await Promise.all([SseClient.open(`${base}${url}`), SseClient.open(`${base}${url}&raw=true`)]);
        for (const client of [upcastClient, rawClient]) await client.until((c) => c.messages.some((m) => m.event === 'caught-up'), `${url} caught up`);
        expect(upcastClient.events.map((e) => e.event['data'])).toEqual(upcastHistory);
        expect(rawClient.events.map((e) => e.event['data'])).toEqual(rawHistory);
        // live events too, each kind through a feed of its own
        const live = { orderId: `o-${upcastHistory.length + 2}`, amount: 1 };
        expect((await call(app, 'POST', '/streams/order-1', { events: [{ type: 'OrderPlaced', data: live, metadata: { schemaVersion: 1 } }] })).status).toBe(201);
        upcastHistory.push({ ...live, currency: 'EUR' });
        rawHistory.push(live);
        for (const client of [upcastClient, rawClient]) await client.until((c) => c.events.length === upcastHistory.length, `${url} live`);
        expect(upcastClient.events.map((e) => e.event['data'])).toEqual(upcastHistory);
        expect(rawClient.events.map((e) => e.event['data'])).toEqual(rawHistory);
        upcastClient.close();
        rawClient.close();
      }
      // a consumer group member's events, each group reading its own way
      for (const [group, raw, expected] of [['upcasting', '', upcastHistory], ['raw', '&raw=true', rawHistory]] as const) {
        const member = await SseClient.open(`${base}/consumers/${group}/members/m1/events?category=order&start=beginning${raw}`);
        // one event of a stream at a time: each is acknowledged to get the next
        for (let acked = 0; acked < expected.length; acked++) {
          await member.until((c) => c.events.length > acked, `the ${group} member's event ${acked}`);
          await call(app, 'POST', `/consumers/${group}/members/m1/ack`, { position: Number(member.events[acked]!.id) });
        }
        expect(member.events.map((e) => e.event['data'])).toEqual(expected);
        member.close();
      }
      const refused = await SseClient.open(`${base}/all/subscribe?after=0&raw=1`);
      expect(refused.status).toBe(400);
      refused.close();
    });
  });
});

describe('the remote store over the registry routes', () => {
  it('is a schema registry whose reads come back upcast unless raw; a function upcaster is refused, warnings stay on the server', async () => {
    await withServer({}, async ({ app }) => {
      const remote = openRemoteStore({ url: await listening(app) });
      try {
        const registry = remote.schemas;
        expect(await registry.register('OrderPlaced', placedV1, { categories: ['order'] })).toMatchObject({ version: 1 });
        expect(await registry.check('OrderPlaced', placedBreaking)).toMatchObject({ compatible: false, version: 2 });
        await expect(registry.register('OrderPlaced', placedBreaking)).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });
        await registry.setMode('order', 'enforce');
        await expect(remote.append('order-1', [good, bad])).rejects.toMatchObject({ code: 'SCHEMA_VALIDATION_FAILED', details: { failures: [{ index: 1, path: '/data/amount' }] } });
        await remote.append('order-1', [good]);
        expect(await registry.register('OrderPlaced', placedV2)).toMatchObject({ version: 2 });
        await registry.addUpcaster('OrderPlaced', 1, [{ op: 'default', path: '/currency', value: 'EUR' }]);
        await registry.setCompatibility('OrderPlaced', 'FULL');

        expect(await registry.list()).toEqual([{ type: 'OrderPlaced', latest: 2, compatibility: 'FULL', categories: ['order'], upcasters: [1] }]);
        expect(await registry.modes()).toEqual([{ category: 'order', mode: 'enforce' }]);
        expect(await registry.describe('OrderPlaced')).toMatchObject({ versions: [{ version: 1 }, { version: 2 }], rules: [{ fromVersion: 1 }] });
        expect(await registry.version('OrderPlaced', 'latest')).toMatchObject({ version: 2, schema: placedV2 });
        await expect(registry.version('OrderPlaced', 3)).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
        await expect(registry.setMode('order', 'strict' as 'off')).rejects.toMatchObject({ code: 'INVALID_SCHEMA' });

        expect((await remote.readStream('order-1')).events.map((event) => event.data)).toEqual([{ ...good.data, currency: 'EUR' }]);
        expect((await remote.readStream('order-1', { raw: true })).events.map((event) => event.data)).toEqual([good.data]);
        expect((await remote.readAll({ categories: ['order'], raw: true })).events.map((event) => event.data)).toEqual([good.data]);
        expect((await remote.readAll({ query: [{ types: ['OrderPlaced'] }] })).events.map((event) => event.data)).toEqual([{ ...good.data, currency: 'EUR' }]);

        expect(() => registry.upcaster('OrderPlaced', 1, (data) => data)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
        const stop = registry.onWarning(() => {
          throw new Error('a remote store hears no warnings');
        });
        stop();
      } finally {
        await remote.close();
      }
    });
  });
});

describe('openStore on a server URL with a narrow token', () => {
  it("is the remote store itself, whose registry is the server's: appends are checked and reads upcast by the server, with a token that may not read $schemas", async () => {
    await withServer({ open: false }, async ({ app, token }) => {
      const narrow = (await token('write:order')).authorization.slice('Bearer '.length);
      const store = await openStore(await listening(app), { token: narrow });
      try {
        expect(store).toBeInstanceOf(RemoteEventStore);
        await store.schemas!.register('OrderPlaced', placedV1, { categories: ['order'] });
        await store.schemas!.setMode('order', 'enforce');
        await expect(store.append('order-1', [good, bad])).rejects.toMatchObject({ code: 'SCHEMA_VALIDATION_FAILED' });
        await store.append('order-1', [good]);
        await store.schemas!.register('OrderPlaced', placedV2);
        await store.schemas!.addUpcaster('OrderPlaced', 1, [{ op: 'default', path: '/currency', value: 'EUR' }]);
        expect((await store.readStream('order-1')).events.map((event) => event.data)).toEqual([{ ...good.data, currency: 'EUR' }]);
        // the token reads only its own categories: the registry's $schemas events are not among them
        const versions = async (raw: boolean) => (await store.readAll({ raw })).events.map((event) => [event.stream, event.metadata['schemaVersion']]);
        expect(await versions(false)).toEqual([['order-1', 2]]);
        expect(await versions(true)).toEqual([['order-1', 1]]);
        await expect(store.readStream('$schemas-type-OrderPlaced')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      } finally {
        await store.close();
      }
    });
  });
});

describe('who may see and change schemas over HTTP', () => {
  /** A server whose order team registered OrderPlaced (order) and set order's mode; answers the tokens of three teams. */
  async function teams(body: (app: FastifyInstance, tokens: Record<'order' | 'payment' | 'admin' | 'reader', Headers>, store: EventStore) => Promise<void>) {
    await withServer({ open: false }, async ({ app, store, token }) => {
      const tokens = {
        order: await token('write:order'),
        payment: await token('write:payment'),
        admin: await token('admin'),
        reader: await token('read:*'),
      };
      expect((await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV1, categories: ['order'] }, tokens.order)).status).toBe(201);
      expect((await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV2 }, tokens.order)).status).toBe(201);
      expect((await call(app, 'PUT', '/schema-modes/order', { mode: 'enforce' }, tokens.order)).status).toBe(204);
      await body(app, tokens, store);
    });
  }

  it("a token of another team sees nothing of a team's schemas and changes nothing of them, on every route", async () => {
    await teams(async (app, tokens, store) => {
      const other = tokens.payment;
      const head = await store.headPosition();
      const forbidden: [string, string, unknown?][] = [
        ['GET', '/schemas/OrderPlaced'],
        ['GET', '/schemas/OrderPlaced/versions/1'],
        ['GET', '/schemas/OrderPlaced/versions/latest'],
        ['POST', '/schemas/OrderPlaced/check', { schema: placedV2 }],
        ['POST', '/schemas/OrderPlaced/versions', { schema: placedV2 }],
        ['POST', '/schemas/OrderPlaced/versions', { schema: placedV2, categories: ['payment'] }],
        ['PUT', '/schemas/OrderPlaced/compatibility', { compatibility: 'NONE' }],
        ['PUT', '/schemas/OrderPlaced/upcasters/1', { rules: [{ op: 'drop', path: '/amount' }] }],
        ['PUT', '/schema-modes/order', { mode: 'off' }],
        // unknown types look like another team's: existence shows only to read:*
        ['GET', '/schemas/Unknown'],
        // a new type from a token that is not admin must name categories it may write
        ['POST', '/schemas/Refunded/versions', { schema: true }],
        ['POST', '/schemas/Refunded/versions', { schema: true, categories: ['order'] }],
        ['POST', '/schemas/Refunded/versions', { schema: true, categories: ['payment', 'order'] }],
        ['PUT', '/schemas/Refunded/compatibility', { compatibility: 'NONE' }],
      ];
      for (const [method, url, body] of forbidden) {
        const answer = await call(app, method, url, body, other);
        expect([method, url, answer.status, (answer.body as { error?: { code: string } })?.error?.code]).toEqual([method, url, 403, 'FORBIDDEN']);
        expect(answer.text).not.toContain('orderId');
      }
      const listed = await call(app, 'GET', '/schemas', undefined, other);
      expect(listed).toMatchObject({ status: 200, body: { types: [], modes: [] } });
      expect(await call(app, 'GET', '/schema-modes', undefined, other)).toMatchObject({ status: 200, body: { modes: [] } });
      const document = await call(app, 'GET', '/schemas/openapi.json', undefined, other);
      expect(document).toMatchObject({ status: 200, body: { components: { schemas: {} } } });
      expect(document.text).not.toContain('OrderPlaced');
      expect(await store.headPosition()).toBe(head);

      // what the other team may do: its own new type, a check of a type not registered, its own category's mode
      expect((await call(app, 'POST', '/schemas/Refunded/check', { schema: true }, other)).status).toBe(200);
      expect((await call(app, 'POST', '/schemas/Refunded/versions', { schema: true, categories: ['payment'] }, other)).status).toBe(201);
      expect((await call(app, 'PUT', '/schema-modes/payment', { mode: 'warn' }, other)).status).toBe(204);
      expect((await call(app, 'GET', '/schemas', undefined, other)).body).toMatchObject({ types: [{ type: 'Refunded' }], modes: [{ category: 'payment', mode: 'warn' }] });
      // and the order team sees only its own
      expect((await call(app, 'GET', '/schemas', undefined, tokens.order)).body).toMatchObject({ types: [{ type: 'OrderPlaced' }], modes: [{ category: 'order' }] });
    });
  });

  it('the owning team, read:* and admin get what their scopes allow; a type without categories is admin-only to change', async () => {
    await teams(async (app, tokens) => {
      expect((await call(app, 'GET', '/schemas/OrderPlaced', undefined, tokens.order)).status).toBe(200);
      expect((await call(app, 'PUT', '/schemas/OrderPlaced/compatibility', { compatibility: 'NONE' }, tokens.order)).status).toBe(204);
      expect((await call(app, 'GET', '/schemas/OrderPlaced', undefined, tokens.reader)).status).toBe(200);
      expect((await call(app, 'PUT', '/schema-modes/order', { mode: 'off' }, tokens.reader)).status).toBe(403);
      expect((await call(app, 'GET', '/schemas/Unknown', undefined, tokens.reader)).status).toBe(404);
      // the owner adding a category it may not write needs write there too
      expect((await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV2, categories: ['payment'] }, tokens.order)).status).toBe(403);

      expect((await call(app, 'POST', '/schemas/Heartbeat/versions', { schema: true }, tokens.admin)).status).toBe(201);
      expect((await call(app, 'GET', '/schemas/Heartbeat', undefined, tokens.order)).status).toBe(403);
      expect((await call(app, 'GET', '/schemas/Heartbeat', undefined, tokens.reader)).status).toBe(200);
      expect((await call(app, 'POST', '/schemas/Heartbeat/versions', { schema: true, categories: ['order'] }, tokens.order)).status).toBe(403);
      expect((await call(app, 'PUT', '/schemas/Heartbeat/compatibility', { compatibility: 'NONE' }, tokens.admin)).status).toBe(204);
      expect((await call(app, 'GET', '/schemas', undefined, tokens.order)).body).toMatchObject({ types: [{ type: 'OrderPlaced' }] });
      expect(((await call(app, 'GET', '/schemas', undefined, tokens.reader)).body as { types: unknown[] }).types).toHaveLength(2);
      expect((await call(app, 'GET', '/schemas', undefined, {})).status).toBe(401);
    });
  });
});

describe('bad input to the registry routes', () => {
  it('answers a coded 4xx and registers nothing', async () => {
    await withServer({}, async ({ app, store }) => {
      await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV1, categories: ['order'] });
      const head = await store.headPosition();
      const cases: [string, string, unknown, number, string][] = [
        ['POST', '/schemas/OrderPlaced/versions', { schema: { type: 'bogus' } }, 400, 'INVALID_SCHEMA'],
        ['POST', '/schemas/OrderPlaced/versions', { schema: 5 }, 400, 'INVALID_SCHEMA'],
        ['POST', '/schemas/Remote/versions', { schema: { $ref: 'http://example.com/schema.json' }, categories: ['order'] }, 400, 'INVALID_SCHEMA'],
        ['POST', '/schemas/Remote/check', { schema: { properties: { a: { $ref: 'https://example.com/a' } } } }, 400, 'INVALID_SCHEMA'],
        ['POST', '/schemas/Order%01Placed/versions', { schema: true, categories: ['order'] }, 400, 'INVALID_SCHEMA'],
        ['POST', '/schemas/Bad/versions', { schema: true, categories: ['a b'] }, 400, 'INVALID_SCHEMA'],
        ['POST', '/schemas/Bad/versions', { schema: true, categories: ['order'], extra: 1 }, 400, 'INVALID_REQUEST'],
        ['POST', '/schemas/Bad/versions', { categories: ['order'] }, 400, 'INVALID_REQUEST'],
        ['PUT', '/schemas/OrderPlaced/compatibility', { compatibility: 'SIDEWAYS' }, 400, 'INVALID_SCHEMA'],
        ['PUT', '/schemas/OrderPlaced/compatibility', { compatibility: 'backward' }, 400, 'INVALID_SCHEMA'],
        ['PUT', '/schema-modes/order', { mode: 'strict' }, 400, 'INVALID_SCHEMA'],
        ['PUT', '/schema-modes/order', { mode: 'enforce', also: true }, 400, 'INVALID_REQUEST'],
        ['PUT', '/schema-modes/a%20b', { mode: 'enforce' }, 400, 'INVALID_SCHEMA'],
        ['PUT', '/schema-modes/%24schemas', { mode: 'enforce' }, 400, 'INVALID_SCHEMA'],
        ['PUT', '/schemas/OrderPlaced/upcasters/1', { rules: [{ op: 'rename', path: '/amount' }] }, 400, 'INVALID_SCHEMA'],
        ['PUT', '/schemas/OrderPlaced/upcasters/1', { rules: [{ op: 'explode', path: '/amount' }] }, 400, 'INVALID_SCHEMA'],
        ['PUT', '/schemas/OrderPlaced/upcasters/1', { rules: [{ op: 'drop', path: '/amount' }] }, 404, 'SCHEMA_NOT_FOUND'],
        ['GET', '/schemas/OrderPlaced/versions/one', undefined, 400, 'INVALID_REQUEST'],
      ];
      for (const [method, url, body, status, code] of cases) {
        const answer = await call(app, method, url, body);
        expect([method, url, answer.status, (answer.body as { error?: { code: string } })?.error?.code]).toEqual([method, url, status, code]);
      }
      // nested far deeper than any stack: measured, never walked recursively
      const deep = '{"properties":{"a":'.repeat(100_000) + '{}' + '}}'.repeat(100_000);
      const nested = await app.inject({ method: 'POST', url: '/schemas/Deep/versions', payload: `{"schema":${deep},"categories":["order"]}`, headers: { 'content-type': 'application/json' } });
      expect([nested.statusCode, nested.json<{ error: { code: string } }>().error.code]).toEqual([400, 'INVALID_SCHEMA']);
      expect(await store.headPosition()).toBe(head);
      expect((await call(app, 'GET', '/schemas')).body).toMatchObject({ types: [{ type: 'OrderPlaced', latest: 1, compatibility: 'BACKWARD', upcasters: [] }], modes: [] });
    });
  });

  it("writes to the store's own $schemas streams are refused to every token, admin included; reading them needs read:*", async () => {
    await withServer({ open: false }, async ({ app, token }) => {
      const admin = await token('admin');
      const everything = await token('write:*');
      const order = await token('read:order');
      const reader = await token('read:*');
      expect((await call(app, 'POST', '/schemas/OrderPlaced/versions', { schema: placedV1, categories: ['order'] }, admin)).status).toBe(201);
      const forged = { events: [{ type: 'SchemaVersionRegistered', data: { type: 'OrderPlaced', version: 2, schema: true, categories: [] } }] };
      for (const headers of [admin, everything]) {
        expect(await call(app, 'POST', '/streams/$schemas-type-OrderPlaced', forged, headers)).toMatchObject({ status: 403, body: { error: { code: 'RESERVED_STREAM' } } });
        const many = { appends: [{ stream: '$schemas-mode-order', events: [{ type: 'SchemaValidationModeSet', data: { category: 'order', mode: 'off' } }] }] };
        expect((await call(app, 'POST', '/streams', many, headers)).status).toBe(403);
        expect((await call(app, 'DELETE', '/streams/$schemas-type-OrderPlaced', undefined, headers)).status).toBe(403);
      }
      expect((await call(app, 'GET', '/streams/$schemas-type-OrderPlaced', undefined, order)).status).toBe(403);
      const read = await call(app, 'GET', '/streams/$schemas-type-OrderPlaced', undefined, reader);
      expect(read.status).toBe(200);
      expect((read.body!['events'] as { type: string }[]).map((event) => event.type)).toEqual(['SchemaVersionRegistered']);
      expect((await call(app, 'GET', '/schemas/OrderPlaced', undefined, admin)).body).toMatchObject({ latest: 1 });
    });
  });
});
