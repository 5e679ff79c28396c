import type { Database, Statement } from 'better-sqlite3';
import { storeClosed } from '../../store/store-closed.js';
import { translateSqliteError } from './sqlite-errors.js';

interface PendingWrite {
  work: () => unknown;
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit. Writes submitted while the process is busy are queued; at the
 * next turn of the event loop they all run in one transaction, each inside its
 * own savepoint, and share one commit — one fsync. A write that throws rolls
 * back to its savepoint only, so one caller's conflict never fails its
 * neighbours. Callers are answered after the commit is on disk.
 */
export class GroupCommitWriter {
  readonly #db: Database;
  // transaction control prepared once: a group runs them for every write it holds
  readonly #savepoint: Statement;
  readonly #release: Statement;
  readonly #rollbackTo: Statement;
  #queue: PendingWrite[] = [];
  #scheduled = false;
  #closed = false;
  #drained: Promise<void> = Promise.resolve();
  #markDrained: (() => void) | undefined;
  /** Set while `exclusive` work holds the transaction; group commits wait for it. */
  #exclusive: Promise<void> | undefined;

  readonly #onCommit: () => void;

  /** `onCommit` runs after every group that committed. */
  constructor(db: Database, onCommit: () => void) {
    this.#db = db;
    this.#onCommit = onCommit;
    this.#savepoint = db.prepare('SAVEPOINT write');
    this.#release = db.prepare('RELEASE write');
    this.#rollbackTo = db.prepare('ROLLBACK TO write');
  }

  /**
   * Runs `work` (synchronous statements) inside the next group transaction.
   * `durable: false` (consumer bookkeeping) lets a group made only of such
   * writes commit without its own fsync: the next durable commit syncs it, and
   * the WAL keeps commits in order, so a power loss can only take back a
   * suffix of bookkeeping, never an acknowledged append.
   */
  submit<T>(work: () => T, options: { durable?: boolean } = {}): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosed());
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, durable: options.durable ?? true, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#drained = new Promise((done) => (this.#markDrained = done));
        // setImmediate, not a microtask: requests that arrived in the same I/O phase join this group
        setImmediate(() => this.#flush());
      }
    });
  }

  /**
   * Runs asynchronous `work` alone in its own transaction and commits it;
   * group commits wait until it ends. A throw rolls everything back. The work
   * holds the file's write lock, so it must only await its own statements.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.#exclusive !== undefined) await this.#exclusive;
    if (this.#closed) throw storeClosed();
    let finished!: () => void;
    this.#exclusive = new Promise((done) => (finished = done));
    const db = this.#db;
    try {
      db.exec('BEGIN IMMEDIATE');
      const value = await work();
      db.exec('COMMIT');
      this.#onCommit();
      return value;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw translateSqliteError(error);
    } finally {
      this.#exclusive = undefined;
      finished();
    }
  }

  /** Resolves when the writes queued so far have committed (or failed). */
  async drained(): Promise<void> {
    await this.#drained;
  }

  /** True while `exclusive` work holds the connection's transaction. */
  get holding(): boolean {
    return this.#exclusive !== undefined;
  }

  /** Resolves when no `exclusive` work holds the connection's transaction, so a read sees only committed rows. */
  async idle(): Promise<void> {
    while (this.#exclusive !== undefined) await this.#exclusive;
  }

  /** Refuses new writes and waits for queued ones to commit. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#exclusive !== undefined) await this.#exclusive;
    await this.#drained;
  }

  #flush(): void {
    if (this.#exclusive !== undefined) {
      // still scheduled: writes that arrive meanwhile join this group
      void this.#exclusive.then(() => setImmediate(() => this.#flush()));
      return;
    }
    const group = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    try {
      this.#commit(group);
    } finally {
      this.#markDrained?.();
    }
  }

  #commit(group: PendingWrite[]): void {
    const db = this.#db;
    const outcomes = new Array<{ ok: boolean; value: unknown }>(group.length);
    const isolate = group.length > 1;
    const relaxed = !group.some((write) => write.durable);
    // a pragma acts when it is prepared, so it cannot be a prepared statement run again
    if (relaxed) db.exec('PRAGMA synchronous = NORMAL');
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if (relaxed) db.exec('PRAGMA synchronous = FULL');
      for (const write of group) write.reject(translateSqliteError(error));
      return;
    }
    try {
      for (let i = 0; i < group.length; i++) {
        if (isolate) this.#savepoint.run();
        try {
          outcomes[i] = { ok: true, value: group[i]!.work() };
          if (isolate) this.#release.run();
        } catch (error) {
          if (!isolate) throw error;
          this.#rollbackTo.run();
          this.#release.run();
          outcomes[i] = { ok: false, value: translateSqliteError(error) };
        }
      }
      db.exec('COMMIT');
      this.#onCommit();
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      const failure = translateSqliteError(error);
      for (const write of group) write.reject(failure);
      return;
    } finally {
      if (relaxed) db.exec('PRAGMA synchronous = FULL');
    }
    for (let i = 0; i < group.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.ok) group[i]!.resolve(outcome.value);
      else group[i]!.reject(outcome.value);
    }
  }
}
