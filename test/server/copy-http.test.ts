import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { MAX_PAGE_SIZE } from '../../src/store/options.js';
import { backends } from '../support/backends.js';
import { RAW_ROWS, fillForCopy } from './copy-fixture.js';
import { OpenApiContract } from './openapi.js';
import { listening, withServer, type TestServer } from './support.js';

const COPY_ROUTES = ['/copy/head', '/copy/events', '/copy/streams', '/copy/tables', '/copy/state'];
const READ_EVERYTHING = ['/copy/head', '/copy/events', '/copy/streams'];

async function status(base: string, url: string, authorization?: string): Promise<number> {
  return (await fetch(base + url, { headers: authorization === undefined ? {} : { authorization } })).status;
}

describe('the /copy routes', () => {
  it('need read:* for the log and admin for the tables and the copy state; open mode on loopback lets every caller in', async () => {
    await withServer({ open: false }, async ({ app, token }) => {
      const base = await listening(app);
      const tokens = {
        orders: (await token('write:order')).authorization,
        payments: (await token('read:payment')).authorization,
        everything: (await token('read:*')).authorization,
        writeEverything: (await token('write:*')).authorization,
        admin: (await token('admin')).authorization,
      };
      for (const url of COPY_ROUTES) {
        expect([url, await status(base, url)]).toEqual([url, 401]);
        expect([url, await status(base, url, tokens.orders)]).toEqual([url, 403]);
        expect([url, await status(base, url, tokens.payments)]).toEqual([url, 403]);
        const wide = READ_EVERYTHING.includes(url) ? 200 : 403;
        expect([url, await status(base, url, tokens.everything)]).toEqual([url, wide]);
        expect([url, await status(base, url, tokens.writeEverything)]).toEqual([url, wide]);
      }
      for (const url of ['/copy/head', '/copy/events', '/copy/streams', '/copy/tables']) expect([url, await status(base, url, tokens.admin)]).toEqual([url, 200]);
      // the store is no copy: the admin may ask, and hears so
      expect(await status(base, '/copy/state', tokens.admin)).toBe(409);
      const refused = (await (await fetch(`${base}/copy/head`, { headers: { authorization: tokens.orders } })).json()) as { error: { code: string } };
      expect(refused.error.code).toBe('FORBIDDEN');
    });
    await withServer({ open: true }, async ({ app }) => {
      const base = await listening(app);
      for (const url of COPY_ROUTES) expect([url, await status(base, url)]).toEqual([url, url === '/copy/state' ? 409 : 200]);
    });
  });

  it('take their query strictly, as /all does: integers as decimal text in range, no unknown parameter', async () => {
    await withServer({}, async ({ app, store }) => {
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      const refusals = [
        '/copy/events?after=-1',
        '/copy/events?after=abc',
        '/copy/events?after=1e3',
        '/copy/events?after=0x10',
        '/copy/events?until=-1',
        '/copy/events?limit=0',
        '/copy/events?limit=10001',
        '/copy/events?limit=1.0',
        '/copy/events?limit=1&limit=2',
        '/copy/events?colour=red',
        '/copy/streams?afterChange=-1',
        '/copy/streams?afterChange=abc',
        '/copy/streams?limit=0',
        '/copy/streams?limit=10001',
        '/copy/streams?after=0',
        '/copy/head?after=0',
        '/copy/tables?table=tokens',
        '/copy/state?x=1',
      ];
      for (const url of refusals) {
        const response = await app.inject({ method: 'GET', url });
        expect([url, response.statusCode, (JSON.parse(response.body) as { error: { code: string } }).error.code]).toEqual([url, 400, 'INVALID_REQUEST']);
      }
      for (const url of ['/copy/events?after=0&until=1&limit=10000', '/copy/events?limit=007', '/copy/streams?afterChange=0&limit=1']) {
        expect([url, (await app.inject({ method: 'GET', url })).statusCode]).toEqual([url, 200]);
      }
    });
  });

  it('refuse with INVALID_REQUEST when the served store offers no copy', async () => {
    await withServer({}, async ({ store }) => {
      const hidden = new Proxy(store, {
        get(target, name) {
          if (name === 'copySource' || name === 'copyTarget') return undefined;
          const value: unknown = Reflect.get(target, name, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      await withServer({ store: hidden }, async ({ app }) => {
        for (const url of COPY_ROUTES) {
          const response = await app.inject({ method: 'GET', url });
          expect([url, response.statusCode, JSON.parse(response.body)]).toEqual([
            url,
            400,
            { error: expect.objectContaining({ code: 'INVALID_REQUEST', reason: 'copy-unsupported' }) as unknown },
          ]);
        }
      });
    });
  });
});

for (const backend of backends) {
  describe(`a copy read through a server on ${backend.name}`, () => {
    it('is byte for byte what the store holds: event rows, stream changes, other tables and the head; every answer matches /openapi.json', async () => {
      const store = await openStore(backend.location(`exact-${Date.now()}`));
      await withServer({ store, open: false }, async (server) => {
        await fillForCopy(store);
        const { remote, contract } = await served(server, 'read:*');
        const admin = openRemoteStore({ url: remote.url, token: (await server.token('admin')).authorization.slice('Bearer '.length) });
        try {
          const local = store.copySource!;
          const head = await local.copyHead();
          expect(head.head).toBe(await store.headPosition());
          expect(head.lastChange).toBeGreaterThan(0);
          expect(await remote.store.copySource.copyHead()).toEqual(head);
          expect(await remote.store.copySource.storeId()).toBe(await local.storeId());

          const rows = await local.readCopyEvents(0, head.head, MAX_PAGE_SIZE);
          // the scavenge left gaps, and the rows keep the stored text
          expect(rows.length).toBeLessThan(head.head);
          expect(rows.slice(0, 3)).toEqual(RAW_ROWS);
          expect(await remote.store.copySource.readCopyEvents(0, head.head, MAX_PAGE_SIZE)).toEqual(rows);
          // pages cut anywhere read the same rows
          expect(await remote.store.copySource.readCopyEvents(2, head.head - 1, 3)).toEqual(await local.readCopyEvents(2, head.head - 1, 3));
          expect(await remote.store.copySource.readCopyEvents(head.head, head.head, 10)).toEqual([]);

          const changes = await local.readStreamChanges(0, 1000);
          expect(changes.map((change) => change.name).sort()).toEqual(['order-0', 'order-1', 'payment-2', 'stock-1'].sort());
          expect(await remote.store.copySource.readStreamChanges(0, 1000)).toEqual(changes);
          expect(await remote.store.copySource.readStreamChanges(changes[1]!.changed, 2)).toEqual(await local.readStreamChanges(changes[1]!.changed, 2));

          const tables = await local.readTables();
          expect(tables.find((table) => table.table === 'parked_events')!.rows).toHaveLength(1);
          expect(await admin.copySource.readTables()).toEqual(tables);
          // a read:* token copies the log alone: the other tables answer none
          expect(await remote.store.copySource.readTables()).toEqual([]);

          for (const url of [`/copy/head`, `/copy/events?after=0&until=${head.head}`, '/copy/streams', '/copy/tables']) {
            const response = await server.app.inject({ method: 'GET', url, headers: await server.token('admin') });
            expect(response.headers['content-type']).toContain('application/json');
            contract.check('GET', url.split('?')[0]!, 200, JSON.parse(response.body));
          }
        } finally {
          await remote.store.close();
          await admin.close();
        }
      });
    });
  });
}

describe('the remote copy source', () => {
  it('reads more rows than one page holds in several requests, and refuses a snapshot and bad arguments with coded errors', async () => {
    await withServer({}, async (server) => {
      const { store } = server;
      for (let batch = 0; batch < 11; batch++) {
        await store.appendMany([{ stream: `order-${batch}`, events: Array.from({ length: 1000 }, (_, i) => ({ type: 'Placed', data: { i } })) }]);
      }
      const { remote } = await served(server);
      try {
        const head = await store.headPosition();
        expect(head).toBe(11_000);
        const all = await remote.store.copySource.readCopyEvents(0, head, 10_500);
        expect(all).toEqual(await store.copySource!.readCopyEvents(0, head, 10_500));
        expect(all.map((row) => row[0])).toEqual(Array.from({ length: 10_500 }, (_, i) => i + 1));
        expect(await remote.store.copySource.readCopyEvents(10_990, head, 50_000)).toHaveLength(10);
        await expect(remote.store.copySource.snapshot(async () => 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { reason: 'remote-snapshot' } });
        await expect(remote.store.copySource.readCopyEvents(-1, head, 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(remote.store.copySource.readCopyEvents(0, head, 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(remote.store.copySource.readStreamChanges(0.5, 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      } finally {
        await remote.store.close();
      }
    });
  });
});

/** A remote store on the test server over real HTTP, with a token of `scopes` when given, and the server's OpenAPI document. */
async function served(server: TestServer, ...scopes: string[]) {
  const url = await listening(server.app);
  const token = scopes.length === 0 ? undefined : (await server.token(...scopes)).authorization.slice('Bearer '.length);
  const contract = await OpenApiContract.load(server.app);
  return { remote: { url, store: openRemoteStore({ url, token }) }, contract };
}
