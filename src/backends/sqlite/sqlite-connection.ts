import type { Database } from 'better-sqlite3';
import { InlineHooks } from '../../store/sql-access.js';
import { storeClosed } from '../../store/store-closed.js';
import { TransactionScope, transactionReentry } from '../../store/transaction-scope.js';
import { translateSqliteError } from './sqlite-errors.js';
import { SqliteTransaction } from './sqlite-transaction.js';
import { GroupCommitWriter, type WriterHooks } from './sqlite-writer.js';

/** What statement sets are prepared from: the connection lends its database's `prepare`. */
export type StatementSource = Pick<Database, 'prepare'>;

/**
 * A store handle's one SQLite connection, and the only way to it. Writes join
 * the group commit; a transaction (`sql.transaction`, a consumer's transaction
 * handler, an append that runs inline hooks) holds the connection alone; a read
 * waits while a transaction is open, so it never sees a half-done one. A write
 * started from inside a transaction would wait for the transaction, which waits
 * for it: it fails at once with TRANSACTION_REENTRY. A read from inside runs at
 * once, on the transaction's own view.
 */
export class SqliteConnection implements StatementSource {
  /** The hooks every append of this handle runs in its own transaction; while there are any, appends commit one at a time. */
  readonly inline = new InlineHooks();
  readonly prepare: Database['prepare'];
  readonly #db: Database;
  readonly #writer: GroupCommitWriter;
  readonly #tx: SqliteTransaction;
  readonly #scope = new TransactionScope();
  #closed = false;

  /** `hooks.onCommit` runs after commits reach the disk; `hooks.sync` takes them there. */
  constructor(db: Database, hooks: WriterHooks) {
    this.#db = db;
    this.prepare = db.prepare.bind(db);
    this.#writer = new GroupCommitWriter(db, hooks);
    this.#tx = new SqliteTransaction(db);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs synchronous `work` in the next group commit (see GroupCommitWriter.submit); `operation` names the call for TRANSACTION_REENTRY. */
  write<T>(operation: string, work: () => T, options?: { durable?: boolean }): Promise<T> {
    if (this.#scope.inside()) return Promise.reject(transactionReentry(operation));
    return this.#writer.submit(work, options);
  }

  /**
   * Runs `work` alone in a transaction and commits it; a throw rolls it back.
   * With `afterQueued`, the writes queued before it commit first.
   */
  transaction<T>(operation: string, work: (tx: SqliteTransaction) => Promise<T>, options: { afterQueued?: boolean } = {}): Promise<T> {
    if (this.#scope.inside()) return Promise.reject(transactionReentry(operation));
    const run = () => this.#writer.exclusive(() => this.#scope.enter(() => work(this.#tx)));
    return options.afterQueued === true ? this.#writer.drained().then(run) : run();
  }

  /** Runs synchronous `query` once no transaction is open, or at once from inside the open one. */
  async read<T>(query: () => T): Promise<T> {
    // looked at again right before the query: a transaction may begin while this one ends
    while (this.#writer.holding && !this.#scope.inside()) await this.#writer.idle();
    if (this.#closed) throw storeClosed();
    try {
      return query();
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  /** The last position of the log a reader may see: commits past it are not on disk yet. */
  visibleUntil(): number {
    return this.#scope.inside() ? Infinity : this.#writer.visibleUntil();
  }

  /** The last stream change a copy of the store may read: changes past it are not on disk yet. */
  visibleChangeUntil(): number {
    return this.#scope.inside() ? Infinity : this.#writer.visibleChangeUntil();
  }

  /** SQL text run as a `read`. */
  rows<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.read(() => this.#tx.rows<Row>(sql, params));
  }

  /** Refuses new writes and waits for the queued ones and an open transaction; reads still answer. */
  async finishWrites(): Promise<void> {
    await this.#writer.close();
  }

  /** Closes the database: every later call fails with STORE_CLOSED. */
  close(): void {
    this.#closed = true;
    this.#db.close();
  }
}
