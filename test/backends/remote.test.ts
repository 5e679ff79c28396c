import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, vi } from 'vitest';
import { openRemoteStore, type RemoteEventStore } from '../../src/backends/remote/remote-store.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { buildServer } from '../../src/server/server.js';
import { describeEventStoreContract } from '../contract/event-store.contract.js';

// every call is an HTTP round trip: the property-based cases need more time than the embedded backends' on a busy machine
vi.setConfig({ testTimeout: 120_000 });

const folder = mkdtempSync(join(tmpdir(), 'tributary-remote-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;
const urls = new WeakMap<EventStore, string>();

/** A remote store on a real server (real sockets) over a fresh SQLite file; closing it closes the server and the file too. */
async function openServed(clock?: () => number): Promise<RemoteEventStore> {
  const backing = openSqliteStore({ path: join(folder, `remote-${files++}.db`), clock });
  const app = await buildServer({ store: backing, open: true, limits: { eventsPerAppend: 10_000, bodyBytes: 64 * 1024 * 1024 } });
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
  async openAnother(store) {
    return openRemoteStore({ url: urls.get(store)! });
  },
});
