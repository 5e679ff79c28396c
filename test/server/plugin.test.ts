import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { tributaryPlugin } from '../../src/entry/server.js';
import type { EventStore } from '../../src/store/event-store.js';
import { mintToken } from '../../src/server/tokens.js';
import { SseClient } from './sse-client.js';
import { listening } from './support.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-plugin-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;

/** A team's own fastify application, with routes and a body limit of its own, hosting Tributary's API as a plugin. */
async function hostApp(register: (app: FastifyInstance, store: EventStore) => PromiseLike<unknown>, body: (app: FastifyInstance, store: EventStore) => Promise<void>) {
  const store = openSqliteStore({ path: join(folder, `plugin-${files++}.db`) });
  const app = Fastify({ bodyLimit: 100, routerOptions: { maxParamLength: 4096 } });
  app.get('/hello', async () => ({ hello: 'world' }));
  app.post('/echo', async (request) => request.body);
  try {
    await register(app, store);
    await body(app, store);
  } finally {
    await app.close();
    await store.close();
  }
}

const append = (url: string, events: unknown[], headers: Record<string, string> = {}) =>
  ({ method: 'POST', url, headers, payload: { events } }) as const;

describe('the HTTP API as a fastify plugin in an application of its own', () => {
  it('serves the API under its prefix beside the application’s routes, each keeping its own rules', async () => {
    await hostApp(
      (app, store) => app.register(tributaryPlugin, { store, open: true, prefix: '/events' }),
      async (app) => {
        expect((await app.inject({ url: '/hello' })).json()).toEqual({ hello: 'world' });

        // Tributary's body limit applies to its routes, the application's to its own
        const big = { type: 'Placed', data: { note: 'x'.repeat(500) } };
        const appended = await app.inject(append('/events/streams/order-1', [big]));
        expect([appended.statusCode, appended.json()]).toMatchObject([201, { stream: 'order-1', position: 1 }]);
        expect((await app.inject({ method: 'POST', url: '/echo', payload: { note: 'x'.repeat(500) } })).statusCode).toBe(413);

        const read = await app.inject({ url: '/events/streams/order-1' });
        expect(read.json()).toMatchObject({ events: [{ stream: 'order-1', type: 'Placed', revision: 0, data: big.data }], next: null });
        expect((await app.inject({ url: '/events/health' })).json()).toMatchObject({ status: 'ready', head: 1 });

        // its error answers are the contract's under the prefix; the application's 404 stays its own
        const unknown = await app.inject({ url: '/events/nowhere' });
        expect([unknown.statusCode, unknown.json<{ error: { code: string } }>().error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
        const elsewhere = await app.inject({ url: '/nowhere' });
        expect([elsewhere.statusCode, elsewhere.json()]).toMatchObject([404, { error: 'Not Found' }]);
        const malformed = await app.inject({ method: 'POST', url: '/events/streams/order-1', headers: { 'content-type': 'application/json' }, payload: '{' });
        expect([malformed.statusCode, malformed.json<{ error: { code: string } }>().error.code]).toEqual([400, 'INVALID_REQUEST']);

        const openapi = (await app.inject({ url: '/events/openapi.json' })).json<{ paths: Record<string, unknown> }>();
        expect(Object.keys(openapi.paths)).toContain('/events/streams/{stream}');
        expect(Object.keys(openapi.paths)).not.toContain('/hello');
      },
    );
  });

  it('asks for tokens unless told it is open, on its own routes only', async () => {
    await hostApp(
      (app, store) => app.register(tributaryPlugin, { store, prefix: '/events' }),
      async (app, store) => {
        const refused = await app.inject({ url: '/events/streams/order-1' });
        expect([refused.statusCode, refused.json<{ error: { code: string } }>().error.code]).toEqual([401, 'UNAUTHORIZED']);
        expect((await app.inject({ url: '/hello' })).statusCode).toBe(200);

        const { token, record } = mintToken('orders', ['write:order']);
        await store.tokens!.create(record);
        const authorization = `Bearer ${token}`;
        expect((await app.inject(append('/events/streams/order-1', [{ type: 'Placed', data: {} }], { authorization }))).statusCode).toBe(201);
        const forbidden = await app.inject(append('/events/streams/stock-1', [{ type: 'Reserved', data: {} }], { authorization }));
        expect([forbidden.statusCode, forbidden.json<{ error: { code: string } }>().error.code]).toEqual([403, 'FORBIDDEN']);
      },
    );
  });

  it('without a prefix, mounts at the root and leaves unknown URLs to the application', async () => {
    await hostApp(
      (app, store) => app.register(tributaryPlugin, { store, open: true }),
      async (app) => {
        expect((await app.inject(append('/streams/order-1', [{ type: 'Placed', data: {} }]))).statusCode).toBe(201);
        expect((await app.inject({ url: '/hello' })).json()).toEqual({ hello: 'world' });
        expect((await app.inject({ url: '/nowhere' })).json()).toMatchObject({ error: 'Not Found', statusCode: 404 });
      },
    );
  });

  it('the remote store works through the prefix', async () => {
    await hostApp(
      (app, store) => app.register(tributaryPlugin, { store, open: true, prefix: '/events' }),
      async (app) => {
        const remote = await openStore(`${await listening(app)}/events`);
        try {
          await remote.append('order-1', [{ type: 'Placed', data: { sku: 'abc' } }], { expectedRevision: 'no_stream' });
          expect((await remote.readStream('order-1')).events.map((event) => event.data)).toEqual([{ sku: 'abc' }]);
        } finally {
          await remote.close();
        }
      },
    );
  });

  it('closing the application ends live subscriptions, so the close does not wait on them', async () => {
    await hostApp(
      (app, store) => app.register(tributaryPlugin, { store, open: true, prefix: '/events' }),
      async (app, store) => {
        const base = await listening(app);
        await store.append('order-1', [{ type: 'Placed', data: {} }]);
        const client = await SseClient.open(`${base}/events/streams/order-1/subscribe?after=0`);
        await client.until((c) => c.events.length === 1, 'the event arrives');
        await app.close();
        await client.until((c) => c.ended, 'the stream ends');
      },
    );
  });
});
