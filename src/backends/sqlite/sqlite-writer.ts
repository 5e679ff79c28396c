import type { Database, Statement } from 'better-sqlite3';
import type { TributaryError } from '../../core/errors.js';
import { storeClosed } from '../../store/store-closed.js';
import { syncFailed, translateSqliteError } from './sqlite-errors.js';
import type { SyncFile } from './sqlite-wal-sync.js';

interface PendingWrite {
  work: () => unknown;
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** A commit waiting for its sync: answered after it, in commit order. */
interface Unsynced {
  /** The log's head before this commit: readers see no further until it is on disk. */
  headBefore: number;
  /** The store's last stream change before this commit: copies read no further until it is on disk. */
  changeBefore: number;
  settle: () => void;
  fail: (error: unknown) => void;
}

/** What the writer needs besides the connection. */
export interface WriterHooks {
  /** Runs after commits are on disk (and after bookkeeping-only commits). */
  onCommit: () => void;
  /** Flushes the commits so far to disk, off the event loop. */
  sync: SyncFile;
  /** The log's head position, read inside the write transaction. */
  head: () => number;
  /** The store's last stream change number, read inside the write transaction; without it a copy reads every change committed. */
  lastChange?: () => number;
}

/**
 * Group commit. Writes submitted while the process is busy are queued; at the
 * next turn of the event loop they all run in one transaction, each inside its
 * own savepoint, and share one commit. A write that throws rolls back to its
 * savepoint only, so one caller's conflict never fails its neighbours.
 *
 * The commit writes the WAL without syncing it (`synchronous = NORMAL`); the
 * sync runs on the thread pool while the event loop parses requests and the
 * next groups commit, and one sync answers every group committed before it.
 * Callers are answered, and `visibleUntil` lets readers of the log past a
 * commit, only once it is on disk.
 */
export class GroupCommitWriter {
  readonly #db: Database;
  readonly #hooks: WriterHooks;
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
  /** Commits not yet on disk, oldest first; the first ones may be in the sync that is running. */
  #unsynced: Unsynced[] = [];
  #syncing: Promise<void> | undefined;
  /** Set when a sync failed: what the disk holds is unknown, so no later write is accepted. */
  #failure: TributaryError | undefined;

  constructor(db: Database, hooks: WriterHooks) {
    this.#db = db;
    this.#hooks = hooks;
    this.#savepoint = db.prepare('SAVEPOINT write');
    this.#release = db.prepare('RELEASE write');
    this.#rollbackTo = db.prepare('ROLLBACK TO write');
  }

  /**
   * Runs `work` (synchronous statements) inside the next group transaction.
   * `durable: false` (consumer bookkeeping) lets a group made only of such
   * writes be answered without waiting for a sync: the next durable commit
   * syncs it, and the WAL keeps commits in order, so a power loss can only
   * take back a suffix of bookkeeping, never an acknowledged append.
   */
  submit<T>(work: () => T, options: { durable?: boolean } = {}): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosed());
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
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
    if (this.#failure !== undefined) throw this.#failure;
    let finished!: () => void;
    this.#exclusive = new Promise((done) => (finished = done));
    const db = this.#db;
    let value: T;
    let synced: Promise<void>;
    try {
      db.exec('BEGIN IMMEDIATE');
      const headBefore = this.#hooks.head();
      const changeBefore = this.#hooks.lastChange?.() ?? Infinity;
      value = await work();
      db.exec('COMMIT');
      synced = new Promise((settle, fail) => this.#afterCommit({ headBefore, changeBefore, settle, fail }));
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw translateSqliteError(error);
    } finally {
      // the lock goes before the sync: the next groups commit while this one reaches the disk
      this.#exclusive = undefined;
      finished();
    }
    await synced;
    return value;
  }

  /**
   * The log's last position a reader may see: the head before the oldest
   * commit not yet on disk, or Infinity when every commit is.
   */
  visibleUntil(): number {
    return this.#unsynced.length === 0 ? Infinity : this.#unsynced[0]!.headBefore;
  }

  /** The last stream change a copy may read, as `visibleUntil` is for positions. */
  visibleChangeUntil(): number {
    return this.#unsynced.length === 0 ? Infinity : this.#unsynced[0]!.changeBefore;
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

  /** Refuses new writes and waits for queued ones to commit and reach the disk. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#exclusive !== undefined) await this.#exclusive;
    await this.#drained;
    while (this.#syncing !== undefined) await this.#syncing;
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
    let headBefore: number;
    let changeBefore: number;
    try {
      db.exec('BEGIN IMMEDIATE');
      headBefore = this.#hooks.head();
      changeBefore = this.#hooks.lastChange?.() ?? Infinity;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
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
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      const failure = translateSqliteError(error);
      for (const write of group) write.reject(failure);
      return;
    }
    const settle = () => {
      for (let i = 0; i < group.length; i++) {
        const outcome = outcomes[i]!;
        if (outcome.ok) group[i]!.resolve(outcome.value);
        else group[i]!.reject(outcome.value);
      }
    };
    if (group.some((write) => write.durable)) {
      this.#afterCommit({ headBefore, changeBefore, settle, fail: (error) => { for (const write of group) write.reject(error); } });
    } else {
      settle();
      this.#hooks.onCommit();
    }
  }

  /** Queues a commit for the next sync, and starts one when none is running. */
  #afterCommit(commit: Unsynced): void {
    this.#unsynced.push(commit);
    this.#syncing ??= this.#syncLoop();
  }

  /** Syncs until every commit is on disk; each sync answers the commits made before it started. */
  async #syncLoop(): Promise<void> {
    while (this.#unsynced.length > 0) {
      const count = this.#unsynced.length;
      try {
        await this.#hooks.sync();
      } catch (error) {
        this.#failure = syncFailed(error);
        const lost = this.#unsynced;
        this.#unsynced = [];
        for (const commit of lost) commit.fail(this.#failure);
        break;
      }
      // off the list before they are answered: a caller that reads right after its append sees it
      const synced = this.#unsynced.splice(0, count);
      for (const commit of synced) commit.settle();
      this.#hooks.onCommit();
    }
    this.#syncing = undefined;
  }
}
