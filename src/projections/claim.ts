import { resolve } from 'node:path';
import { TributaryError } from '../core/errors.js';
import type { SqlAccess } from '../store/sql-access.js';
import type { ProjectionDefinition } from './projection.js';
import { getProjection, insertProjection, updateProjection, type ProjectionRecord } from './registry.js';
import { createStorage, dropStorage, publishStorage } from './storage.js';

/**
 * Registers a projection (its first generation created and published), or
 * starts a rebuild when this code's version is newer than the stored one.
 * A projection from a file (`declared`) is created only when `adding`: one
 * removed while a host runs it stays removed. `superseded` names a rebuild of
 * an older version that the new one replaced:
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
    const record = await getProjection(tx, definition.name);
    if (record === undefined && declared !== null && !adding) {
      // removed while a host ran it: a file's projection comes back only through add
      throw new TributaryError('PROJECTION_NOT_FOUND', `projection ${JSON.stringify(definition.name)} was removed`, { projection: definition.name });
    }
    if (record === undefined) {
      const created = { name: definition.name, sink: definition.sink.kind, mode, live: 1, liveVersion: definition.version, livePosition: 0 };
      const location = definition.sink.storage === 'lake' ? resolve(definition.sink.directory) : null;
      const fresh = { ...created, building: null, buildingVersion: null, buildingPosition: null, retired: null, definition: declared, location };
      await insertProjection(tx, fresh);
      await createStorage(tx, definition, 1);
      await publishStorage(tx, definition, 1);
      return { record: { ...fresh, updatedAt: Date.now() }, superseded: null };
    }
    if (!claimChanges(record, definition, mode)) return { record, superseded: null };
    // newer code: build its generation beside the one readers see
    const generation = Math.max(record.live, record.building ?? 0, record.retired ?? 0) + 1;
    if (record.building !== null) await dropStorage(tx, definition, record.building);
    const building = { building: generation, buildingVersion: definition.version, buildingPosition: 0 };
    await updateProjection(tx, definition.name, record, { ...building, ...(declared === null ? {} : { definition: declared }) });
    return { record: { ...record, ...building }, superseded: record.building };
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
  return definition.version > record.liveVersion && (record.buildingVersion ?? 0) < definition.version;
}
