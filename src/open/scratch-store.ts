import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scratch } from '../time/scratch.js';
import { openStore } from './open-store.js';

/**
 * A scratch store in a temporary SQLite file, with an empty lake directory
 * beside it; `dispose` closes it and deletes both. What `diffBranches` and
 * `tributary replay --into <lake dir>` build in.
 *
 * ```ts
 * const scratch = await openScratchStore();
 * try { await replayProjection(store, orders, { into: scratch.store }) } finally { await scratch.dispose() }
 * ```
 */
export async function openScratchStore(): Promise<Scratch> {
  const folder = await mkdtemp(join(tmpdir(), 'tributary-scratch-'));
  try {
    const store = await openStore(join(folder, 'scratch.db'));
    return {
      store,
      lakeDirectory: join(folder, 'lake'),
      async dispose() {
        try {
          await store.close();
        } finally {
          await rm(folder, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}
