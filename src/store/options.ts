import { parseAsOf, type ParsedAsOf } from '../core/as-of.js';
import { TributaryError, invalidArgument } from '../core/errors.js';
import { checkQuery, matchesQuery, type CheckedQueryItem } from '../core/event-query.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../core/json-depth.js';
import { categoryOf } from '../core/stream-name.js';
import { checkTags } from '../core/tags.js';
import type { ListStreamsOptions, LogFilter, ReadAllOptions, ReadStreamOptions, StreamMetadata } from './event-store.js';

/** Page size when a read gives no limit. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest page a single read returns. */
export const MAX_PAGE_SIZE = 10_000;

export function pageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw invalidArgument('limit', `must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(limit)}`);
  }
  return limit;
}

export function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(name, `must be an integer >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

export interface StreamReadPlan {
  from: number | undefined;
  limit: number;
  backward: boolean;
  /** The point to read as of, checked; undefined for the log as it stands. */
  asOf: ParsedAsOf | undefined;
}

export function planStreamRead(options: ReadStreamOptions = {}): StreamReadPlan {
  const { from, limit, direction = 'forward' } = options;
  if (direction !== 'forward' && direction !== 'backward') {
    throw invalidArgument('direction', `must be "forward" or "backward", got ${JSON.stringify(direction)}`);
  }
  return {
    from: from === undefined ? undefined : nonNegativeInteger('from', from),
    limit: pageLimit(limit),
    backward: direction === 'backward',
    asOf: asOfOf(options.asOf),
  };
}

/** `asOf` checked as every door checks it (INVALID_AS_OF), or undefined when absent. */
function asOfOf(asOf: unknown): ParsedAsOf | undefined {
  return asOf === undefined ? undefined : parseAsOf(asOf);
}

/** A filter with its empty parts removed; `undefined` when nothing is filtered. */
export interface NormalizedFilter {
  categories: readonly string[] | undefined;
  /** Types when no query holds them; with tags or a query, the types are in the query's items. */
  types: readonly string[] | undefined;
  streamPrefix: string | undefined;
  /** Items read through the tag and type indexes: a query, or tags with their types as one item. */
  query: readonly CheckedQueryItem[] | undefined;
}

export interface AllReadPlan {
  after: number;
  limit: number;
  filter: NormalizedFilter | undefined;
  /** The point to read as of, checked; undefined for the log as it stands. */
  asOf: ParsedAsOf | undefined;
}

/** Rows a filtered read of the global log scans per call at most, so a sparse filter answers promptly. */
export const FILTER_SCAN_WINDOW = 4096;

export function planAllRead(options: ReadAllOptions = {}): AllReadPlan {
  const after = options.after === undefined ? 0 : nonNegativeInteger('after', options.after);
  const limit = pageLimit(options.limit);
  const asOf = asOfOf(options.asOf);
  if (options.query === undefined) return { after, limit, filter: normalizeFilter(options), asOf };
  const { types, tags, streamPrefix } = options;
  if ([types, tags].some((list) => list !== undefined && list.length > 0) || (streamPrefix !== undefined && streamPrefix !== '')) {
    throw new TributaryError('INVALID_QUERY', 'a read by query takes no types, tags or streamPrefix beside it (its items hold them)', {
      reason: 'a query with other filters',
    });
  }
  const categories = stringList('categories', options.categories);
  return { after, limit, filter: { categories, types: undefined, streamPrefix: undefined, query: checkQuery(options.query) }, asOf };
}

export function normalizeFilter(filter: LogFilter): NormalizedFilter | undefined {
  const categories = stringList('categories', filter.categories);
  const types = stringList('types', filter.types);
  const { streamPrefix } = filter;
  if (streamPrefix !== undefined && typeof streamPrefix !== 'string') {
    throw invalidArgument('streamPrefix', 'must be a string');
  }
  const prefix = streamPrefix === '' ? undefined : streamPrefix;
  const tags = filter.tags === undefined ? undefined : checkTags(filter.tags, 'filter');
  if (tags !== undefined && tags.length > 0) {
    return { categories, types: undefined, streamPrefix: prefix, query: [{ types, tags: [...tags] }] };
  }
  if (categories === undefined && types === undefined && prefix === undefined) return undefined;
  return { categories, types, streamPrefix: prefix, query: undefined };
}

/** True when an event of `stream` and `type` carrying `tags` passes `filter` (no filter passes everything). */
export function filterMatches(filter: NormalizedFilter | undefined, stream: string, type: string, tags: readonly string[]): boolean {
  if (filter === undefined) return true;
  const { categories, types, streamPrefix, query } = filter;
  return (
    (categories === undefined || categories.includes(categoryOf(stream))) &&
    (types === undefined || types.includes(type)) &&
    (streamPrefix === undefined || stream.startsWith(streamPrefix)) &&
    (query === undefined || matchesQuery(query, type, tags))
  );
}

function stringList(name: string, list: readonly string[] | undefined): readonly string[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
    throw invalidArgument(name, 'must be an array of strings');
  }
  return list.length === 0 ? undefined : [...new Set(list)];
}

export interface StreamListPlan {
  prefix: string | undefined;
  category: string | undefined;
  after: string;
  limit: number;
}

export function planStreamList(options: ListStreamsOptions = {}): StreamListPlan {
  for (const key of ['prefix', 'category', 'after'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') throw invalidArgument(key, 'must be a string');
  }
  return {
    prefix: options.prefix || undefined,
    category: options.category,
    after: options.after ?? '',
    limit: pageLimit(options.limit),
  };
}

/** Throws `INVALID_STREAM_METADATA` unless `metadata` is well formed; returns a clean copy. */
export function checkStreamMetadata(metadata: unknown): StreamMetadata {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw invalidMetadata('must be an object');
  }
  const given = metadata as Record<string, unknown>;
  const known = new Set(['maxCount', 'maxAge', 'truncateBefore', 'custom']);
  for (const key of Object.keys(given)) {
    if (!known.has(key) && given[key] !== undefined) throw invalidMetadata(`unknown key ${JSON.stringify(key)}`);
  }
  const clean: StreamMetadata = {};
  for (const key of ['maxCount', 'maxAge'] as const) {
    const value = given[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw invalidMetadata(`${key} must be an integer >= 1`);
    }
    clean[key] = value;
  }
  const truncateBefore = given['truncateBefore'];
  if (truncateBefore !== undefined && truncateBefore !== null) {
    if (typeof truncateBefore !== 'number' || !Number.isSafeInteger(truncateBefore) || truncateBefore < 0) {
      throw invalidMetadata('truncateBefore must be an integer >= 0');
    }
    clean.truncateBefore = truncateBefore;
  }
  const custom = given['custom'];
  if (custom !== undefined && custom !== null) {
    if (typeof custom !== 'object' || Array.isArray(custom)) throw invalidMetadata('custom must be an object');
    if (exceedsJsonDepth(custom)) throw invalidMetadata(`custom nests objects and arrays more than ${MAX_JSON_DEPTH} deep`);
    clean.custom = JSON.parse(JSON.stringify(custom)) as Record<string, unknown>;
  }
  return clean;
}

function invalidMetadata(reason: string): TributaryError {
  return new TributaryError('INVALID_STREAM_METADATA', `invalid stream metadata: ${reason}`, { reason });
}
