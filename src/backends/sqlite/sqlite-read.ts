import type { Statement } from 'better-sqlite3';
import type { NormalizedFilter } from '../../store/options.js';
import { EVENT_COLUMNS, type EventRow } from '../../store/sql-rows.js';
import type { StatementSource } from './sqlite-connection.js';

/** A filtered read of the global log: statements are cached per shape of filter. */
export class FilteredLogReader {
  readonly #db: StatementSource;
  readonly #cache = new Map<string, Statement<unknown[], EventRow>>();

  constructor(db: StatementSource) {
    this.#db = db;
  }

  /** Events in `(after, until]` that match `filter`, at most `limit`, in position order. */
  read(filter: NormalizedFilter, after: number, until: number, limit: number): EventRow[] {
    const { categories, types, streamPrefix } = filter;
    const shape = `${categories?.length ?? 0}/${types?.length ?? 0}/${streamPrefix === undefined ? 0 : 1}`;
    let statement = this.#cache.get(shape);
    if (statement === undefined) {
      const conditions = ['position > ?', 'position <= ?'];
      if (categories) {
        // "+stream_id": walk the position range, not every event of the matching streams (a page would cost the whole history)
        conditions.push(`+stream_id IN (SELECT stream_id FROM streams WHERE category IN (${marks(categories.length)}))`);
      }
      if (types) conditions.push(`type IN (${marks(types.length)})`);
      if (streamPrefix !== undefined) conditions.push('stream GLOB ?');
      const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT ?`;
      statement = this.#db.prepare<unknown[], EventRow>(sql).raw(true);
      this.#cache.set(shape, statement);
    }
    const parameters: unknown[] = [after, until];
    if (categories) parameters.push(...categories);
    if (types) parameters.push(...types);
    if (streamPrefix !== undefined) parameters.push(globPrefix(streamPrefix));
    parameters.push(limit);
    return statement.all(...parameters);
  }
}

function marks(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}

/** A GLOB pattern matching names that start with `prefix` (GLOB is case-sensitive, unlike LIKE). */
export function globPrefix(prefix: string): string {
  return prefix.replace(/[*?[]/g, (special) => `[${special}]`) + '*';
}
