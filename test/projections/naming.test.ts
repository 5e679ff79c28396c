import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import { addDeclaredProjection, runDeclaredProjections } from '../../src/projections/lifecycle/file-projections.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { findDocuments, getDocument, queryLakes, searchProjection } from '../../src/projections/reading/queries.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { removeProjection } from '../../src/projections/lifecycle/remove.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { documentSink } from '../../src/projections/sinks/documents.js';
import { lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';
import { tableSink } from '../../src/projections/sinks/table.js';
import { nameTaken, tableExists } from '../../src/projections/sinks/sql-text.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { STORE_NAMES } from '../../src/store/reserved-names.js';
import { backends, scratch } from '../support/backends.js';
import { until } from '../subscriptions/processes.js';
import { withStore } from './fixtures.js';

const FAST = { watchMs: 50, pageSize: 200, leaseMs: 2_000, heartbeatMs: 200 };

function refusedName(error: unknown): boolean {
  return isTributaryError(error, 'INVALID_PROJECTION') && error.details['field'] === 'name';
}

const SQL_SINKS = [
  { sink: 'table', fields: { a: 'data.a' } },
  { sink: 'documents' },
  { sink: 'search', fields: { a: 'data.a' } },
];

// what the grammar refuses: case, a leading digit or _, other characters, length, a generation's own suffix
const MALFORMED = ['', 'Orders', '1orders', '_orders', 'order-rows', 'order rows', 'orders;drop', 'ordérs', '"orders"', 'a'.repeat(41), 'orders_g1', 'orders_g12_doc'];

describe.each(backends)('projection names on $name', ({ location }) => {
  it("refuses the store's own table names and malformed names with INVALID_PROJECTION, from a file and from code, creating nothing", async () => {
    await withStore(location('names'), async (store) => {
      const reserved = [...STORE_NAMES, 'tributary_projections', 'tributary_anything', 'sqlite_master', 'pg_class'];
      for (const name of [...reserved, ...MALFORMED]) {
        for (const file of SQL_SINKS) {
          await expect(addDeclaredProjection(store, { name, version: 1, ...file }), `${name} as ${file.sink}`).rejects.toSatisfy(refusedName);
        }
        const code = { name, version: 1, sink: documentSink(), handlers: { '*': () => undefined } };
        await expect(runProjection(store, code, FAST), name).rejects.toSatisfy(refusedName);
      }
      expect(await projectionStatus(store)).toEqual([]);
      // the store's tables are untouched, and no view or generation table was made beside them
      expect(await store.append('tokens-1', [{ type: 'Checked', data: {} }])).toMatchObject({ position: 1 });
      for (const name of ['tokens_g1', 'events_g1', 'streams_g1']) expect(await tableExists(store.sql!, name)).toBe(false);

      // a lake's name is only a directory and a DuckDB view: `events` is a fine name for one
      const lake = join(scratch, `names-lake-${store.sql!.dialect.name}`);
      await addDeclaredProjection(store, { name: 'events', version: 1, sink: 'lake', directory: lake });
      await expect(addDeclaredProjection(store, { name: 'orders_g1', version: 1, sink: 'lake', directory: lake })).rejects.toSatisfy(refusedName);
      await removeProjection(store, 'events');
    });
  });

  it("refuses a name the database already has for something else, and a table schema the database refuses, leaving nothing behind", async () => {
    await withStore(location('names-taken'), async (store) => {
      await store.sql!.transaction((tx) => tx.execute('CREATE TABLE customers (id TEXT PRIMARY KEY)'));
      await expect(addDeclaredProjection(store, { name: 'customers', version: 1, sink: 'documents' })).rejects.toSatisfy(
        (error) => refusedName(error) && String((error as Error).message).includes('already has'),
      );
      // a search sink makes no view, only its generation table
      await addDeclaredProjection(store, { name: 'customers', version: 1, sink: 'search', fields: { a: 'data.a' } });
      await removeProjection(store, 'customers');
      expect(await tableExists(store.sql!, 'customers')).toBe(true);

      const broken = { name: 'broken', version: 1, sink: tableSink({ schema: (table) => [`CREATE TABLE ${table} (id TEXT PRIMARY KEY,)`] }), handlers: { '*': () => undefined } };
      await expect(runProjection(store, broken, FAST)).rejects.toSatisfy(
        (error) => isTributaryError(error, 'INVALID_PROJECTION') && error.details['field'] === 'sink',
      );
      expect(await projectionStatus(store)).toEqual([]);
      expect(await nameTaken(store.sql!, 'broken')).toBe(false);

      const lake = lakeSink({ directory: join(scratch, 'names-taken-lake'), columns: [{ name: 'day', type: 'VARCHAR' }] });
      await expect(runProjection(store, { name: 'daily', version: 1, sink: lake, handlers: { '*': writeEvent } })).rejects.toSatisfy(
        (error) => isTributaryError(error, 'INVALID_PROJECTION') && error.details['field'] === 'sink.columns',
      );
      await expect(addDeclaredProjection(store, { name: 'daily', version: 1, sink: 'lake', directory: 'lake', fields: { category: 'type' } })).rejects.toSatisfy(
        (error) => isTributaryError(error, 'INVALID_PROJECTION') && error.details['field'] === 'fields.category',
      );
    });
  });

  it('SQL keywords work as projection and field names in every sink: built, queried, rebuilt and removed', async () => {
    await withStore(location('keywords'), async (store) => {
      const fields = { select: 'data.select', order: 'data.order', group: 'type' };
      const directory = join(scratch, `keywords-lake-${store.sql!.dialect.name}`);
      const files = [
        { name: 'order', version: 1, sink: 'table', categories: ['item'], fields, columns: { order: 'integer' } },
        { name: 'group', version: 1, sink: 'documents', categories: ['item'], fields },
        { name: 'select', version: 1, sink: 'search', categories: ['item'], fields },
        { name: 'from', version: 1, sink: 'lake', categories: ['item'], fields, columns: { order: 'integer' }, directory, rollMs: 20 },
      ];
      for (const file of files) await addDeclaredProjection(store, file);
      await store.append('item-1', [{ type: 'Listed', data: { select: 'waterproof boots', order: 2 } }]);
      await store.append('item-2', [{ type: 'Listed', data: { select: 'wool socks', order: 1 } }]);
      const running = await runDeclaredProjections(store, FAST);
      try {
        const head = await store.headPosition();
        for (const { name } of files) await waitForProjection(store, name, head, { timeoutMs: 30_000 });

        const rows = await store.sql!.query<Record<string, unknown>>('SELECT "key", "select", "order", "group" FROM "order" ORDER BY "order"');
        expect(rows.map((row) => ({ ...row, order: Number(row['order']) }))).toEqual([
          { key: 'item-2', select: 'wool socks', order: 1, group: 'Listed' },
          { key: 'item-1', select: 'waterproof boots', order: 2, group: 'Listed' },
        ]);
        expect(await getDocument(store, 'group', 'item-1')).toEqual({ select: 'waterproof boots', order: 2, group: 'Listed' });
        expect(await findDocuments(store, 'group', { select: 'wool socks' })).toEqual([{ id: 'item-2', doc: { select: 'wool socks', order: 1, group: 'Listed' } }]);
        expect(await findDocuments(store, 'group', { order: 2, group: 'Listed' })).toHaveLength(1);
        const hits = await searchProjection(store, 'select', 'boots');
        expect(hits.map((hit) => ({ id: hit.id, fields: hit.fields }))).toEqual([{ id: 'item-1', fields: { select: 'waterproof boots', order: '2', group: 'Listed' } }]);
        expect((await queryLakes(store, 'SELECT "select", "order", "group" FROM "from" ORDER BY "order"')).rows).toEqual([
          { select: 'wool socks', order: 1, group: 'Listed' },
          { select: 'waterproof boots', order: 2, group: 'Listed' },
        ]);

        // a rebuild re-points the keyword-named view at a new generation
        await requestRebuild(store, 'order');
        await until(async () => (await projectionStatus(store, ['order']))[0]?.generation === 2, 'the rebuild of "order" switches', 30_000);
        expect(Number((await store.sql!.query<{ n: unknown }>('SELECT count(*) AS n FROM "order"'))[0]!.n)).toBe(2);
      } finally {
        await running.stop();
      }
      for (const { name } of files) await removeProjection(store, name);
      for (const name of ['order', 'group', 'select', 'order_g1', 'order_g2', 'group_g1', 'select_g1']) expect(await nameTaken(store.sql!, name)).toBe(false);
      expect(await projectionStatus(store)).toEqual([]);
    });
  });
});
