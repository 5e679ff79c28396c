import type { SqlTransaction } from '../../store/consumer-store.js';
import type { InlineHook, SqlAccess } from '../../store/sql-access.js';
import type { SqliteConnection } from './sqlite-connection.js';
import { sqliteDialect } from './sqlite-dialect.js';

/** The SQLite file itself, through the store's one connection: transactions never interleave with a group commit. */
export class SqliteSqlAccess implements SqlAccess {
  readonly dialect = sqliteDialect;
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.#connection.transaction('store.sql.transaction', work);
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#connection.rows<Row>(sql, params);
  }

  addInlineHook(hook: InlineHook): () => void {
    return this.#connection.inline.add(hook);
  }
}
