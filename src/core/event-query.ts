import { TributaryError } from './errors.js';
import { checkTags } from './tags.js';

/**
 * One item of an {@link EventQuery}: an event matches it when its type is one
 * of `types` (any type when there are none) and it carries every one of `tags`.
 * An item names types, tags or both.
 */
export interface QueryItem {
  types?: readonly string[];
  tags?: readonly string[];
}

/**
 * Which events a decision depends on, across streams: an event matches the
 * query when it matches any of its items.
 *
 * ```ts
 * const claims: EventQuery = [{ types: ['UsernameClaimed', 'UsernameReleased'], tags: ['username:ada'] }];
 * ```
 */
export type EventQuery = readonly QueryItem[];

/**
 * The guard of a conditional append: it fails with `APPEND_CONDITION_FAILED`,
 * writing nothing, when any event after `after` matches `failIfEventsMatch`.
 * `after` is the position the decision was made at (the head when its events
 * were read); leaving it out makes any matching event in the log fail it.
 */
export interface AppendCondition {
  failIfEventsMatch: EventQuery;
  after?: number;
  /** Only events of these categories count; all when absent. A server narrows a token's conditions to what it may read. */
  categories?: readonly string[];
}

/** A query item checked: no duplicates, empty lists as undefined. */
export interface CheckedQueryItem {
  readonly types: readonly string[] | undefined;
  readonly tags: readonly string[] | undefined;
}

/** An append condition checked and normalised. */
export interface CheckedCondition {
  readonly items: readonly CheckedQueryItem[];
  readonly after: number;
  readonly categories: readonly string[] | undefined;
}

const CONDITION_FIELDS = new Set(['failIfEventsMatch', 'after', 'categories']);

/** The most items one query may hold. */
export const MAX_QUERY_ITEMS = 100;
/** How many conflicting positions APPEND_CONDITION_FAILED names at most. */
export const CONFLICTS_NAMED = 10;

/** Checks a query; throws `INVALID_QUERY`, or `INVALID_TAG` for a bad tag in it. */
export function checkQuery(query: unknown): readonly CheckedQueryItem[] {
  if (!Array.isArray(query)) throw invalidQuery('a query must be an array of items', {});
  if (query.length === 0) throw invalidQuery('a query needs at least one item', {});
  if (query.length > MAX_QUERY_ITEMS) throw invalidQuery(`a query holds at most ${MAX_QUERY_ITEMS} items, got ${query.length}`, {});
  return (query as unknown[]).map((item, index) => checkItem(item, index));
}

function checkItem(item: unknown, index: number): CheckedQueryItem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidQuery(`query item ${index} must be an object`, { item: index });
  const given = item as Record<string, unknown>;
  const unknownKey = Object.keys(given).find((key) => key !== 'types' && key !== 'tags' && given[key] !== undefined);
  if (unknownKey !== undefined) throw invalidQuery(`query item ${index} has an unknown field ${JSON.stringify(unknownKey)}`, { item: index });
  let types: readonly string[] | undefined;
  if (given['types'] !== undefined) {
    const list = given['types'];
    if (!Array.isArray(list) || list.some((type) => typeof type !== 'string' || type.length === 0)) {
      throw invalidQuery(`query item ${index}: types must be an array of non-empty strings`, { item: index });
    }
    types = list.length === 0 ? undefined : [...new Set(list as string[])];
  }
  const tags = given['tags'] === undefined ? undefined : checkTags(given['tags'], `query item ${index}`, { item: index });
  const someTags = tags !== undefined && tags.length > 0 ? tags : undefined;
  if (types === undefined && someTags === undefined) throw invalidQuery(`query item ${index} names neither types nor tags`, { item: index });
  return { types, tags: someTags };
}

/** Checks an append condition; throws `INVALID_QUERY` (or `INVALID_TAG`). */
export function checkCondition(condition: unknown): CheckedCondition {
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    throw invalidQuery('a condition must be an object with failIfEventsMatch and after', {});
  }
  const given = condition as Record<string, unknown>;
  const unknownKey = Object.keys(given).find((key) => !CONDITION_FIELDS.has(key) && given[key] !== undefined);
  if (unknownKey !== undefined) throw invalidQuery(`a condition has an unknown field ${JSON.stringify(unknownKey)}`, {});
  const after = given['after'] === undefined ? 0 : given['after'];
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0) {
    throw invalidQuery(`a condition's after must be a position (an integer >= 0), got ${JSON.stringify(after)}`, {});
  }
  const categories = given['categories'];
  if (categories !== undefined && (!Array.isArray(categories) || categories.some((category) => typeof category !== 'string' || category === ''))) {
    throw invalidQuery("a condition's categories must be an array of category names", {});
  }
  const someCategories = categories === undefined || categories.length === 0 ? undefined : [...new Set(categories as string[])];
  return { items: checkQuery(given['failIfEventsMatch']), after, categories: someCategories };
}

/** True when an event of `type` carrying `tags` matches one of `items`. */
export function matchesQuery(items: readonly CheckedQueryItem[], type: string, tags: readonly string[]): boolean {
  return items.some(
    (item) => (item.types === undefined || item.types.includes(type)) && (item.tags === undefined || item.tags.every((tag) => tags.includes(tag))),
  );
}

/** The refusal of a conditional append: the first conflicting positions, ascending. */
export function appendConditionFailed(condition: CheckedCondition, positions: readonly number[]): TributaryError {
  const named = [...positions].sort((a, b) => a - b).slice(0, CONFLICTS_NAMED);
  return new TributaryError(
    'APPEND_CONDITION_FAILED',
    `the append's condition failed: events matching its query were appended after position ${condition.after}, first at ${named.join(', ')}`,
    { after: condition.after, positions: named },
  );
}

function invalidQuery(reason: string, details: Record<string, unknown>): TributaryError {
  return new TributaryError('INVALID_QUERY', reason, { ...details, reason });
}
