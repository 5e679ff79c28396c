import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';
import { CORRELATION_EXPRESSION } from '../../src/backends/sqlite/sqlite-lookup.js';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { throwawayDatabase } from '../support/postgres.js';

const database = await throwawayDatabase();
const folder = mkdtempSync(join(tmpdir(), 'tributary-correlation-plan-'));

afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  await database?.drop();
});

const events = Array.from({ length: 200 }, (_, n) => ({ type: 'Moved', data: { n }, metadata: n % 2 === 0 ? { correlationId: `c-${n % 10}` } : {} }));

describe('reads by correlation id walk the events_by_correlation index', () => {
  it('on SQLite', async () => {
    const path = join(folder, 'plan.db');
    const store = openSqliteStore({ path });
    await store.append('account-1', events);
    expect((await store.lookup.correlated('c-4')).length).toBe(20);
    await store.close();
    const db = new BetterSqlite3(path, { readonly: true });
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT e.position FROM events e WHERE ${CORRELATION_EXPRESSION} = ? AND e.position > ? ORDER BY e.position LIMIT 10`)
      .all('c-4', 0) as { detail: string }[];
    db.close();
    expect(plan.map((row) => row.detail).join('\n')).toMatch(/USING (COVERING )?INDEX events_by_correlation/);
  });

  it.skipIf(database === undefined)('on PostgreSQL', async () => {
    const store = await openPostgresStore({ url: database!.url, schema: 'plan' });
    await store.append('account-1', events);
    expect((await store.lookup.correlated('c-4')).length).toBe(20);
    const sql = store.lookup.correlatedSql;
    await store.close();
    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    try {
      // a plan can only use the index when the query's expression is the index's: with scans priced out, a mismatch still scans
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, ['c-4', 0, Date.now(), 10]);
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/events_by_correlation/);
      expect(plan).not.toMatch(/Seq Scan on events/);
    } finally {
      await client.end();
    }
  });
});
