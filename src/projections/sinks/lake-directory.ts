import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TributaryError } from '../../core/errors.js';
import { readManifest } from './lake-manifest.js';
import type { LakeTable } from './lake-query.js';

const GENERATION = /^g(\d+)$/;

/**
 * The lakes under a lake root, as `tributary lake query --dir` sees them
 * without a store: each `<root>/<projection>/g<N>` with a manifest is a view
 * named after the projection, the highest generation when there are several.
 * Errors: LAKE_QUERY_FAILED when the root cannot be read.
 *
 * ```ts
 * await queryLake(lakesIn('./orders-in-march'), 'SELECT count(*) FROM order_lake');
 * ```
 */
export function lakesIn(root: string): LakeTable[] {
  const directory = resolve(root);
  let projections: string[];
  try {
    projections = readdirSync(directory, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    throw new TributaryError('LAKE_QUERY_FAILED', `lake directory ${directory} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      directory,
    });
  }
  return projections.sort().flatMap((name) => {
    const generations = readdirSync(join(directory, name))
      .map((entry) => Number(GENERATION.exec(entry)?.[1]))
      .filter((generation) => Number.isSafeInteger(generation) && readManifest(join(directory, name, `g${generation}`)) !== undefined)
      .sort((a, b) => b - a);
    return generations.length === 0 ? [] : [{ name, directory: join(directory, name, `g${generations[0]}`) }];
  });
}
