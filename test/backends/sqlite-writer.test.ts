import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { GroupCommitWriter } from '../../src/backends/sqlite/sqlite-writer.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-writer-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function openDb(name: string) {
  const db = new BetterSqlite3(join(folder, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

it('holds group commits back while exclusive work runs, then commits them', async () => {
  const db = openDb('exclusive.db');
  db.exec('CREATE TABLE t (n integer)');
  const writer = new GroupCommitWriter(db, { onCommit: () => undefined, sync: () => Promise.resolve(), head: () => 0 });
  const order: string[] = [];
  let finish!: () => void;
  const exclusive = writer.exclusive(async () => {
    db.prepare('INSERT INTO t VALUES (1)').run();
    await new Promise<void>((resolve) => (finish = resolve));
    order.push('exclusive');
  });
  const grouped = writer.submit(() => {
    order.push('group');
    return db.prepare('SELECT count(*) AS n FROM t').get() as { n: number };
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(order).toEqual([]);
  finish();
  await exclusive;
  expect(await grouped).toEqual({ n: 1 });
  expect(order).toEqual(['exclusive', 'group']);
  await expect(writer.exclusive(async () => { db.prepare('INSERT INTO t VALUES (2)').run(); throw new Error('undo'); })).rejects.toThrow('undo');
  expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
  await writer.close();
  db.close();
});
