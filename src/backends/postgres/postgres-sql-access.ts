import type pg from 'pg';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { InlineHook, SqlAccess } from '../../store/sql-access.js';
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

  constructor(pool: pg.Pool, writer: PostgresWriter, isClosed: () => boolean) {
    this.#pool = pool;
    this.#writer = writer;
    this.#isClosed = isClosed;
  }

  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, this.#isClosed, (client) => work(new PostgresTransaction(client)));
  }

  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return guarded(this.#isClosed, async () => (await this.#pool.query(sql, params as unknown[])).rows as Row[]);
  }

  addInlineHook(hook: InlineHook): () => void {
    return this.#writer.inline.add(hook);
  }
}
