import { resolve } from 'node:path';
import { TributaryError } from '../../core/errors.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { SqlAccess } from '../../store/sql-access.js';
import { advance, planRebuild, startsRebuild } from './generation-states.js';
import { invalidProjection, projectionBusy, projectionRemoved, storageNameOf, type ProjectionDefinition } from '../definition/projection.js';
import { getProjection, getRegistryEntry, insertProjection, updateProjection, type ProjectionRecord } from './registry.js';
import { nameTaken } from '../sinks/sql-text.js';
import { createStorage, dropStorage, publishStorage } from '../sinks/storage.js';

/**
 * Registers a projection (its first generation created and published), or
 * starts a rebuild when this code's version is newer than the stored one.
 * A missing projection is created only when `adding` (a file added, code
 * starting): one removed while a process runs it stays removed. `superseded`
 * names a rebuild of an older version that the new one replaced:
 * its tables are dropped here, its checkpoint and files are the caller's to remove.
 */
export async function claimProjection(
  sql: SqlAccess,
  definition: ProjectionDefinition<unknown>,
  declared: unknown,
  mode: ProjectionRecord['mode'] = 'async',
  adding = false,
): Promise<{ record: ProjectionRecord; superseded: number | null }> {
  // a running projection looks every second: a plain read, and a write transaction only when something changes
  const seen = await getProjection(sql, definition.name);
  if (seen !== undefined && !claimChanges(seen, definition, mode)) return { record: seen, superseded: null };
  return sql.transaction(async (tx) => {
    const entry = await getRegistryEntry(tx, definition.name);
    if (entry?.removing === true && adding) throw projectionBusy(definition.name, 'is being removed: remove it again to finish that, then add it');
    // removed while a process ran it: it comes back only when added or started again
    if (entry?.removing === true || (entry === undefined && !adding)) throw projectionRemoved(definition.name);
    const record: ProjectionRecord | undefined = entry;
    if (record === undefined) {
      const first = advance(definition.name, null, { type: 'create', version: definition.version })!;
      const location = definition.sink.storage === 'lake' ? resolve(definition.sink.directory) : null;
      const fresh = { name: definition.name, sink: definition.sink.kind, mode, ...first, livePosition: 0, buildingPosition: null, definition: declared, location };
      await insertProjection(tx, fresh);
      await createFirstGeneration(tx, definition, first.live);
      return { record: { ...fresh, updatedAt: Date.now() }, superseded: null };
    }
    if (!claimChanges(record, definition, mode)) return { record, superseded: null };
    // newer code: build its generation beside the one readers see
    const { changes, superseded } = planRebuild(definition.name, record, definition.version);
    if (superseded !== null) await dropStorage(tx, definition, superseded);
    const building = { ...changes, buildingPosition: 0 };
    await updateProjection(tx, definition.name, record, { ...building, ...(declared === null ? {} : { definition: declared }) });
    return { record: { ...record, ...building }, superseded };
  });
}

/** Whether registering `definition` changes the record (a rebuild for newer code); throws PROJECTION_CONFLICT for another kind of projection. */
function claimChanges(record: ProjectionRecord, definition: ProjectionDefinition<unknown>, mode: ProjectionRecord['mode']): boolean {
  if (record.sink !== definition.sink.kind || record.mode !== mode) {
    throw new TributaryError(
      'PROJECTION_CONFLICT',
      `projection ${JSON.stringify(definition.name)} is registered as a ${record.mode} ${record.sink} projection, not an ${mode} ${definition.sink.kind} one`,
      { projection: definition.name },
    );
  }
  return startsRebuild(record, definition.version);
}

/**
 * Creates and publishes a new projection's first generation; INVALID_PROJECTION
 * when a name it needs is taken, or the database refuses its tables (a table
 * sink's schema with an error in it).
 */
async function createFirstGeneration(tx: SqlTransaction, definition: ProjectionDefinition<unknown>, generation: number): Promise<void> {
  if (definition.sink.storage !== 'sql') return;
  const names = [storageNameOf(definition.name, generation), ...(definition.sink.publish === undefined ? [] : [definition.name])];
  for (const name of names) {
    if (await nameTaken(tx, name)) {
      throw invalidProjection(definition.name, 'name', `needs ${JSON.stringify(name)}, which a table, view or index of the store's database already has`);
    }
  }
  try {
    await createStorage(tx, definition, generation);
    await publishStorage(tx, definition, generation);
  } catch (error) {
    // coded errors (the database busy or gone) are not the definition's fault
    if (error instanceof TributaryError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TributaryError('INVALID_PROJECTION', `projection ${JSON.stringify(definition.name)}: sink could not be created: ${reason}`, {
      projection: definition.name,
      field: 'sink',
    }, { cause: error });
  }
}
