import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { SCHEMA_VERSION } from '../../src/backends/postgres/postgres-schema.js';
import { throwawayDatabase } from '../support/postgres.js';

const database = await throwawayDatabase();
afterAll(async () => database?.drop());

describe.skipIf(database === undefined)('postgres: schema and migrations', () => {
  it('many processes opening a new database at the same moment migrate it once, and all work', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore({ url: database!.url, schema: 'racing', poolSize: 1 })));
    try {
      await Promise.all(stores.map((store, i) => store.append(`account-${i}`, [{ type: 'Opened', data: {} }])));
      expect(await stores[0]!.headPosition()).toBe(6);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    try {
      const versions = await admin.query<{ version: number }>('SELECT version FROM racing.migrations ORDER BY version');
      expect(versions.rows.map((row) => row.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await admin.end();
    }
  });

  it('a schema named like an SQL keyword works: every statement quotes it', async () => {
    const store = await openPostgresStore({ url: database!.url, schema: 'user', poolSize: 2 });
    try {
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      expect((await store.readAll({ categories: ['order'] })).events).toHaveLength(1);
      expect((await store.consumers.register({ name: 'c', partitions: 1, startAt: 0, filter: {} })).partitions).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('opening an up-to-date schema runs no DDL, so it never queues behind in-flight appends', async () => {
    const first = await openPostgresStore({ url: database!.url, schema: 'settled', poolSize: 1 });
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    try {
      // hold the lock a DDL statement on events would need; a second open must not wait for it
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE settled.events IN SHARE ROW EXCLUSIVE MODE');
      const started = Date.now();
      const second = await openPostgresStore({ url: database!.url, schema: 'settled', poolSize: 1 });
      expect(Date.now() - started).toBeLessThan(2000);
      await second.close();
    } finally {
      await admin.query('ROLLBACK');
      await admin.end();
      await first.close();
    }
  });

  it('refuses a schema name that would need quoting', async () => {
    await expect(openPostgresStore({ url: database!.url, schema: 'Robert"); DROP' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses a schema migrated by a newer Tributary', async () => {
    const store = await openPostgresStore({ url: database!.url, schema: 'future', poolSize: 1 });
    await store.close();
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    await admin.query('INSERT INTO future.migrations (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
    await admin.end();
    await expect(openPostgresStore({ url: database!.url, schema: 'future' })).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' });
  });
});
