import type { AsOf } from '../core/as-of.js';
import { settleAll } from '../core/settle-all.js';
import type { EventStore } from '../store/event-store.js';
import { diffProjection } from './diff.js';
import type { ProjectionDiff } from './diff-types.js';
import { replayProjection, type ReplayProgress } from './replay.js';
import type { ReplayableProjection } from './replayable.js';
import type { OpenScratch, Scratch } from './scratch.js';

export interface DiffSourcesOptions {
  /** Makes each build's scratch store and lake directory (see `openScratchStore`); both are disposed of afterwards. */
  openScratch: OpenScratch;
  /** Replay each source up to here (see ReplayOptions.until); default each one's head. */
  until?: AsOf;
  /** How far each replay has come: `side` is 0 for `before`, 1 for `after`. */
  onProgress?: (side: 0 | 1, progress: ReplayProgress) => void;
  signal?: AbortSignal;
}

/**
 * Replays a projection from two sources (the live log and a branch, two
 * branches, two stores) into scratch builds of their own, diffs the builds
 * and deletes them. Nothing is written to either source.
 *
 * ```ts
 * const diff = await diffSources(store, store.branch!('late-supplier'), orders, { openScratch: openScratchStore });
 * ```
 */
export async function diffSources<Context>(
  before: EventStore,
  after: EventStore,
  projection: ReplayableProjection<Context>,
  options: DiffSourcesOptions,
): Promise<ProjectionDiff> {
  const scratches: Scratch[] = [];
  try {
    for (const [side, source] of [before, after].entries()) {
      const scratch = await options.openScratch();
      scratches.push(scratch);
      await replayProjection(source, projection, {
        into: scratch.store,
        until: options.until,
        signal: options.signal,
        onProgress: (progress) => options.onProgress?.(side as 0 | 1, progress),
        ...(isLake(projection) ? { lakeDirectory: scratch.lakeDirectory } : {}),
      });
    }
    return await diffProjection(projection, scratches[0]!.store, scratches[1]!.store);
  } finally {
    await settleAll(scratches.map((scratch) => scratch.dispose()));
  }
}

function isLake<Context>(projection: ReplayableProjection<Context>): boolean {
  return projection.sink === 'lake' || (typeof projection.sink === 'object' && projection.sink.storage === 'lake');
}
