import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/backends/sqlite/sqlite-checkpointer.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-checkpointer-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('copies the WAL into the database file from its own thread, the store’s connection never checkpointing', async () => {
  const path = join(folder, 'checkpointed.db');
  const store = openSqliteStore({ path });
  expect(await store.sql.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 0 }]);
  const before = statSync(path).size;
  const data = { text: 'x'.repeat(1000) };
  for (let batch = 0; batch < 20; batch++) {
    await store.append(`order-${batch}`, Array.from({ length: 100 }, () => ({ type: 'Placed', data })));
  }
  // 2,000 events of 1 KB reach the database file only through a checkpoint
  await eventually(() => statSync(path).size > before + 2_000_000);
  expect((await store.readAll({ limit: 5000 })).events).toHaveLength(2000);
  await store.close();
});

it('hands checkpoints back to the connection when its thread fails', async () => {
  let reason: string | undefined;
  const checkpointer = new WalCheckpointer(join(folder, 'missing', 'none.db'), 1000, (why) => (reason = why));
  checkpointer.commitsSynced();
  await eventually(() => reason !== undefined);
  expect(reason).toMatch(/^the checkpoint thread failed: /);
  await checkpointer.close();
});
