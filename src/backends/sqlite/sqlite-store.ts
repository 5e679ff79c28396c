import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { AppendResult, EventData } from '../../core/event.js';
import { streamDeleted, streamNotFound } from '../../core/errors.js';
import { assertExpectedRevision, type ExpectedRevision } from '../../core/expected-revision.js';
import { prepareEvents, type ProposedEvent } from '../../core/proposed-event.js';
import { assertStreamName, categoryOf } from '../../core/stream-name.js';
import type {
  AllPage,
  AppendOptions,
  CategorySummary,
  DeleteOptions,
  EventStore,
  ListStreamsOptions,
  ReadAllOptions,
  ReadStreamOptions,
  StreamInfo,
  StreamList,
  StreamMetadata,
  StreamPage,
  WaitOptions,
} from '../../store/event-store.js';
import { HeadWaiters } from '../../store/head-waiters.js';
import { checkStreamMetadata, planAllRead, planStreamList, planStreamRead } from '../../store/options.js';
import { logPageQuery, streamPageQuery } from '../../store/read-pages.js';
import { STREAM_ROW, headOf, metadataOf, scavengeFloor, streamInfoOf, streamListOf, type StreamRow } from '../../store/sql-rows.js';
import { appendedEvents } from '../../store/sql-access.js';
import { storeClosed } from '../../store/store-closed.js';
import { SqlTokenStore, type TokenStore } from '../../store/token-store.js';
import { STREAM_SOFT_DELETED, STREAM_TOMBSTONED, checkDelete } from '../../store/write-rules.js';
import { appendInTransaction } from './sqlite-append.js';
import { DEFAULT_BUSY_TIMEOUT_MS, type SqliteStoreConfig } from './sqlite-config.js';
import { databaseNotFound, translateSqliteError } from './sqlite-errors.js';
import { FilteredLogReader, globPrefix } from './sqlite-read.js';
import { SqliteConsumerStore } from './sqlite-consumers.js';
import { SqliteSqlAccess } from './sqlite-sql-access.js';
import { SqliteTransaction } from './sqlite-transaction.js';
import { migrate } from './sqlite-schema.js';
import { changeSignalFor } from './sqlite-signal.js';
import { prepareStatements, type Statements } from './sqlite-statements.js';
import { GroupCommitWriter } from './sqlite-writer.js';

/**
 * Opens (creating when missing, unless `mustExist`) the embedded store in one SQLite file.
 *
 * Durability: WAL journal with `synchronous = FULL`, so every commit is fsynced
 * before its callers are answered; concurrent appends share one commit.
 *
 * ```ts
 * const store = openSqliteStore({ path: './data/tributary.db' });
 * ```
 */
