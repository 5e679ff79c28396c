import { TributaryError } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import { claimProjection } from './claim.js';
import { declaredProjection } from './declarative.js';
import { consumerNameOf } from './projection.js';
import { dropLakeFiles } from './storage.js';
import { getProjection, listProjections, registryReady, sqlOf, type ProjectionRecord } from './registry.js';
import { runProjection, type RunProjectionOptions, type RunningProjection } from './runner.js';

/**
 * Registers the projection a definition file describes (`tributary projections add`).
 * Adding it again with a higher version starts a rebuild; the same version
 * with other content is refused, since readers could not tell the two apart.
 */
export async function addDeclaredProjection(store: EventStore, file: unknown): Promise<ProjectionRecord> {
  const definition = declaredProjection(file);
  const sql = sqlOf(store, definition.name);
  await registryReady(sql);
  const existing = await getProjection(sql, definition.name);
  if (existing !== undefined && existing.definition === null) {
    throw new TributaryError('PROJECTION_CONFLICT', `projection ${JSON.stringify(definition.name)} is defined in code, not by a file`, {
      projection: definition.name,
    });
  }
  const stored = existing?.definition as { version?: number } | undefined;
  if (existing !== undefined && stored?.version === definition.version && JSON.stringify(stored) !== JSON.stringify(file)) {
    throw new TributaryError(
      'PROJECTION_CONFLICT',
      `projection ${JSON.stringify(definition.name)} version ${definition.version} is registered with another definition: raise its version`,
      { projection: definition.name },
    );
  }
  const { record, superseded } = await claimProjection(sql, definition, file);
  if (superseded !== null) {
    await store.consumers.remove(consumerNameOf(definition.name, superseded));
    await dropLakeFiles(definition, superseded);
  }
  return record;
}

/** Runs every projection registered from a file (what `tributary serve` and `tributary projections run` host). */
export async function runDeclaredProjections(store: EventStore, options: RunProjectionOptions = {}): Promise<RunningProjection[]> {
  const records = await listProjections(sqlOf(store, 'declared'));
  const running: RunningProjection[] = [];
  try {
    for (const record of records) {
      if (record.definition === null) continue;
      running.push(await runDeclared(store, record, options));
    }
  } catch (error) {
    await Promise.all(running.map((projection) => projection.stop()));
    throw error;
  }
  return running;
}

/** Runs one projection registered from a file. */
export function runDeclared(store: EventStore, record: ProjectionRecord, options: RunProjectionOptions = {}): Promise<RunningProjection> {
  return runProjection(store, declaredProjection(record.definition), { ...options, declared: record.definition });
}
