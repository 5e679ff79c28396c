import type { EventStore } from '../../store/event-store.js';
import { planRebuild, transitionRefused } from './generation-states.js';
import { generationReached } from './progress.js';
import { projectionRemoved } from '../definition/projection.js';
import { getProjection, requireProjection, sqlOf, updateProjection } from './registry.js';

/**
 * Asks for a new generation of projection `name`, built from the first event
 * beside the one readers see. Every process running the projection joins in;
 * readers switch when it has caught up. Asking while a rebuild runs returns
 * that rebuild's generation, so a rebuild cut short resumes where it was.
 */
export async function requestRebuild(store: EventStore, name: string): Promise<{ generation: number; resumed: boolean }> {
  const sql = sqlOf(store, name);
  await requireProjection(sql, name);
  return sql.transaction(async (tx) => {
    const record = await getProjection(tx, name);
    // removed since it was looked up
    if (record === undefined) throw projectionRemoved(name);
    const { generation, resumed, changes } = planRebuild(name, record, record.liveVersion);
    if (resumed) return { generation, resumed };
    // another process's rebuild (or removal) came between the read and this write on PostgreSQL: refused, not reported as started
    if (!(await updateProjection(tx, name, record, { ...changes, buildingPosition: 0 }))) {
      throw transitionRefused(name, record, { type: 'rebuild', version: record.liveVersion });
    }
    return { generation, resumed };
  });
}

/** How far a rebuild has come. */
export interface RebuildProgress {
  generation: number;
  /** Null once the rebuild is over (readers see `generation`). */
  building: number | null;
  checkpoint: number;
  head: number;
  done: boolean;
}

/** The progress of the rebuild that made or makes `generation`. */
export async function rebuildProgress(store: EventStore, name: string, generation: number): Promise<RebuildProgress> {
  const record = await requireProjection(sqlOf(store, name), name);
  const head = await store.headPosition();
  const { checkpoint } = await generationReached(store, record, generation, head);
  const done = record.live >= generation;
  return { generation, building: record.building, checkpoint: done ? Math.max(checkpoint, head) : checkpoint, head, done };
}
