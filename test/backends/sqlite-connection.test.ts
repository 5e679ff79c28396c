import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqliteConnection } from '../../src/backends/sqlite/sqlite-connection.js';
import { isTributaryError } from '../../src/core/errors.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-connection-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function open(name: string): SqliteConnection {
  const db = new BetterSqlite3(join(folder, name));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (n integer)');
  return new SqliteConnection(db, { onCommit: () => undefined, sync: () => Promise.resolve(), head: () => 0 });
}

const count = (connection: SqliteConnection) => connection.rows<{ n: number }>('SELECT count(*) AS n FROM t').then((rows) => rows[0]!.n);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'succeeded',
    (error: unknown) => (isTributaryError(error) ? error.code : String(error)),
  );
}

it('holds a read back while a transaction is open, though no inline hook exists, and answers it with what was committed', async () => {
  const connection = open('gate.db');
  expect(connection.inline.size).toBe(0);
  const order: string[] = [];
  let written!: () => void;
  const opened = new Promise<void>((resolve) => (written = resolve));
  // chained before the transaction: the read starts outside it
  const read = opened.then(() => count(connection)).then((n) => (order.push('read'), n));
  const transaction = connection.transaction('test', async (tx) => {
    await tx.execute('INSERT INTO t VALUES (1)');
    written();
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('commit');
  });
  await transaction;
  expect(await read).toBe(1);
  expect(order).toEqual(['commit', 'read']);
  await connection.finishWrites();
  connection.close();
});

it('refuses a write and a transaction from inside a transaction at once, and reads there at once on the transaction’s own rows', async () => {
  const connection = open('inside.db');
  const seen = await connection.transaction('test', async (tx) => {
    await tx.execute('INSERT INTO t VALUES (1)');
    return {
      write: await codeOf(connection.write('test.write', () => undefined)),
      transaction: await codeOf(connection.transaction('test.transaction', async () => undefined)),
      rows: await count(connection),
    };
  });
  expect(seen).toEqual({ write: 'TRANSACTION_REENTRY', transaction: 'TRANSACTION_REENTRY', rows: 1 });
  expect(await count(connection)).toBe(1);
  await connection.finishWrites();
  connection.close();
});

it('lets work a transaction left running write once the transaction has returned', async () => {
  const connection = open('detached.db');
  let later!: Promise<number>;
  await connection.transaction('test', async () => {
    later = new Promise((resolve) => setTimeout(resolve, 20)).then(() => connection.write('test.write', () => 7));
  });
  expect(await later).toBe(7);
  await connection.finishWrites();
  connection.close();
});

it('refuses only writes on the connection whose transaction is open', async () => {
  const first = open('first.db');
  const second = open('second.db');
  const outcomes = await first.transaction('test', () =>
    second.transaction('test', async () => ({
      first: await codeOf(first.write('test.write', () => undefined)),
      second: await codeOf(second.write('test.write', () => undefined)),
    })),
  );
  expect(outcomes).toEqual({ first: 'TRANSACTION_REENTRY', second: 'TRANSACTION_REENTRY' });
  const other = await first.transaction('test', async () => codeOf(second.write('test.write', () => undefined)));
  expect(other).toBe('succeeded');
  for (const connection of [first, second]) {
    await connection.finishWrites();
    connection.close();
  }
});
