import { CONFLICTS_NAMED, type CheckedCondition } from '../../core/event-query.js';
import type { NormalizedFilter } from '../../store/options.js';
import { queryPositions, type QuerySqlFlavor } from '../../store/query-sql.js';
import { EVENT_COLUMNS } from '../../store/sql-rows.js';

const JOINED_COLUMNS = EVENT_COLUMNS.split(', ').map((column) => `e.${column}`).join(', ');

/**
 * The SQL of a filtered read of the global log: events in `(after, until]` matching `filter`, at most `limit`.
 * Categories drive the read through event_categories, else types through
 * events_by_type; a stream prefix alone walks the position range.
 */
export function filteredRead(schema: string, filter: NormalizedFilter, after: number, until: number, limit: number) {
  if (filter.query !== undefined) {
    const keys = indexKeysOf(filter);
    if (keys !== undefined) {
      // a query of single tags, or of types alone, is the walk of one index the positions functions make (see postgres-schema.ts)
      return {
        text: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events
          WHERE position = ANY((SELECT ${schema}.${keys.index}($4::text[], $1, $2, $3))::bigint[]) ORDER BY position`,
        values: [after, until, limit, keys.keys],
      };
    }
    const positions = queryPositions(flavorOf(schema), { items: filter.query, categories: filter.categories, streamPrefix: filter.streamPrefix }, after, until, limit);
    // the positions first, then their events by primary key, as for the category and type indexes
    return {
      text: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE position = ANY(ARRAY(${numbered(positions.sql)})) ORDER BY position`,
      values: positions.params,
    };
  }
  const { categories, types, streamPrefix } = filter;
  const values: unknown[] = [after, until, limit];
  const tests: string[] = [];
  if (types !== undefined && (categories !== undefined || streamPrefix !== undefined)) {
    values.push(types);
    tests.push(`e.type = ANY($${values.length}::text[])`);
  }
  if (streamPrefix !== undefined) {
    values.push(likePrefix(streamPrefix));
    tests.push(`e.stream LIKE $${values.length}`);
  }
  const tested = tests.map((test) => ` AND ${test}`).join('');
  const keys = categories ?? (tests.length === 0 ? types : undefined);
  if (keys === undefined) {
    // a stream prefix, with types or not: a bounded window (read-pages.ts) tested row by row
    return {
      text: `SELECT ${JOINED_COLUMNS} FROM ${schema}.events e WHERE e.position > $1 AND e.position <= $2${tested} ORDER BY e.position LIMIT $3`,
      values,
    };
  }
  values.push(keys);
  const keyList = `$${values.length}::text[]`;
  if (tested === '') {
    // an index answers the filter alone: a positions function walks it (see postgres-schema.ts), then the events by primary key;
    // a subquery, so the function runs once at execution and not again when the planner estimates its result
    const positions = categories === undefined ? 'type_positions' : 'category_positions';
    return {
      text: `SELECT ${EVENT_COLUMNS} FROM ${schema}.events
        WHERE position = ANY((SELECT ${schema}.${positions}(${keyList}, $1, $2, $3))::bigint[]) ORDER BY position`,
      values,
    };
  }
  // categories with per-row tests read a bounded window (read-pages.ts), so any plan of it is bounded too
  return {
    text: `SELECT m.* FROM unnest(${keyList}) AS k(key) CROSS JOIN LATERAL (
        SELECT ${JOINED_COLUMNS} FROM ${schema}.event_categories c CROSS JOIN LATERAL (
          SELECT * FROM ${schema}.events e WHERE e.position = c.position
        ) AS e
        WHERE c.category = k.key AND c.position > $1 AND c.position <= $2${tested} ORDER BY c.category, c.position LIMIT $3
      ) AS m ORDER BY m.position LIMIT $3`,
    values,
  };
}

/** A LIKE pattern (default escape `\`) matching names that start with `prefix`. */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (special) => `\\${special}`) + '%';
}

/**
 * The keys of one index when a query read is a merged walk of it and nothing else: every item a single
 * tag, or every item types alone. Those reads do not depend on the planner's statistics of the index.
 */
function indexKeysOf(filter: NormalizedFilter): { index: 'tag_positions' | 'type_positions'; keys: string[] } | undefined {
  const items = filter.query!;
  if (filter.categories !== undefined || filter.streamPrefix !== undefined) return undefined;
  if (items.every((item) => item.types === undefined && item.tags?.length === 1)) {
    return { index: 'tag_positions', keys: [...new Set(items.map((item) => item.tags![0]!))] };
  }
  if (items.every((item) => item.tags === undefined)) return { index: 'type_positions', keys: [...new Set(items.flatMap((item) => item.types!))] };
  return undefined;
}

/**
 * One statement answering every condition of an append group at once: a row
 * with one array per condition, the first positions after its `after` that
 * match its query. Runs under the log_head lock, so nothing can commit between it and the group's write.
 */
export function conflictsRead(schema: string, conditions: readonly CheckedCondition[]): { text: string; values: unknown[] } {
  const flavor = flavorOf(schema);
  const values: unknown[] = [];
  const columns = conditions.map((condition, index) => {
    const { sql, params } = queryPositions(flavor, { items: condition.items, categories: condition.categories }, condition.after, Number.MAX_SAFE_INTEGER, CONFLICTS_NAMED);
    const text = numbered(sql, values.length);
    values.push(...params);
    return `ARRAY(${text}) AS c${index}`;
  });
  return { text: `SELECT ${columns.join(', ')}`, values };
}

const flavors = new Map<string, QuerySqlFlavor>();

function flavorOf(schema: string): QuerySqlFlavor {
  let flavor = flavors.get(schema);
  if (flavor === undefined) {
    flavor = {
      events: `${schema}.events`,
      eventTags: `${schema}.event_tags`,
      eventCategories: `${schema}.event_categories`,
      typeWalk: `${schema}.events x`,
      prefixTest: (column) => `${column} LIKE ?`,
      prefixPattern: likePrefix,
    };
    flavors.set(schema, flavor);
  }
  return flavor;
}

/** `?` marks as `$n`, counting from `offset + 1`; the query SQL has no `?` anywhere else. */
function numbered(sql: string, offset = 0): string {
  let n = offset;
  return sql.replace(/\?/g, () => `$${++n}`);
}
