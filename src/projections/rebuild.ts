import type { EventStore } from '../store/event-store.js';
import { generationReached } from './progress.js';
import { projectionRemoved } from './projection.js';
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
    if (record.building !== null) return { generation: record.building, resumed: true };
    const generation = Math.max(record.live, record.retired ?? 0) + 1;
    await updateProjection(tx, name, record, { building: generation, buildingVersion: record.liveVersion, buildingPosition: 0 });
    return { generation, resumed: false };
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
