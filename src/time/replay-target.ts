import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TributaryError, invalidArgument } from '../core/errors.js';
import { consumerNameOf, storageNameOf, type ProjectionDefinition } from '../projections/definition/projection.js';
import { getRegistryEntry } from '../projections/lifecycle/registry.js';
import { nameTaken } from '../projections/sinks/sql-text.js';
import type { EventStore } from '../store/event-store.js';
import type { SqlAccess } from '../store/sql-access.js';

/**
 * Refuses, before anything is written, a scratch store that is the source
 * itself, holds events, or holds anything of the projection (registry row,
 * checkpoint, tables), and a lake directory that is the live lake's or has
 * files: a replay never mixes with what is there. Other projections replayed
 * into the same scratch store before are fine, so they can be joined.
 * Returns the scratch store's SQL.
 */
export async function checkReplayTarget(
  source: EventStore,
  into: EventStore,
  definition: ProjectionDefinition<unknown>,
  lakeDirectory: string | undefined,
): Promise<SqlAccess> {
  if (into.sql === undefined) throw refused(into, 'is a remote store: a replay keeps its tables, registry and checkpoint in a database of its own');
  if (await sameStore(source, into)) throw refused(into, `is the store the replay reads (${source.location}): replay into a scratch store`);
  const sql = into.sql;
  const head = await into.headPosition();
  if (head > 0) throw refused(into, `is not empty: it holds events up to position ${head}`);
  const registered = await getRegistryEntry(sql, definition.name);
  if (registered !== undefined) throw refused(into, `is not empty: it has projection ${JSON.stringify(definition.name)} already`);
  const consumer = consumerNameOf(definition.name, 1);
  if ((await into.consumers.get(consumer)) !== undefined) throw refused(into, `is not empty: it has consumer ${JSON.stringify(consumer)}`);
  // a lake keeps no tables, so a lake named like one of the store's own tables (events) is fine
  const tables = definition.sink.storage === 'sql' ? [definition.name, storageNameOf(definition.name, 1)] : [];
  for (const name of tables) {
    if (await nameTaken(sql, name)) throw refused(into, `is not empty: its database has a table or view named ${JSON.stringify(name)}`);
  }
  await checkLakeDirectory(definition, lakeDirectory);
  return sql;
}

/**
 * The same store: one handle or one SQL access, or one store id (made once per
 * database and schema, whatever the URL's spelling). Locations are compared
 * only when an id is missing: a PostgreSQL location leaves the schema out.
 */
async function sameStore(source: EventStore, into: EventStore): Promise<boolean> {
  if (source === into || (source.sql !== undefined && source.sql === into.sql)) return true;
  const [sourceId, intoId] = await Promise.all([storeIdOf(source), storeIdOf(into)]);
  if (sourceId !== undefined && intoId !== undefined) return sourceId === intoId;
  return source.location === into.location;
}

/** The store's id, or undefined when it cannot tell (a server that does not let the token see it): the other signs still count. */
async function storeIdOf(store: EventStore): Promise<string | undefined> {
  return (store.copySource ?? store.copyTarget)?.storeId().catch(() => undefined);
}

async function checkLakeDirectory(definition: ProjectionDefinition<unknown>, lakeDirectory: string | undefined): Promise<void> {
  const { sink } = definition;
  if (sink.storage !== 'lake') {
    if (lakeDirectory !== undefined) throw invalidArgument('lakeDirectory', `projection ${JSON.stringify(definition.name)} is a ${sink.kind} projection: only a lake writes files`);
    return;
  }
  if (typeof lakeDirectory !== 'string' || lakeDirectory === '') {
    throw new TributaryError('INVALID_REPLAY_TARGET', `lake projection ${JSON.stringify(definition.name)} replays into a lake directory: give lakeDirectory`, {
      projection: definition.name,
      reason: 'no lake directory',
    });
  }
  const directory = resolve(lakeDirectory);
  if (directory === resolve(sink.directory)) {
    throw new TributaryError('INVALID_REPLAY_TARGET', `${directory} is the live lake of ${JSON.stringify(definition.name)}: replay into a directory of its own`, {
      into: directory,
      reason: 'the live lake',
    });
  }
  const entries = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    const reason = error.code ?? error.message;
    throw new TributaryError('INVALID_REPLAY_TARGET', `lake directory ${directory} cannot be used: ${reason}`, { into: directory, reason });
  });
  if (entries.length > 0) {
    throw new TributaryError('INVALID_REPLAY_TARGET', `lake directory ${directory} is not empty (${entries.length} entries): replay into an empty one`, {
      into: directory,
      reason: 'not empty',
    });
  }
}

function refused(into: EventStore, reason: string): TributaryError {
  return new TributaryError('INVALID_REPLAY_TARGET', `scratch store ${into.location} ${reason}`, { into: into.location, reason });
}
