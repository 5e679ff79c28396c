import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RecordedEvent } from '../../src/core/event.js';
import { defineProjection, type ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { lakeSink, type LakeContext } from '../../src/projections/sinks/lake.js';
import { tableSink, type TableContext } from '../../src/projections/sinks/table.js';
import type { EventStore } from '../../src/store/event-store.js';
import { currentReplay, type ReplayInfo } from '../../src/time/replay-context.js';

/** The order example: each order placed, then some shipped, some cancelled; `placed` orders in all. */
export async function appendOrders(store: EventStore, from: number, placed: number): Promise<void> {
  for (let i = from; i < from + placed; i++) {
    await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { orderId: `o${i}`, total: 10 * i, customer: `c${i % 3}` } }]);
    if (i % 3 === 1) await store.append(`order-${i}`, [{ type: 'OrderShipped', data: { orderId: `o${i}`, carrier: i % 2 === 0 ? 'dhl' : 'ups' } }]);
    if (i % 4 === 3) await store.append(`order-${i}`, [{ type: 'OrderCancelled', data: { orderId: `o${i}` } }]);
  }
}

/** Which replay each handler call ran in, for the test that asks. */
export const seenReplays: (ReplayInfo | undefined)[] = [];

/** The orders table: one row per order not cancelled, with its status. */
export function ordersTable(name = 'orders'): ProjectionDefinition<unknown> {
  return defineProjection<TableContext>({
    name,
    version: 1,
    sink: tableSink({ schema: (t) => [`CREATE TABLE "${t}" (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, total REAL NOT NULL, customer TEXT NOT NULL)`] }),
    handlers: {
      OrderPlaced: async (event: RecordedEvent, { tx, table }) => {
        seenReplays.push(currentReplay());
        const { orderId, total, customer } = event.data as { orderId: string; total: number; customer: string };
        await tx.execute(tx.dialect.placeholders(`INSERT INTO "${table}" VALUES (?, 'placed', ?, ?)`), [orderId, total, customer]);
      },
      OrderShipped: async (event: RecordedEvent, { tx, table }) => {
        await tx.execute(tx.dialect.placeholders(`UPDATE "${table}" SET status = 'shipped' WHERE order_id = ?`), [(event.data as { orderId: string }).orderId]);
      },
      OrderCancelled: async (event: RecordedEvent, { tx, table }) => {
        await tx.execute(tx.dialect.placeholders(`DELETE FROM "${table}" WHERE order_id = ?`), [(event.data as { orderId: string }).orderId]);
      },
    },
  }) as ProjectionDefinition<unknown>;
}

/** The order documents, declared in a file: one per order stream, removed when cancelled. */
export const orderDocsFile = { name: 'order_docs', version: 1, sink: 'documents', categories: ['order'], key: 'stream', delete: ['OrderCancelled'] };

/** Every order event as a lake row. */
export function orderLake(directory: string): ProjectionDefinition<unknown> {
  return defineProjection<LakeContext>({
    name: 'order_lake',
    version: 1,
    sink: lakeSink({
      directory,
      rollMs: 50,
      columns: [
        { name: 'order_id', type: 'VARCHAR' },
        { name: 'type', type: 'VARCHAR' },
        { name: 'total', type: 'DOUBLE' },
      ],
    }),
    handlers: {
      '*': (event: RecordedEvent, lake) => {
        const data = event.data as { orderId: string; total?: number };
        lake.write({ order_id: data.orderId, type: event.type, total: data.total ?? null });
      },
    },
  }) as ProjectionDefinition<unknown>;
}

/** Every table of a store's database, each table's rows as sorted JSON text: what a replay must leave alone. */
export async function dumpTables(store: EventStore): Promise<Record<string, string[]>> {
  const sql = store.sql!;
  const list =
    sql.dialect.name === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
      : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = (current_schemas(false))[1] ORDER BY 1';
  const dump: Record<string, string[]> = {};
  for (const { name } of await sql.query<{ name: string }>(list)) {
    const rows = await sql.query(`SELECT * FROM "${name}"`);
    dump[name] = rows.map((row) => JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))).sort();
  }
  return dump;
}

/** Every file under `folder` with its size, by path. */
export function listFiles(folder: string): Record<string, number> {
  const files: Record<string, number> = {};
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) visit(path);
      else files[relative(folder, path)] = statSync(path).size;
    }
  };
  visit(folder);
  return files;
}

/** Appends the events of `source` up to `until` to the empty `target`, ids included: a copy of the log cut at that point. */
export async function copyLogUntil(source: EventStore, target: EventStore, until: number): Promise<void> {
  for (let after = 0; after < until; ) {
    const page = await source.readAll({ after, limit: 500 });
    for (const event of page.events) {
      if (event.position > until) return;
      await target.append(event.stream, [{ id: event.id, type: event.type, data: event.data, metadata: event.metadataJson === null ? undefined : event.metadata }]);
    }
    if (page.next === null) return;
    after = page.next;
  }
}
