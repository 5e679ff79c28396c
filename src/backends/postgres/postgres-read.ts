import type { NormalizedFilter } from '../../store/options.js';
import { EVENT_COLUMNS } from '../../store/sql-rows.js';

/** The SQL of a filtered read of the global log: events in `(after, until]` matching `filter`, at most `limit`. */
export function filteredRead(schema: string, filter: NormalizedFilter, after: number, until: number, limit: number) {
  const values: unknown[] = [after, until];
  const conditions = ['position > $1', 'position <= $2'];
  if (filter.categories) {
    values.push(filter.categories);
    conditions.push(`stream_id IN (SELECT stream_id FROM ${schema}.streams WHERE category = ANY($${values.length}::text[]))`);
  }
  if (filter.types) {
    values.push(filter.types);
    conditions.push(`type = ANY($${values.length}::text[])`);
  }
  if (filter.streamPrefix !== undefined) {
    values.push(likePrefix(filter.streamPrefix));
    conditions.push(`stream LIKE $${values.length}`);
  }
  values.push(limit);
  return {
    text: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT $${values.length}`,
    values,
  };
}

/** A LIKE pattern (default escape `\`) matching names that start with `prefix`. */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (special) => `\\${special}`) + '%';
}
