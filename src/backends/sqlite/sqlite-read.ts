import type { Statement } from 'better-sqlite3';
import { CONFLICTS_NAMED, type CheckedCondition } from '../../core/event-query.js';
import type { NormalizedFilter } from '../../store/options.js';
import { queryPositions, type QuerySelection, type QuerySqlFlavor } from '../../store/query-sql.js';
import { EVENT_COLUMNS, type EventRow } from '../../store/sql-rows.js';
import type { StatementSource } from './sqlite-connection.js';

const JOINED_COLUMNS = EVENT_COLUMNS.split(', ').map((column) => `e.${column}`).join(', ');

/** Statement shapes kept per connection; past this many the cache starts again, so odd shapes cannot grow it without end. */
const MOST_CACHED_SHAPES = 256;

const FLAVOR: QuerySqlFlavor = {
  events: 'events',
  eventTags: 'event_tags',
  eventCategories: 'event_categories',
  typeWalk: 'events x INDEXED BY events_by_type',
  prefixTest: (column) => `${column} GLOB ?`,
  prefixPattern: (prefix) => globPrefix(prefix),
};

/**
 * A filtered read of the global log: statements are cached per shape of filter.
 * Categories drive the read through event_categories, else types through
 * events_by_type: each key walks its own index range, in position order, up to
 * the page size, so a read costs its matches and never builds a set per call.
 * A stream prefix, alone or with types, walks a bounded window of positions.
 */
export class FilteredLogReader {
  readonly #db: StatementSource;
  readonly #cache = new Map<string, Statement<unknown[], EventRow>>();

  constructor(db: StatementSource) {
    this.#db = db;
  }

  /** Events in `(after, until]` that match `filter`, at most `limit`, in position order. */
  read(filter: NormalizedFilter, after: number, until: number, limit: number): EventRow[] {
    if (filter.query !== undefined) {
      const positions = queryPositions(FLAVOR, selectionOf(filter), after, until, limit);
      const sql = `SELECT ${JOINED_COLUMNS} FROM (${positions.sql}) AS p CROSS JOIN events e ON e.position = p.position ORDER BY p.position`;
      return this.#statement<EventRow>(sql).all(...positions.params);
    }
    const { sql, parameters } = filteredRead(filter, after, until, limit);
    return this.#statement<EventRow>(sql).all(...parameters);
  }

  /** The first positions after the condition's that match its query: what a conditional append must not find. */
  conflicts(condition: CheckedCondition): number[] {
    const { sql, params } = queryPositions(FLAVOR, { items: condition.items, categories: condition.categories }, condition.after, Number.MAX_SAFE_INTEGER, CONFLICTS_NAMED);
    return this.#statement<[number]>(sql).all(...params).map((row) => row[0]);
  }

  #statement<Row>(sql: string): Statement<unknown[], Row> {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      if (this.#cache.size >= MOST_CACHED_SHAPES) this.#cache.clear();
      statement = this.#db.prepare<unknown[], EventRow>(sql).raw(true);
      this.#cache.set(sql, statement);
    }
    return statement as unknown as Statement<unknown[], Row>;
  }
}

function selectionOf(filter: NormalizedFilter): QuerySelection {
  return { items: filter.query!, categories: filter.categories, streamPrefix: filter.streamPrefix };
}

/** The SQL of a filtered read and its parameters, in the order of their marks. */
function filteredRead(filter: NormalizedFilter, after: number, until: number, limit: number): { sql: string; parameters: unknown[] } {
  const { categories, types, streamPrefix } = filter;
  const parameters: unknown[] = [];
  const tests: string[] = [];
  const testParameters: unknown[] = [];
  if (types !== undefined && (categories !== undefined || streamPrefix !== undefined)) {
    tests.push(`e.type IN (${marks(types.length)})`);
    testParameters.push(...types);
  }
  if (streamPrefix !== undefined) {
    tests.push('e.stream GLOB ?');
    testParameters.push(globPrefix(streamPrefix));
  }
  const tested = tests.map((test) => ` AND ${test}`).join('');
  const keys = categories ?? (tests.length === 0 ? types : undefined);
  if (keys === undefined) {
    // a stream prefix, with types or not: a bounded window (read-pages.ts) tested row by row
    return {
      sql: `SELECT ${JOINED_COLUMNS} FROM events e WHERE e.position > ? AND e.position <= ?${tested} ORDER BY e.position LIMIT ?`,
      parameters: [after, until, ...testParameters, limit],
    };
  }
  for (const key of keys) parameters.push(key, after, until, ...testParameters, limit);
  if (tested === '') {
    // an index answers the filter alone: each key's first `limit` positions from the index only, merged, then their events
    const positions = categories !== undefined
      ? 'SELECT position FROM event_categories WHERE category = ? AND position > ? AND position <= ? ORDER BY position LIMIT ?'
      : 'SELECT position FROM events INDEXED BY events_by_type WHERE type = ? AND position > ? AND position <= ? ORDER BY position LIMIT ?';
    const merged = keys.length === 1 ? positions : `${keys.map(() => `SELECT * FROM (${positions})`).join(' UNION ALL ')} ORDER BY position LIMIT ?`;
    if (keys.length > 1) parameters.push(limit);
    return {
      sql: `SELECT ${JOINED_COLUMNS} FROM (${merged}) AS p CROSS JOIN events e ON e.position = p.position ORDER BY p.position`,
      parameters,
    };
  }
  // categories with per-row tests: CROSS JOIN keeps event_categories outside, whatever the statistics say
  const one = `SELECT ${JOINED_COLUMNS} FROM event_categories c CROSS JOIN events e ON e.position = c.position
    WHERE c.category = ? AND c.position > ? AND c.position <= ?${tested} ORDER BY c.position LIMIT ?`;
  if (keys.length === 1) return { sql: one, parameters };
  parameters.push(limit);
  return { sql: `${keys.map(() => `SELECT * FROM (${one})`).join(' UNION ALL ')} ORDER BY position LIMIT ?`, parameters };
}

function marks(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}

/** A GLOB pattern matching names that start with `prefix` (GLOB is case-sensitive, unlike LIKE). */
export function globPrefix(prefix: string): string {
  return prefix.replace(/[*?[]/g, (special) => `[${special}]`) + '*';
}
