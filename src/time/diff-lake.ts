import { readManifest } from '../projections/sinks/lake-manifest.js';
import { queryLake } from '../projections/sinks/lake-query.js';
import { DEFAULT_LAKE_LIMITS } from '../projections/sinks/lake-limits.js';
import type { DiffEntry } from './diff-types.js';

/**
 * The rows of lake `after` that `before` lacks and the other way round, as
 * multisets (a row twice in one and once in the other is one difference),
 * computed by DuckDB over both lakes' files.
 */
export async function diffLakes(before: string, after: string): Promise<{ added: DiffEntry[]; removed: DiffEntry[]; truncated: boolean }> {
  const [added, removed] = [await rowsOnlyIn(after, before), await rowsOnlyIn(before, after)];
  return { added: added.rows, removed: removed.rows, truncated: added.truncated || removed.truncated };
}

async function rowsOnlyIn(lake: string, other: string): Promise<{ rows: DiffEntry[]; truncated: boolean }> {
  // a lake without a manifest never wrote a row, and its view lacks the columns EXCEPT would compare
  if (readManifest(lake) === undefined) return { rows: [], truncated: false };
  const sql = readManifest(other) === undefined ? 'SELECT * FROM mine' : 'SELECT * FROM mine EXCEPT ALL SELECT * FROM theirs';
  const tables = [
    { name: 'mine', directory: lake },
    { name: 'theirs', directory: other },
  ];
  const answer = await queryLake(tables, `${sql} ORDER BY ALL`, { limit: DEFAULT_LAKE_LIMITS.maxRows });
  return { rows: answer.rows.map((value) => ({ key: null, value })), truncated: answer.truncated };
}
