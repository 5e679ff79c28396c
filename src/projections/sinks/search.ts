import type { SqlTransaction } from '../../store/consumer-store.js';
import type { SqlSink } from '../definition/projection.js';
import { currentReplayMode, type ReplayMode } from '../../subscriptions/handling.js';
import { searchSql } from './search-sql.js';

/** What a search projection's handlers get: its full-text index, written in the checkpoint's transaction. */
export interface SearchContext {
  /** False on the first handling of the event; else how it is met again (see docs/gateway.md). */
  readonly replay: ReplayMode;
  tx: SqlTransaction;
  /** Replaces the entry for `id`; a field named `title` weighs more in ranking. */
  index(id: string, fields: Record<string, string>): Promise<void>;
  remove(id: string): Promise<boolean>;
}

/**
 * A projection that keeps a full-text index with ranking (SQLite FTS5,
 * PostgreSQL tsvector), searched with `searchProjection` or `tributary search`.
 *
 * ```ts
 * defineProjection({ name: 'products', version: 1, sink: searchSink(),
 *   handlers: { ProductListed: (e, index) => index.index(e.stream, { title: e.data.title, body: e.data.description }) } });
 * ```
 */
export function searchSink(): SqlSink<SearchContext> {
  return {
    kind: 'search',
    storage: 'sql',
    create: (tx, name) => searchSql.create(tx, name),
    context: (tx, name) => ({
      tx,
      get replay() {
        return currentReplayMode();
      },
      index: (id, fields) => searchSql.index(tx, name, id, fields),
      remove: (id) => searchSql.remove(tx, name, id),
    }),
  };
}
