import { TributaryError } from '../../core/errors.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { EventStore } from '../../store/event-store.js';
import type { SqlAccess } from '../../store/sql-access.js';
import { lakeDirectoryOf, storageNameOf } from '../definition/projection.js';
import { listProjections, requireProjection, sqlOf, type ProjectionRecord } from '../lifecycle/registry.js';
import type { LakeAnswer } from '../sinks/lake-answer.js';
import { queryLake, type LakeQueryOptions } from '../sinks/lake-query.js';
import { documentsSql, type DocumentFilter, type Json } from '../sinks/documents-sql.js';
import type { FindDocumentsOptions } from '../sinks/documents.js';
import { searchSql, type SearchHit } from '../sinks/search-sql.js';

/** The document with `id` in the generation readers see of projection `name`. */
export async function getDocument(store: EventStore, name: string, id: string): Promise<Json | undefined> {
  const { reader, table } = await liveStorage(store, name, 'documents');
  return documentsSql.get(reader, table, id);
}

/** Documents whose fields equal `filter`'s values, in id order, a page at a time. */
export async function findDocuments(
  store: EventStore,
  name: string,
  filter: DocumentFilter,
  options?: FindDocumentsOptions,
): Promise<{ id: string; doc: Json }[]> {
  const { reader, table } = await liveStorage(store, name, 'documents');
  return documentsSql.find(reader, table, filter, options);
}

export interface SearchProjectionOptions {
  /** Most hits to return; default 20. */
  limit?: number;
}

/**
 * Full-text search in projection `name`, best match first.
 *
 * ```ts
 * const hits = await searchProjection(store, 'products', 'waterproof boots');
 * ```
 */
export async function searchProjection(store: EventStore, name: string, terms: string, options?: SearchProjectionOptions): Promise<SearchHit[]> {
  const { reader, table } = await liveStorage(store, name, 'search');
  return searchSql.search(reader, table, terms, options);
}

async function liveStorage(store: EventStore, name: string, kind: string): Promise<{ reader: SqlTransaction; table: string }> {
  const sql = sqlOf(store, name);
  const record = await requireProjection(sql, name);
  if (record.sink !== kind) {
    throw new TributaryError('PROJECTION_CONFLICT', `projection ${JSON.stringify(name)} is a ${record.sink} projection, not a ${kind} one`, {
      projection: name,
    });
  }
  return { reader: readerOf(sql), table: storageNameOf(name, record.live) };
}

/** Committed reads through the transaction interface the sinks' SQL is written against. */
function readerOf(sql: SqlAccess): SqlTransaction {
  return {
    dialect: sql.dialect,
    query: (text, params) => sql.query(text, params),
    execute: () => Promise.reject(new TributaryError('INTERNAL_ERROR', 'a projection reader does not write')),
  };
}

/** Options of {@link queryLakes}: the limits and signal of one lake query, and which lakes it sees. */
export interface QueryLakesOptions extends LakeQueryOptions {
  /** Which lake projections become views (all by default), e.g. only those built from categories a caller may read. */
  includeLake?: (record: ProjectionRecord) => boolean;
}

/**
 * Runs one read-only SELECT through DuckDB over the lake projections of the store, each a view named after the
 * projection (the generation readers see), e.g. joining orders with inventory; the limits are `queryLake`'s.
 *
 * ```ts
 * const { rows, truncated } = await queryLakes(store, 'SELECT category, count(*) AS n FROM events GROUP BY category', { limit: 100 });
 * ```
 */
export async function queryLakes(store: EventStore, sql: string, options: QueryLakesOptions = {}): Promise<LakeAnswer> {
  const { includeLake = () => true, ...queryOptions } = options;
  const records = await listProjections(sqlOf(store, 'lake'));
  const tables = records
    .filter((record) => record.sink === 'lake' && record.location !== null && includeLake(record))
    .map((record) => ({ name: record.name, directory: lakeDirectoryOf(record.location!, record.name, record.live) }));
  return queryLake(tables, sql, queryOptions);
}
