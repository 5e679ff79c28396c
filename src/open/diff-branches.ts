import type { EventStore } from '../store/event-store.js';
import { diffSources, type DiffSourcesOptions } from '../time/diff-sources.js';
import type { ProjectionDiff } from '../time/diff-types.js';
import { namedSource } from '../time/named-sources.js';
import type { ReplayableProjection } from '../time/replayable.js';
import { openScratchStore } from './scratch-store.js';

/**
 * What a projection looks like on branch `b` against branch `a`, either of
 * them `main` (the live log to its head): each is replayed into a temporary
 * scratch SQLite store (and lake directory), the builds are diffed, and the
 * scratches deleted. Nothing is written to the store or its branches.
 * Errors: those of `replayProjection`, INVALID_BRANCH_NAME, BRANCH_NOT_FOUND.
 *
 * ```ts
 * const { changed } = await diffBranches(store, orders, 'main', 'late-supplier');
 * ```
 */
export async function diffBranches<Context>(
  store: EventStore,
  projection: ReplayableProjection<Context>,
  a: string,
  b: string,
  options: Partial<DiffSourcesOptions> = {},
): Promise<ProjectionDiff> {
  const [before, after] = [await namedSource(store, a), await namedSource(store, b)];
  return diffSources(before, after, projection, { openScratch: openScratchStore, ...options });
}
