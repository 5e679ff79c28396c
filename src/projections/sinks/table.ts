import type { SqlTransaction } from '../../store/consumer-store.js';
import type { SqlSink } from '../definition/projection.js';
import { currentReplayMode, type ReplayMode } from '../../subscriptions/handling.js';
import { replaceView } from './views.js';

/** What a table projection's handlers get: the transaction the checkpoint commits in, and this generation's table. */
export interface TableContext {
  tx: SqlTransaction;
  /** The generation's table, e.g. `orders_g2`; readers query the view named after the projection. */
  table: string;
  /** False on the first handling of the event; else how it is met again (see docs/gateway.md). */
  readonly replay: ReplayMode;
}

export interface TableSinkOptions {
  /** The statements that create one generation's table (and its indexes), given the table's name. */
  schema: (table: string) => readonly string[];
}

/**
 * A projection that owns a table in the store's database. Handlers write it
 * through the transaction that also moves the checkpoint, so each event's
 * effect happens exactly once; readers use the view named after the projection.
 *
 * ```ts
 * tableSink({ schema: (t) => [`CREATE TABLE ${t} (sku TEXT PRIMARY KEY, on_hand INTEGER NOT NULL)`] })
 * ```
 */
export function tableSink(options: TableSinkOptions): SqlSink<TableContext> {
  return {
    kind: 'table',
    storage: 'sql',
    async create(tx, name) {
      for (const statement of options.schema(name)) await tx.execute(statement);
    },
    context: (tx, table) => ({
      tx,
      table,
      get replay() {
        return currentReplayMode();
      },
    }),
    publish: replaceView,
  };
}
