import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { mirrorLog } from '../../src/mirror/mirror-log.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends } from '../support/backends.js';
import { dumpStore } from '../support/store-dump.js';
import { fillForCopy } from './copy-fixture.js';
import { listening, withServer } from './support.js';

let labels = 0;

async function caughtUp(source: EventStore, target: EventStore): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const head = await source.copySource!.copyHead();
    // what the target's readers see, not only its checkpoint: a batch is committed before it is on disk and readable
    const seen = await target.copySource!.copyHead();
    if (seen.head >= head.head && seen.lastChange >= head.lastChange) return;
    if (Date.now() > deadline) throw new Error(`the mirror did not catch up: ${JSON.stringify({ head, seen })}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const backend of backends) {
  describe(`a mirror through a server on ${backend.name}`, () => {
    it('copies the log exactly with a read:* token, and follows it live with the other tables through an admin one', async () => {
      const source = await openStore(backend.location(`mirror_http_${labels++}`));
      await withServer({ store: source, open: false }, async (server) => {
        await fillForCopy(source);
        const url = await listening(server.app);
        const bare = (scope: string) => server.token(scope).then(({ authorization }) => authorization.slice('Bearer '.length));
        const reader = openRemoteStore({ url, token: await bare('read:*') });
        const admin = openRemoteStore({ url, token: await bare('admin') });
        const logOnly = await openStore(backend.location(`mirror_http_${labels++}`));
        const full = await openStore(backend.location(`mirror_http_${labels++}`));
        try {
          const result = await mirrorLog(reader, logOnly, { follow: false, batchEvents: 4 });
          expect(result.checkpoint.position).toBe(await source.headPosition());
          expect(await dumpStore(logOnly)).toEqual(await dumpStore(source));
          expect((await logOnly.copyTarget!.copyState())?.sourceId).toBe(await source.copySource!.storeId());
          // the tables need admin: this mirror holds none of them
          expect((await logOnly.copySource!.readTables()).every((table) => table.rows.length === 0)).toBe(true);

          const stop = new AbortController();
          const running = mirrorLog(admin, full, { signal: stop.signal, pollMs: 50, batchEvents: 3, tablesEveryMs: 0 });
          try {
            await caughtUp(source, full);
            await source.append('order-kept', [{ type: 'Placed', data: { live: 'é\u2028', n: 1e21 } }]);
            await source.setStreamMetadata('order-kept', { maxCount: 2 });
            await source.scavenge();
            await source.consumers.register({ name: 'late-feed', partitions: 1, startAt: 0, filter: { categories: ['order'] } });
            await caughtUp(source, full);
            expect(await dumpStore(full)).toEqual(await dumpStore(source));
            // the other tables follow every round here; wait for the round after the consumer came
            const deadline = Date.now() + 10_000;
            while (JSON.stringify(await full.copySource!.readTables()) !== JSON.stringify(await source.copySource!.readTables()) && Date.now() < deadline) {
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
            expect(await full.copySource!.readTables()).toEqual(await source.copySource!.readTables());
          } finally {
            stop.abort();
            await running;
          }
        } finally {
          await Promise.all([reader.close(), admin.close(), logOnly.close(), full.close()]);
        }
      });
    });
  });
}
