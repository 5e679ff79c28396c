import BetterSqlite3 from 'better-sqlite3';
import { fstatSync, fsync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqliteEventStore, openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { WalSync, type FsyncFunction } from '../../src/backends/sqlite/sqlite-wal-sync.js';
import { GroupCommitWriter } from '../../src/backends/sqlite/sqlite-writer.js';
import { isTributaryError } from '../../src/core/errors.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-wal-sync-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A sync the test lets finish, one call at a time. */
function gatedSync() {
  const calls: Array<{ finish: () => void; fail: (error: Error) => void }> = [];
  const sync = () => new Promise<void>((finish, fail) => calls.push({ finish, fail }));
  return { calls, sync };
}

function openTable(name: string) {
  const db = new BetterSqlite3(join(folder, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (n integer)');
  const rows = () => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  return { db, rows, insert: (n: number) => () => db.prepare('INSERT INTO t VALUES (?)').run(n) };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 5));

function tracked<T>(promise: Promise<T>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(() => (state.settled = true), (error: unknown) => ((state.settled = true), (state.error = error)));
  return state;
}

it('answers a group once its sync is done, commits the next groups meanwhile, and one sync answers every commit made before it', async () => {
  const { db, rows, insert } = openTable('pipeline.db');
  const { calls, sync } = gatedSync();
  let notified = 0;
  const writer = new GroupCommitWriter(db, { onCommit: () => notified++, sync, head: rows });
  const first = tracked(writer.submit(insert(1)));
  await turn();
  expect(rows()).toBe(1);
  expect(calls).toHaveLength(1);
  expect(first.settled).toBe(false);
  expect(writer.visibleUntil()).toBe(0);
  const second = tracked(writer.submit(insert(2)));
  const third = tracked(writer.submit(insert(3)));
  await turn();
  // committed while the first sync runs, and not answered by it
  expect(rows()).toBe(3);
  calls[0]!.finish();
  await turn();
  expect(first.settled).toBe(true);
  expect([second.settled, third.settled]).toEqual([false, false]);
  expect(notified).toBe(1);
  expect(writer.visibleUntil()).toBe(1);
  expect(calls).toHaveLength(2);
  calls[1]!.finish();
  await turn();
  expect([second.settled, third.settled]).toEqual([true, true]);
  expect(writer.visibleUntil()).toBe(Infinity);
  expect(notified).toBe(2);
  await writer.close();
  db.close();
});

it('answers bookkeeping at once, while a durable commit before it waits for its sync', async () => {
  const { db, rows, insert } = openTable('bookkeeping.db');
  const { calls, sync } = gatedSync();
  const writer = new GroupCommitWriter(db, { onCommit: () => undefined, sync, head: rows });
  const durable = tracked(writer.submit(insert(1)));
  await turn();
  await writer.submit(insert(2), { durable: false });
  expect(durable.settled).toBe(false);
  expect(calls).toHaveLength(1);
  calls[0]!.finish();
  await turn();
  expect(durable.settled).toBe(true);
  await writer.close();
  db.close();
});

it('lets the next group commit while exclusive work waits for its sync, and answers the work after it', async () => {
  const { db, rows, insert } = openTable('exclusive-sync.db');
  const { calls, sync } = gatedSync();
  const writer = new GroupCommitWriter(db, { onCommit: () => undefined, sync, head: rows });
  const exclusive = tracked(writer.exclusive(async () => insert(1)()));
  await turn();
  expect(writer.holding).toBe(false);
  expect(exclusive.settled).toBe(false);
  const grouped = tracked(writer.submit(insert(2)));
  await turn();
  expect(rows()).toBe(2);
  calls[0]!.finish();
  await turn();
  expect(exclusive.settled).toBe(true);
  expect(grouped.settled).toBe(false);
  calls[1]!.finish();
  await writer.close();
  expect(grouped.settled).toBe(true);
  db.close();
});

it('fails every commit waiting on a failed sync with STORE_UNAVAILABLE, and refuses later writes', async () => {
  const { db, rows, insert } = openTable('failed.db');
  const { calls, sync } = gatedSync();
  const writer = new GroupCommitWriter(db, { onCommit: () => undefined, sync, head: rows });
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (caught: unknown) => caught);
  const first = failure(writer.submit(insert(1)));
  await turn();
  const second = failure(writer.submit(insert(2)));
  await turn();
  calls[0]!.fail(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
  await turn();
  for (const error of await Promise.all([first, second, failure(writer.submit(insert(3))), failure(writer.exclusive(async () => undefined))])) {
    expect(isTributaryError(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({ storage: 'I/O error', errno: 'EIO' });
  }
  await writer.close();
  db.close();
});

/** A store on a migrated file whose WAL is synced with `fsyncFunction`. */
async function storeSyncedWith(name: string, fsyncFunction: FsyncFunction): Promise<{ store: SqliteEventStore; path: string }> {
  const path = join(folder, name);
  await openSqliteStore({ path }).close();
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return { store: new SqliteEventStore(db, path, Date.now, { walSync: new WalSync(path, fsyncFunction) }), path };
}

it('opens a file store whose commits leave the sync of the WAL to the writer', async () => {
  const store = openSqliteStore({ path: join(folder, 'opened.db') });
  expect(await store.sql.query('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]);
  await store.close();
});

it('syncs the database file’s own WAL', async () => {
  const synced: number[] = [];
  const { store, path } = await storeSyncedWith('real.db', (fd, done) => {
    synced.push(fstatSync(fd).ino);
    fsync(fd, done);
  });
  await store.append('order-1', [{ type: 'Placed', data: {} }]);
  expect(synced).toEqual([statSync(`${path}-wal`).ino]);
  await store.close();
});

it('shows no reader of the log an append before its sync is done, and wakes no waiter', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { store } = await storeSyncedWith('visible.db', (fd, done) => void gate.then(() => fsync(fd, done)));
  const woken = store.waitForPosition(0, { timeoutMs: 5000 });
  const appended = store.append('order-1', [{ type: 'Placed', data: {} }]);
  const waiting = tracked(woken);
  const append = tracked(appended);
  await turn();
  expect(append.settled).toBe(false);
  expect((await store.readAll()).events).toEqual([]);
  expect((await store.readAll({ categories: ['order'] })).events).toEqual([]);
  expect(await store.headPosition()).toBe(0);
  expect(waiting.settled).toBe(false);
  release();
  expect(await appended).toMatchObject({ position: 1 });
  expect((await store.readAll()).events.map((event) => event.position)).toEqual([1]);
  expect(await store.headPosition()).toBe(1);
  expect(await woken).toBe(1);
  await store.close();
});
