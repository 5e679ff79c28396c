import { TributaryError } from '../core/errors.js';
import { lakeDirectoryOf, storageNameOf } from '../projections/definition/projection.js';
import { requireProjection, sqlOf } from '../projections/lifecycle/registry.js';
import type { EventStore } from '../store/event-store.js';
import { diffKeyed } from './diff-keyed.js';
import { diffLakes } from './diff-lake.js';
import { documentRows, searchRows, tableKey, tableRows } from './diff-sql.js';
import type { ProjectionDiff } from './diff-types.js';
import { settleReplayable, type ReplayableProjection } from './replayable.js';

/**
 * What differs between two builds of a projection, each in a scratch store
 * that a replay (or any run) built it in: a table's rows by primary key (by
 * all columns without one), documents and search entries by id, a lake's
 * rows as a multiset. Each build is read whole: meant for scratch builds.
 * Errors: PROJECTION_NOT_FOUND when a store has not built it, PROJECTION_CONFLICT
 * when it built another kind.
 *
 * ```ts
 * const { added, removed, changed } = await diffProjection(orders, scratchMain, scratchLate);
 * for (const { key, before, after } of changed) console.log(key, before, after);
 * ```
 */
export async function diffProjection<Context>(projection: ReplayableProjection<Context>, before: EventStore, after: EventStore): Promise<ProjectionDiff> {
  const { definition } = settleReplayable<Context>(projection);
  const { name } = definition;
  const kind = definition.sink.kind;
  const [a, b] = await Promise.all([builtIn(before, name, kind), builtIn(after, name, kind)]);
  if (kind === 'lake') {
    const lakes = await diffLakes(lakeDirectoryOf(a.location!, name, a.live), lakeDirectoryOf(b.location!, name, b.live));
    return { projection: name, sink: kind, keyedBy: null, added: lakes.added, removed: lakes.removed, changed: [], truncated: lakes.truncated };
  }
  const [sqlA, sqlB] = [sqlOf(before, name), sqlOf(after, name)];
  const [tableA, tableB] = [storageNameOf(name, a.live), storageNameOf(name, b.live)];
  if (kind === 'table') {
    const key = await tableKey(sqlA, tableA);
    const diff = diffKeyed(await tableRows(sqlA, tableA, key), await tableRows(sqlB, tableB, key));
    return { projection: name, sink: kind, keyedBy: key.length > 0 ? key : ['*'], ...diff, truncated: false };
  }
  const rows = kind === 'documents' ? documentRows : searchRows;
  return { projection: name, sink: kind, keyedBy: ['id'], ...diffKeyed(await rows(sqlA, tableA), await rows(sqlB, tableB)), truncated: false };
}

async function builtIn(store: EventStore, name: string, kind: string) {
  const record = await requireProjection(sqlOf(store, name), name);
  if (record.sink !== kind) {
    throw new TributaryError('PROJECTION_CONFLICT', `projection ${JSON.stringify(name)} in ${store.location} is a ${record.sink} projection, not a ${kind} one`, {
      projection: name,
    });
  }
  return record;
}
