import { TributaryError } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import { recordingsIn } from '../../store/gateway-recordings.js';
import { projectionOwner } from '../../subscriptions/handling.js';
import { standingGenerations } from './generation-states.js';
import { haltLocalRunners } from './local-runners.js';
import { consumerNameOf, lakeProjectionDirectoryOf, projectionBusy, storageNameOf } from '../definition/projection.js';
import { deleteProjection, getRegistryEntry, markRemoving, sqlOf } from './registry.js';
import { dropTable, removeTree } from '../sinks/storage.js';
import { dropView } from '../sinks/views.js';

/**
 * Removes projection `name`: every generation's tables (or lake files), the view
 * readers use, its checkpoints and its gateway recordings. In this process, a running projection stops
 * first, after the roll it may be writing. Another process's runner stops
 * within its `watchMs` and deletes what it wrote after this removal.
 *
 * The registry marks the removal first, in the transaction that drops the
 * tables; the entry goes once the checkpoints and files are gone. A removal that
 * fails halfway (PROJECTION_BUSY when another process's roll keeps the lake busy)
 * is finished by calling this again.
 *
 * ```ts
 * await removeProjection(store, 'orders');
 * ```
 */
export async function removeProjection(store: EventStore, name: string): Promise<void> {
  const sql = sqlOf(store, name);
  const entry = await sql.transaction(async (tx) => {
    const found = await getRegistryEntry(tx, name);
    if (found === undefined) throw new TributaryError('PROJECTION_NOT_FOUND', `no projection named ${JSON.stringify(name)} is registered`, { projection: name });
    await markRemoving(tx, name);
    // the answers its handlers recorded go with the projection: one made again under the name starts afresh
    await recordingsIn(tx).drop(projectionOwner(name));
    if (found.sink === 'table' || found.sink === 'documents') await dropView(tx, name);
    if (found.location === null) for (const generation of standingGenerations(found)) await dropTable(tx, storageNameOf(name, generation));
    return found;
  });
  await haltLocalRunners(sql, name);
  // every generation's consumer, also one a crash left behind when a newer rebuild replaced it
  const prefix = consumerNameOf(name, 0).slice(0, -1);
  for (const consumer of await store.consumers.list()) {
    if (consumer.name.startsWith(prefix) && /^\d+$/.test(consumer.name.slice(prefix.length))) await store.consumers.remove(consumer.name);
  }
  if (entry.location !== null) await removeLake(name, lakeProjectionDirectoryOf(entry.location, name));
  await sql.transaction((tx) => deleteProjection(tx, name));
}

async function removeLake(name: string, directory: string): Promise<void> {
  try {
    await removeTree(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EBUSY') {
      throw projectionBusy(name, `has lake files another process is still writing in ${directory}: retry the removal to finish it`);
    }
    throw error;
  }
}
