import { rm } from 'node:fs/promises';
import type { SqlTransaction } from '../store/consumer-store.js';
import type { SqlAccess } from '../store/sql-access.js';
import { lakeDirectoryOf, storageNameOf, type ProjectionDefinition } from './projection.js';
import { tableExists } from './sql-text.js';

/** Creates a generation's tables in the switch's transaction; a lake's directory is made by its writer. */
export async function createStorage(tx: SqlTransaction, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage === 'sql') await definition.sink.create(tx, storageNameOf(definition.name, generation));
}

/** Creates a generation's tables unless they exist: a rebuild asked for from the CLI leaves that to the processes that know the sink. */
export async function ensureStorage(sql: SqlAccess, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage !== 'sql') return;
  const name = storageNameOf(definition.name, generation);
  if (await tableExists(sql, name)) return;
  await sql.transaction(async (tx) => {
    if (!(await tableExists(tx, name))) await createStorage(tx, definition, generation);
  });
}

/** Drops a generation's tables in `tx`; a lake's files go after the commit, see `dropLakeFiles`. */
export async function dropStorage(tx: SqlTransaction, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage === 'sql') await dropTable(tx, storageNameOf(definition.name, generation));
}

/** Every SQL sink keeps a generation in one table named after it; its indexes go with it. */
export async function dropTable(tx: SqlTransaction, table: string): Promise<void> {
  await tx.execute(`DROP TABLE IF EXISTS ${table}`);
}

export async function dropLakeFiles(definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage === 'lake') await rm(lakeDirectoryOf(definition.sink.directory, definition.name, generation), { recursive: true, force: true });
}

/** Points readers at a generation (a SQL view named after the projection); a lake's readers follow the registry. */
export async function publishStorage(tx: SqlTransaction, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage === 'sql') await definition.sink.publish?.(tx, storageNameOf(definition.name, generation), definition.name);
}
