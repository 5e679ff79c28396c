import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/backends/sqlite/sqlite-checkpointer.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-checkpointer-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Waits until `check` holds, running `meanwhile` (or a 20 ms pause) between looks. */
async function eventually(check: () => boolean, meanwhile?: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await (meanwhile?.() ?? new Promise((resolve) => setTimeout(resolve, 20)));
  }
}

it('copies the WAL into the database file from its own thread, the store’s connection never checkpointing', async () => {
  const path = join(folder, 'checkpointed.db');
  const store = openSqliteStore({ path });
  expect(await store.sql.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 0 }]);
  const before = statSync(path).size;
  const data = { text: 'x'.repeat(1000) };
  let batches = 0;
  // checkpoints follow commits, so appends go on until 2,000 events of 1 KB reached the database file, which only a checkpoint does
  await eventually(() => statSync(path).size > before + 2_000_000, async () => {
    await store.append(`order-${batches++}`, Array.from({ length: 100 }, () => ({ type: 'Placed', data })));
  });
  expect(await store.headPosition()).toBe(batches * 100);
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
