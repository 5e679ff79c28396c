import { rm } from 'node:fs/promises';
import type { SqlTransaction } from '../store/consumer-store.js';
import type { EventStore } from '../store/event-store.js';
import { lakeDirectoryOf } from './feeders.js';
import { consumerNameOf, storageNameOf } from './projection.js';
import { deleteProjection, requireProjection, sqlOf } from './registry.js';
import { documentsSql } from './sinks/documents-sql.js';
import { searchSql } from './sinks/search-sql.js';

/**
 * Removes projection `name`: its registry entry, every generation's tables (or
 * lake files), the view readers use, and its checkpoints. Stop the processes
 * running it first: a running projection registers itself again at its next look.
 * Extra tables a table sink's schema made besides the generation's own are left.
 */
export async function removeProjection(store: EventStore, name: string): Promise<void> {
  const sql = sqlOf(store, name);
  const record = await requireProjection(sql, name);
  const generations = [record.live, record.building, record.retired].filter((generation) => generation !== null);
  await sql.transaction(async (tx) => {
    await deleteProjection(tx, name);
    if (record.sink === 'table' || record.sink === 'documents') await tx.execute(`DROP VIEW IF EXISTS ${name}`);
    for (const generation of generations) await dropTables(tx, record.sink, storageNameOf(name, generation));
  });
  for (const generation of generations) {
    await store.consumers.remove(consumerNameOf(name, generation));
    if (record.location !== null) await rm(lakeDirectoryOf(record.location, name, generation), { recursive: true, force: true });
  }
}

function dropTables(tx: SqlTransaction, sink: string, table: string): Promise<unknown> {
  if (sink === 'documents') return documentsSql.drop(tx, table);
  if (sink === 'search') return searchSql.drop(tx, table);
  return sink === 'table' ? tx.execute(`DROP TABLE IF EXISTS ${table}`) : Promise.resolve();
}
