import type { SqlTransaction } from '../../store/consumer-store.js';
import type { SqlSink } from '../definition/projection.js';
import { currentReplayMode, type ReplayMode } from '../../subscriptions/handling.js';
import { documentsSql, type DocumentFilter, type Json } from './documents-sql.js';
import { replaceView } from './views.js';

/** What a document projection's handlers get: its collection, written in the checkpoint's transaction. */
export interface DocumentsContext {
  /** False on the first handling of the event; else how it is met again (see docs/gateway.md). */
  readonly replay: ReplayMode;
  tx: SqlTransaction;
  get(id: string): Promise<Json | undefined>;
  put(id: string, document: Json): Promise<void>;
  /** Merges `fields` into the document's top level, creating it when missing. */
  patch(id: string, fields: Record<string, Json>): Promise<void>;
  remove(id: string): Promise<boolean>;
  find(filter: DocumentFilter, options?: FindDocumentsOptions): Promise<{ id: string; doc: Json }[]>;
}

/** A page of a document search: documents in id order after the id `after`, at most `limit` (default 100). */
export interface FindDocumentsOptions {
  limit?: number;
  after?: string;
}

/**
 * A projection that keeps JSON documents by id (SQLite JSON, PostgreSQL jsonb),
 * readable with `getDocument` and `findDocuments`, or over HTTP.
 *
 * ```ts
 * defineProjection({ name: 'carts', version: 1, sink: documentSink(),
 *   handlers: { ItemAdded: (e, docs) => docs.patch(e.stream, { lastSku: e.data.sku }) } });
 * ```
 */
export function documentSink(): SqlSink<DocumentsContext> {
  return {
    kind: 'documents',
    storage: 'sql',
    create: (tx, name) => documentsSql.create(tx, name),
    context: (tx, name) => ({
      tx,
      get replay() {
        return currentReplayMode();
      },
      get: (id) => documentsSql.get(tx, name, id),
      put: (id, document) => documentsSql.put(tx, name, id, document),
      patch: (id, fields) => documentsSql.patch(tx, name, id, fields),
      remove: (id) => documentsSql.remove(tx, name, id),
      find: (filter, options) => documentsSql.find(tx, name, filter, options),
    }),
    publish: replaceView,
  };
}
