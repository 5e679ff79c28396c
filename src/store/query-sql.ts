import { TributaryError } from '../core/errors.js';
import type { CheckedQueryItem } from '../core/event-query.js';

/** How one SQL backend names its log tables and tests stream prefixes; the SQL below is written with `?` marks. */
export interface QuerySqlFlavor {
  /** The events table, qualified. */
  events: string;
  /** The tag index (tag, position), qualified. */
  eventTags: string;
  /** The category index (category, position), qualified. */
  eventCategories: string;
  /** The events table as a walk of its type index in (type, position) order. */
  typeWalk: string;
  /** A test that `column` starts with the bound pattern, and the pattern for a prefix. */
  prefixTest(column: string): string;
  prefixPattern(prefix: string): string;
}

/** What the positions are selected by: query items, and optionally categories and a stream prefix every match must also pass. */
export interface QuerySelection {
  items: readonly CheckedQueryItem[];
  categories?: readonly string[] | undefined;
  streamPrefix?: string | undefined;
}

/**
 * The SQL of the first `limit` positions in `(after, until]` of events
 * matching `selection`, ascending, and its values in the order of its `?`
 * marks. Each item walks one index in position order and stops at `limit`:
 * an item with tags walks its first tag's entries and tests the rest per
 * entry; an item of types alone walks each type's entries. So a read costs
 * the entries it walks, never the size of the log.
 */
export function queryPositions(
  flavor: QuerySqlFlavor,
  selection: QuerySelection,
  after: number,
  until: number,
  limit: number,
): { sql: string; params: unknown[] } {
  // written into the SQL, not bound: SQLite answers a walk with a literal LIMIT in half the time (measured)
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TributaryError('INTERNAL_ERROR', `a query read needs a whole page size, got ${limit}`, { limit });
  const params: unknown[] = [];
  const walk: Walk = { flavor, selection, after, until, limit, params };
  const walks: string[] = [];
  for (const item of selection.items) {
    if (item.tags !== undefined) walks.push(tagWalk(walk, item));
    else for (const type of item.types!) walks.push(typeWalk(walk, type));
  }
  if (walks.length === 1) return { sql: walks[0]!, params };
  // UNION, not UNION ALL: an event matching two items is one position
  return { sql: `${walks.map((walk) => `SELECT position FROM (${walk}) AS w`).join(' UNION ')} ORDER BY position LIMIT ${limit}`, params };
}

/** What every index walk of one query read shares; `params` collects the values of the whole statement, in order. */
interface Walk {
  flavor: QuerySqlFlavor;
  selection: QuerySelection;
  after: number;
  until: number;
  limit: number;
  params: unknown[];
}

function tagWalk({ flavor, selection, after, until, limit, params }: Walk, item: CheckedQueryItem): string {
  const [first, ...rest] = item.tags!;
  params.push(first, after, until);
  const tests: string[] = [];
  for (const tag of rest) {
    params.push(tag);
    tests.push(`EXISTS (SELECT 1 FROM ${flavor.eventTags} h WHERE h.tag = ? AND h.position = g.position)`);
  }
  const rowTests: string[] = [];
  if (item.types !== undefined) {
    params.push(...item.types);
    rowTests.push(`e.type IN (${marks(item.types.length)})`);
  }
  if (selection.streamPrefix !== undefined) {
    params.push(flavor.prefixPattern(selection.streamPrefix));
    rowTests.push(flavor.prefixTest('e.stream'));
  }
  if (rowTests.length > 0) tests.push(`EXISTS (SELECT 1 FROM ${flavor.events} e WHERE e.position = g.position AND ${rowTests.join(' AND ')})`);
  if (selection.categories !== undefined) tests.push(categoryTest(flavor, 'g.position', selection.categories, params));
  return `SELECT g.position FROM ${flavor.eventTags} g WHERE g.tag = ? AND g.position > ? AND g.position <= ?${and(tests)}
    ORDER BY g.tag, g.position LIMIT ${limit}`;
}

function typeWalk({ flavor, selection, after, until, limit, params }: Walk, type: string): string {
  params.push(type, after, until);
  const tests: string[] = [];
  if (selection.streamPrefix !== undefined) {
    params.push(flavor.prefixPattern(selection.streamPrefix));
    tests.push(flavor.prefixTest('x.stream'));
  }
  if (selection.categories !== undefined) tests.push(categoryTest(flavor, 'x.position', selection.categories, params));
  return `SELECT x.position FROM ${flavor.typeWalk} WHERE x.type = ? AND x.position > ? AND x.position <= ?${and(tests)}
    ORDER BY x.type, x.position LIMIT ${limit}`;
}

function categoryTest(flavor: QuerySqlFlavor, position: string, categories: readonly string[], params: unknown[]): string {
  params.push(...categories);
  return `EXISTS (SELECT 1 FROM ${flavor.eventCategories} c WHERE c.category IN (${marks(categories.length)}) AND c.position = ${position})`;
}

function and(tests: readonly string[]): string {
  return tests.map((test) => ` AND ${test}`).join('');
}

function marks(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}
