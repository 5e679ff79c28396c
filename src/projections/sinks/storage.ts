import { rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { SqlAccess } from '../../store/sql-access.js';
import { lakeDirectoryOf, storageNameOf, type ProjectionDefinition } from '../definition/projection.js';
import { lockProjection } from '../lifecycle/registry.js';
import { quoteIdentifier, tableExists } from './sql-text.js';

/** Creates a generation's tables in the switch's transaction; a lake's directory is made by its writer. */
export async function createStorage(tx: SqlTransaction, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage === 'sql') await definition.sink.create(tx, storageNameOf(definition.name, generation));
}

/**
 * Creates a generation's tables unless they exist: a rebuild asked for from the CLI leaves that to the processes
 * that know the sink. Nothing is created for a projection removed meanwhile.
 */
export async function ensureStorage(sql: SqlAccess, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage !== 'sql') return;
  const name = storageNameOf(definition.name, generation);
  if (await tableExists(sql, name)) return;
  await sql.transaction(async (tx) => {
    // under the registry row's lock, so a removal dropping the tables does not see them made again behind it
    if ((await lockProjection(tx, definition.name)) === undefined) return;
    if (!(await tableExists(tx, name))) await createStorage(tx, definition, generation);
  });
}

/** Drops a generation's tables in `tx`; a lake's files go after the commit, see `dropLakeFiles`. */
export async function dropStorage(tx: SqlTransaction, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage === 'sql') await dropTable(tx, storageNameOf(definition.name, generation));
}

/** Every SQL sink keeps a generation in one table named after it; its indexes go with it. */
export async function dropTable(tx: SqlTransaction, table: string): Promise<void> {
  await tx.execute(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
}

export async function dropLakeFiles(definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage === 'lake') await removeTree(lakeDirectoryOf(definition.sink.directory, definition.name, generation));
}

/**
 * Deletes a lake generation's directory, and the projection's directory above it
 * when that is left empty: what a writer does when it finds its projection removed.
 */
export async function removeLakeGeneration(directory: string): Promise<void> {
  await removeTree(directory);
  try {
    await rmdir(dirname(directory));
  } catch (error) {
    // another generation is still there, or someone else deleted it first
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

/**
 * Deletes a directory and everything in it. A roll in another process may add a
 * file while the tree is walked (ENOTEMPTY); walking it again gets that too.
 */
export function removeTree(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
}

/** Points readers at a generation (a SQL view named after the projection); a lake's readers follow the registry. */
export async function publishStorage(tx: SqlTransaction, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage === 'sql') await definition.sink.publish?.(tx, storageNameOf(definition.name, generation), definition.name);
}
