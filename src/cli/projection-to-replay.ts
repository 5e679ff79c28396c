import { readFileSync } from 'node:fs';
import { TributaryError, invalidArgument } from '../core/errors.js';
import { requireProjection, sqlOf } from '../projections/lifecycle/registry.js';
import type { EventStore } from '../store/event-store.js';
import type { DeclaredFile } from '../time/replayable.js';
import { jsonFlag } from './arguments.js';

/**
 * The declared projection a replay or a diff builds: the file of projection
 * `name` as the store's registry keeps it (`tributary projections add`), or the
 * file at `file`. A projection defined in code has no file to run from the CLI:
 * PROJECTION_UNSUPPORTED (its code calls `replayProjection` instead).
 */
export async function projectionToReplay(store: EventStore, name: string | undefined, file: string | undefined): Promise<DeclaredFile> {
  if ((name === undefined) === (file === undefined)) throw invalidArgument('--projection', 'give exactly one of --projection <name> and --file <projection.json>');
  if (file !== undefined) return jsonFlag('file', readFileSync(file, 'utf8')) as DeclaredFile;
  const record = await requireProjection(sqlOf(store, name!), name!);
  if (record.definition === null) {
    throw new TributaryError(
      'PROJECTION_UNSUPPORTED',
      `projection ${JSON.stringify(name)} is defined in code: replay it from that code with replayProjection, or give its --file`,
      { projection: name, needs: 'a declared projection' },
    );
  }
  return record.definition as DeclaredFile;
}
