import type { Database, Statement } from 'better-sqlite3';
import type { SqlTransaction } from '../../store/consumer-store.js';
import { sqliteDialect } from './sqlite-dialect.js';
import { translateSqliteError } from './sqlite-errors.js';

/**
 * SQL on the store's one connection, inside a transaction the writer opened
 * (a consumer's `transact`, `sql.transaction`, an inline append). Statements
 * are prepared once per text.
 */
export class SqliteTransaction implements SqlTransaction {
  readonly dialect = sqliteDialect;
  readonly #db: Database;
  readonly #cache = new Map<string, Statement>();

  constructor(db: Database) {
    this.#db = db;
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.rows<Row>(sql, params);
  }

  /** `query` without the promise, for reads outside a transaction. */
  rows<Row>(sql: string, params: readonly unknown[] = []): Row[] {
    return this.#statement(sql).all(...params) as Row[];
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return { changes: this.#statement(sql).run(...params).changes };
  }

  #statement(sql: string): Statement {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      // a handler that builds SQL text per event must not grow the cache without bound
      if (this.#cache.size >= 256) this.#cache.clear();
      try {
        statement = this.#db.prepare(sql);
      } catch (error) {
        throw translateSqliteError(error);
      }
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}
