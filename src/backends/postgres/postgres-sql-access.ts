import type pg from 'pg';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { InlineHook, SqlAccess } from '../../store/sql-access.js';
import type { TransactionScope } from '../../store/transaction-scope.js';
import { postgresDialect } from './postgres-dialect.js';
import { guarded } from './postgres-errors.js';
import { PostgresTransaction, inTransaction } from './postgres-transaction.js';
import type { PostgresWriter } from './postgres-writer.js';

/** The PostgreSQL database itself; connections look in the store's schema first, so unqualified tables land beside the log. */
export class PostgresSqlAccess implements SqlAccess {
  readonly dialect = postgresDialect;
  readonly #pool: pg.Pool;
  readonly #writer: PostgresWriter;
  readonly #isClosed: () => boolean;
  readonly #scope: TransactionScope;

  constructor(pool: pg.Pool, writer: PostgresWriter, isClosed: () => boolean, scope: TransactionScope) {
    this.#pool = pool;
    this.#writer = writer;
    this.#isClosed = isClosed;
    this.#scope = scope;
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    this.#scope.refuse('store.sql.transaction');
    return inTransaction(this.#pool, this.#isClosed, (client) => this.#scope.enter(() => work(new PostgresTransaction(client))));
  }

  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return guarded(this.#isClosed, async () => (await this.#pool.query(sql, params as unknown[])).rows as Row[]);
  }

  addInlineHook(hook: InlineHook): () => void {
    return this.#writer.inline.add(hook);
  }
}
