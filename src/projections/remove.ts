import { rm } from 'node:fs/promises';
import type { EventStore } from '../store/event-store.js';
import { consumerNameOf, lakeDirectoryOf, storageNameOf } from './projection.js';
import { deleteProjection, requireProjection, sqlOf } from './registry.js';
import { dropTable } from './storage.js';

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
    if (record.sink !== 'lake') for (const generation of generations) await dropTable(tx, storageNameOf(name, generation));
  });
  for (const generation of generations) {
    await store.consumers.remove(consumerNameOf(name, generation));
    if (record.location !== null) await rm(lakeDirectoryOf(record.location, name, generation), { recursive: true, force: true });
  }
}
