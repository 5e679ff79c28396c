import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openRemoteStore, type RemoteEventStore } from '../../src/backends/remote/remote-store.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { buildServer } from '../../src/server/server.js';
import { describeEventStoreContract } from '../contract/event-store.contract.js';
import { OpenApiContract } from '../server/openapi.js';

// every call is an HTTP round trip: the property-based cases need more time than the embedded backends' on a busy machine
vi.setConfig({ testTimeout: 120_000 });

const folder = mkdtempSync(join(tmpdir(), 'tributary-remote-'));
// every JSON answer the contract suite provokes is checked against /openapi.json
const mismatches: string[] = [];
let checked = 0;
const openApi = (async () => {
  const store = openSqliteStore({ path: ':memory:' });
  const app = await buildServer({ store, open: true });
  try {
    return await OpenApiContract.load(app);
  } finally {
    await app.close();
    await store.close();
  }
})();
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  expect(checked).toBeGreaterThan(0);
  expect(mismatches).toEqual([]);
});
let files = 0;
const urls = new WeakMap<EventStore, string>();

/** A remote store on a real server (real sockets) over a fresh SQLite file; closing it closes the server and the file too. */
async function openServed(clock?: () => number): Promise<RemoteEventStore> {
  const backing = openSqliteStore({ path: join(folder, `remote-${files++}.db`), clock });
  const app = await buildServer({ store: backing, open: true, limits: { eventsPerAppend: 10_000, bodyBytes: 64 * 1024 * 1024 } });
  app.addHook('onSend', async (request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof payload !== 'string' || typeof type !== 'string' || !type.startsWith('application/json')) return payload;
    const path = (request.routeOptions.url ?? '').replace(/:(\w+)/g, '{$1}');
    try {
      checked++;
      (await openApi).check(request.method, path, reply.statusCode, JSON.parse(payload));
    } catch (error) {
      mismatches.push((error as Error).message.slice(0, 500));
    }
    return payload;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const remote = openRemoteStore({ url });
  urls.set(remote, url);
  const closeRemote = remote.close.bind(remote);
  remote.close = async () => {
    await closeRemote();
    await app.close();
    await backing.close();
  };
  return remote;
}

describeEventStoreContract({
  name: 'remote (HTTP to a server on SQLite)',
  open: (options) => openServed(options?.clock),
  // each run starts a server: fewer runs keep the property cases inside CI's time on a busy machine
  propertyRuns: Math.min(10, Number(process.env['PROPERTY_RUNS'] ?? 10)),
  async openAnother(store) {
    return openRemoteStore({ url: urls.get(store)! });
  },
});

describe('the remote store over the routes of multi-stream and conditional appends', () => {
  it('appends to several streams, with tags and conditions, and reads by tag and by query, as the embedded store does', async () => {
    const remote = await openServed();
    try {
      const result = await remote.appendMany([
        { stream: 'account-1', expectedRevision: 'no_stream', events: [{ type: 'Debited', data: { amount: 5 }, tags: ['transfer:1', 'a,b'] }] },
        { stream: 'account-2', events: [{ type: 'Credited', data: { amount: 5 }, tags: ['transfer:1'] }] },
      ]);
      expect(result).toMatchObject({ position: 2, streams: [{ stream: 'account-1', position: 1 }, { stream: 'account-2', position: 2 }] });
      const claim = { failIfEventsMatch: [{ types: ['Debited'], tags: ['transfer:1'] }], after: 0 };
      await expect(remote.append('account-3', [{ type: 'Opened', data: {} }], { condition: claim })).rejects.toMatchObject({
        code: 'APPEND_CONDITION_FAILED',
        details: { after: 0, positions: [1] },
      });
      await expect(remote.appendMany([{ stream: 'account-3', events: [{ type: 'Opened', data: {} }] }], { condition: claim })).rejects.toMatchObject({
        code: 'APPEND_CONDITION_FAILED',
      });
      await remote.append('account-3', [{ type: 'Opened', data: {}, tags: ['transfer:2'] }], { condition: { ...claim, after: 2 } });
      const tagged = await remote.readAll({ tags: ['transfer:1'] });
      expect(tagged.events.map((event) => [event.stream, event.tags])).toEqual([
        ['account-1', ['transfer:1', 'a,b']],
        ['account-2', ['transfer:1']],
      ]);
      expect((await remote.readAll({ tags: ['a,b'] })).events.map((event) => event.position)).toEqual([1]);
      expect((await remote.readAll({ tags: ['transfer:1'], types: ['Credited'] })).events.map((event) => event.position)).toEqual([2]);
      const queried = await remote.readAll({ query: [{ tags: ['transfer:2'] }, { types: ['Credited'] }], categories: ['account'], after: 0, limit: 10 });
      expect(queried.events.map((event) => event.position)).toEqual([2, 3]);
      await expect(remote.appendMany([])).rejects.toMatchObject({ code: 'INVALID_APPENDS' });
      await expect(remote.readAll({ query: [{}] })).rejects.toMatchObject({ code: 'INVALID_QUERY' });
      expect(await remote.headPosition()).toBe(3);
    } finally {
      await remote.close();
    }
  });
});
