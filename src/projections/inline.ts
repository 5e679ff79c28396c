import { TributaryError } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import { categoryOf } from '../core/stream-name.js';
import type { EventStore, LogFilter } from '../store/event-store.js';
import { defineProjection, handlerFor, invalidProjection, storageNameOf, type ProjectionDefinition } from './projection.js';
import { getProjection, insertProjection, registryReady, sqlOf } from './registry.js';
import { createStorage, publishStorage } from './storage.js';

/**
 * Runs a projection inside every append of this store handle: its table or
 * documents change in the append's own transaction, so a read right after the
 * append sees them, and a handler's throw fails the append. Every process that
 * appends to the store must register it. It sees only events appended after it
 * was first registered, so it must be registered before the log has events;
 * for a log with history, use `runProjection`. Returns the hook's removal.
 *
 * ```ts
 * const remove = await registerInlineProjection(store, balances);
 * ```
 */
export async function registerInlineProjection<Context>(store: EventStore, definition: ProjectionDefinition<Context>): Promise<() => void> {
  const settled = defineProjection(definition) as ProjectionDefinition<unknown>;
  const { name, sink, version } = settled;
  if (sink.storage !== 'sql') throw invalidProjection(name, 'sink', 'of an inline projection must live in the store database (table, documents or search)');
  const sql = sqlOf(store, name);
  await registryReady(sql);
  const head = await store.headPosition();
  const record = await sql.transaction(async (tx) => {
    const existing = await getProjection(tx, name);
    if (existing === undefined) {
      if (head > 0) throw conflict(name, 'an inline projection sees only later appends, and this log already has events: use runProjection');
      const fresh = { name, sink: sink.kind, mode: 'inline' as const, live: 1, liveVersion: version, building: null, buildingVersion: null, retired: null, definition: null, location: null };
      await insertProjection(tx, fresh);
      await createStorage(tx, settled, 1);
      await publishStorage(tx, settled, 1);
      return fresh;
    }
    if (existing.mode !== 'inline' || existing.sink !== sink.kind) throw conflict(name, `is registered as a ${existing.mode} ${existing.sink} projection`);
    if (existing.liveVersion !== version) throw conflict(name, `is registered at version ${existing.liveVersion}; an inline projection is not rebuilt`);
    return existing;
  });
  const storage = storageNameOf(name, record.live);
  const filter = settled.filter ?? {};
  return sql.addInlineHook(async (events, tx) => {
    const context = sink.context(tx, storage);
    for (const event of events) if (selects(filter, event)) await handlerFor(settled, event.type)?.(event, context);
  });
}

function selects(filter: LogFilter, event: RecordedEvent): boolean {
  return (
    (filter.categories === undefined || filter.categories.includes(categoryOf(event.stream))) &&
    (filter.types === undefined || filter.types.includes(event.type)) &&
    (filter.streamPrefix === undefined || event.stream.startsWith(filter.streamPrefix))
  );
}

function conflict(name: string, reason: string): TributaryError {
  return new TributaryError('PROJECTION_CONFLICT', `projection ${JSON.stringify(name)}: ${reason}`, { projection: name });
}
