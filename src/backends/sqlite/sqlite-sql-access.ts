import type { SqlTransaction } from '../../store/consumer-store.js';
import { InlineHooks, type InlineHook, type SqlAccess } from '../../store/sql-access.js';
import { sqliteDialect } from './sqlite-dialect.js';
import type { SqliteTransaction } from './sqlite-transaction.js';
import type { GroupCommitWriter } from './sqlite-writer.js';

/** The SQLite file itself: transactions go through the writer, so they never interleave with a group commit. */
export class SqliteSqlAccess implements SqlAccess {
  readonly dialect = sqliteDialect;
  readonly inline = new InlineHooks();
  readonly #writer: GroupCommitWriter;
  readonly #transaction: SqliteTransaction;
  readonly #read: <T>(query: () => T) => T;

  constructor(writer: GroupCommitWriter, transaction: SqliteTransaction, read: <T>(query: () => T) => T) {
    this.#writer = writer;
    this.#transaction = transaction;
    this.#read = read;
  }

  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.#writer.exclusive(() => work(this.#transaction));
  }

  async query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    // one connection serves reads and writes: wait out an open transaction rather than read its uncommitted rows
    await this.#writer.idle();
    return this.#read(() => this.#transaction.rows<Row>(sql, params));
  }

  addInlineHook(hook: InlineHook): () => void {
    return this.inline.add(hook);
  }
}