export function openSqliteStore(config: SqliteStoreConfig): SqliteEventStore {
  const memory = config.path === ':memory:';
  const path = memory ? config.path : resolve(config.path);
  const mustExist = config.mustExist === true && !memory;
  if (mustExist && !existsSync(path)) throw databaseNotFound(path);
  if (!memory && !mustExist) mkdirSync(dirname(path), { recursive: true });
  let db: Database;
  try {
    // fileMustExist as well: a file removed since the check above is not created again
    db = new BetterSqlite3(path, { fileMustExist: mustExist });
  } catch (error) {
    throw mustExist && !existsSync(path) ? databaseNotFound(path) : translateSqliteError(error);
  }
  try {
    db.pragma(`busy_timeout = ${config.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    migrate(db);
  } catch (error) {
    db.close();
    throw translateSqliteError(error);
  }
  return new SqliteEventStore(db, path, config.clock ?? Date.now);
}

export class SqliteEventStore implements EventStore {
  readonly location: string;
  readonly consumers: SqliteConsumerStore;
  readonly tokens: TokenStore;
  readonly sql: SqliteSqlAccess;
  readonly #transaction: SqliteTransaction;
  readonly #db: Database;
  readonly #statements: Statements;
  readonly #writer: GroupCommitWriter;
  readonly #filtered: FilteredLogReader;
  readonly #clock: () => number;
  readonly #waiters = new HeadWaiters();
  readonly #signal: ReturnType<typeof changeSignalFor>;
  readonly #unsubscribe: () => void;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(db: Database, location: string, clock: () => number) {
    this.#db = db;
    this.location = location;
    this.#clock = clock;
    this.#statements = prepareStatements(db);
    this.#signal = changeSignalFor(location);
    this.#writer = new GroupCommitWriter(db, () => this.#signal.notify());
    this.#filtered = new FilteredLogReader(db);
    const transaction = new SqliteTransaction(db);
    this.#transaction = transaction;
    this.consumers = new SqliteConsumerStore(db, this.#writer, transaction, clock, (query) => this.#read(query));
    this.sql = new SqliteSqlAccess(this.#writer, transaction, (query) => this.#read(query));
    // SQLite takes the statements' ? placeholders as they are
    this.tokens = new SqlTokenStore(this.sql, clock);
    this.#unsubscribe = this.#signal.subscribe(() => {
      if (this.#waiters.size > 0 && !this.#closed) this.#waiters.advance(this.#head());
    });
  }

  append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    try {
      assertStreamName(stream);
      const expected = options.expectedRevision === undefined ? 'any' : options.expectedRevision;
      assertExpectedRevision(expected);
      const prepared = prepareEvents(events);
      if (this.sql.inline.size > 0) return this.#appendInline(stream, prepared, expected);
      return this.#writer.submit(() => appendInTransaction(this.#statements, stream, prepared, expected, this.#clock()));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<StreamPage> {
    assertStreamName(stream);
    const plan = planStreamRead(options);
    return this.#readCommitted(() => {
      const query = streamPageQuery(stream, this.#statements.streamByName.get(stream), plan, this.#clock());
      const { streamId, from, minRevision, minRecordedAt, limit } = query;
      if (query.empty) return query.page([]);
      const rows = query.backward
        ? this.#statements.readBackward.all(streamId, from, minRevision, minRecordedAt, limit)
        : this.#statements.readForward.all(streamId, from, minRecordedAt, limit);
      return query.page(rows);
    });
  }

  async readAll(options?: ReadAllOptions): Promise<AllPage> {
    const plan = planAllRead(options);
    return this.#readCommitted(() => this.#readAllNow(plan));
  }

  #readAllNow(plan: ReturnType<typeof planAllRead>): AllPage {
    const query = logPageQuery(plan, plan.filter === undefined ? 0 : this.#head());
    const { after, until, limit, filter } = query;
    return query.page(filter === undefined ? this.#statements.readAll.all(after, limit) : this.#filtered.read(filter, after, until, limit));
  }

  async streamInfo(stream: string): Promise<StreamInfo> {
    assertStreamName(stream);
    return this.#readCommitted(() => streamInfoOf(stream, this.#statements.streamByName.get(stream)));
  }

  async listStreams(options?: ListStreamsOptions): Promise<StreamList> {
    const plan = planStreamList(options);
    return this.#readCommitted(() => {
      const rows = this.#statements.listStreams.all({
        after: plan.after,
        category: plan.category ?? null,
        pattern: plan.prefix === undefined ? null : globPrefix(plan.prefix),
        limit: plan.limit,
      });
      return streamListOf(rows, plan.limit);
    });
  }

  async listCategories(): Promise<CategorySummary[]> {
    return this.#readCommitted(() => this.#statements.categories.all());
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    assertStreamName(stream);
    return this.#readCommitted(() => {
      const row = this.#statements.streamByName.get(stream);
      return row === undefined ? {} : metadataOf(row);
    });
  }

  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    try {
      assertStreamName(stream);
      const clean = checkStreamMetadata(metadata);
      return this.#writer.submit(() => {
        const row = this.#statements.streamByName.get(stream);
        if (row?.[STREAM_ROW.state] === STREAM_TOMBSTONED) throw streamDeleted(stream);
        const streamId = row?.[STREAM_ROW.streamId] ?? Number(this.#statements.insertStream.run(stream, categoryOf(stream)).lastInsertRowid);
        this.#statements.setStreamMetadata.run(
          clean.truncateBefore ?? null,
          clean.maxCount ?? null,
          clean.maxAge ?? null,
          clean.custom === undefined ? null : JSON.stringify(clean.custom),
          streamId,
        );
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  deleteStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    return this.#delete(stream, options, (row) => {
      if (row === undefined || row[STREAM_ROW.lastRevision] < 0) throw streamNotFound(stream);
      if (row[STREAM_ROW.state] === STREAM_SOFT_DELETED) return;
      this.#statements.setStreamState.run(STREAM_SOFT_DELETED, row[STREAM_ROW.lastRevision] + 1, row[STREAM_ROW.streamId]);
    });
  }

  tombstoneStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    return this.#delete(stream, options, (row) => {
      if (row === undefined) this.#statements.insertStreamInState.run(stream, categoryOf(stream), STREAM_TOMBSTONED);
      else this.#statements.setStreamState.run(STREAM_TOMBSTONED, row[STREAM_ROW.lastRevision] + 1, row[STREAM_ROW.streamId]);
    });
  }

  scavenge(): Promise<{ removed: number }> {
    if (this.#closed) return Promise.reject(storeClosed());
    return this.#writer.submit(() => {
      const now = this.#clock();
      let removed = 0;
      for (const row of this.#statements.retainedStreams.all()) {
        const { minRevision, minRecordedAt } = scavengeFloor(row, now);
        removed += this.#statements.scavengeStream.run(row[STREAM_ROW.streamId], minRevision, minRecordedAt).changes;
      }
      return { removed };
    });
  }

  async headPosition(): Promise<number> {
    return this.#readCommitted(() => this.#head());
  }

  waitForPosition(after: number, options: WaitOptions = {}): Promise<number> {
    try {
      // the head first: on a closed or failing store no waiter is left behind with its timer
      const head = this.#read(() => this.#head());
      const waiting = this.#waiters.wait(after, options, () => this.headPosition());
      this.#waiters.advance(head);
      return waiting;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    await this.#writer.close();
    this.#waiters.release(this.#head());
    this.#closed = true;
    this.#unsubscribe();
    this.#db.close();
  }

  #head(): number {
    return this.#statements.head.get()?.seq ?? 0;
  }

  #delete(stream: string, options: DeleteOptions, apply: (row: StreamRow | undefined) => void): Promise<void> {
    try {
      assertStreamName(stream);
      const expected: ExpectedRevision = options.expectedRevision === undefined ? 'any' : options.expectedRevision;
      assertExpectedRevision(expected);
      return this.#writer.submit(() => {
        const row = this.#statements.streamByName.get(stream);
        checkDelete(stream, expected, headOf(row));
        apply(row);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** An append with inline hooks: its own transaction, so a hook's failure takes back only this append. */
  async #appendInline(stream: string, prepared: readonly ProposedEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    // appends queued before the hook was added commit first, so no later event slips past the hooks
    await this.#writer.drained();
    return this.#writer.exclusive(async () => {
      const head = this.#head();
      const recordedAt = this.#clock();
      const result = appendInTransaction(this.#statements, stream, prepared, expected, recordedAt);
      // inside the transaction on the one connection: a read that waited for it to end would never start
      const readLog = async (options: ReadAllOptions) => this.#read(() => this.#readAllNow(planAllRead(options)));
      await this.sql.inline.run(appendedEvents(result, prepared, recordedAt, head), this.#transaction, readLog);
      return result;
    });
  }

  /** A read that waits while an inline append's transaction is open: the connection would show its uncommitted events. */
  async #readCommitted<T>(query: () => T): Promise<T> {
    if (this.sql.inline.size > 0) await this.#writer.idle();
    return this.#read(query);
  }

  #read<T>(query: () => T): T {
    if (this.#closed) throw storeClosed();
    try {
      return query();
    } catch (error) {
      throw translateSqliteError(error);
    }
  }
}

