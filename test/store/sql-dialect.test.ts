import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { SqlAccess } from '../../src/store/sql-access.js';
import { backends } from '../support/backends.js';

describe.each(backends)('the SQL dialect on $name', ({ name, location }) => {
  let store: EventStore;
  let sql: SqlAccess;
  beforeEach(async () => {
    store = await openStore(location(`dialect-${Math.random().toString(36).slice(2, 10)}`));
    sql = store.sql!;
  });
  afterEach(() => store.close());

  it('is the one the store’s transactions carry, named after its backend', async () => {
    expect(sql.dialect.name).toBe(name);
    expect(await sql.transaction(async (tx) => tx.dialect)).toBe(sql.dialect);
  });

  it('writes `?` placeholders as `placeholder(n)` does, and the database binds them in order', async () => {
    const { dialect } = sql;
    expect(dialect.placeholders('SELECT ? AS a, ? AS b')).toBe(`SELECT ${dialect.placeholder(1)} AS a, ${dialect.placeholder(2)} AS b`);
    expect(await sql.query(dialect.placeholders('SELECT ? AS a, ? AS b'), ['x', 'y'])).toEqual([{ a: 'x', b: 'y' }]);
  });

  it('binds booleans the database stores and compares as booleans', async () => {
    const { dialect } = sql;
    await sql.transaction(async (tx) => {
      await tx.execute('CREATE TABLE flags (id TEXT PRIMARY KEY, flag BOOLEAN NOT NULL)');
      await tx.execute(dialect.placeholders('INSERT INTO flags VALUES (?, ?), (?, ?)'), ['on', dialect.booleanParam(true), 'off', dialect.booleanParam(false)]);
    });
    expect(await sql.query('SELECT id FROM flags WHERE flag')).toEqual([{ id: 'on' }]);
  });

  it('looks tables and names up in the catalogue', async () => {
    const { dialect } = sql;
    await sql.transaction((tx) => tx.execute('CREATE TABLE probe (c INTEGER)'));
    const found = async ({ sql: text, params }: { sql: string; params: readonly unknown[] }) => (await sql.query(text, params)).length > 0;
    expect(await found(dialect.tableExistsQuery('probe'))).toBe(true);
    expect(await found(dialect.tableExistsQuery('absent'))).toBe(false);
    expect(await found(dialect.nameTakenQuery('probe'))).toBe(true);
    expect(await found(dialect.nameTakenQuery('absent'))).toBe(false);
  });

  it('names a table\'s primary-key columns in key order, and none for a table without one', async () => {
    const { dialect } = sql;
    await sql.transaction(async (tx) => {
      await tx.execute('CREATE TABLE single_key (id TEXT PRIMARY KEY, n INTEGER)');
      await tx.execute('CREATE TABLE pair_key (a TEXT NOT NULL, z TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (z, a))');
      await tx.execute('CREATE TABLE no_key (a TEXT, b TEXT)');
    });
    const key = async (table: string) => {
      const { sql: text, params } = dialect.primaryKeyQuery(table);
      return (await sql.query<{ name: string }>(text, params)).map((row) => row.name);
    };
    expect(await key('single_key')).toEqual(['id']);
    expect(await key('pair_key')).toEqual(['z', 'a']);
    expect(await key('no_key')).toEqual([]);
    expect(await key('absent')).toEqual([]);
  });

  it('makes a writer of the rows a `selectForUpdate` read wait until that transaction ends', async () => {
    const { dialect } = sql;
    await sql.transaction(async (tx) => {
      await tx.execute('CREATE TABLE counters (id TEXT PRIMARY KEY, n INTEGER NOT NULL)');
      await tx.execute("INSERT INTO counters VALUES ('a', 0)");
    });
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reader = sql.transaction(async (tx) => {
      await tx.query(dialect.placeholders(dialect.selectForUpdate('SELECT n FROM counters WHERE id = ?')), ['a']);
      order.push('read');
      await held;
      order.push('reader ends');
    });
    while (!order.includes('read')) await Promise.race([sleep(5), reader]);
    const writer = sql.transaction(async (tx) => {
      await tx.execute(dialect.placeholders('UPDATE counters SET n = n + 1 WHERE id = ?'), ['a']);
      order.push('written');
    });
    // time for a writer that is not held back to get through
    await sleep(200);
    release();
    await Promise.all([reader, writer]);
    expect(order).toEqual(['read', 'reader ends', 'written']);
  });
});
