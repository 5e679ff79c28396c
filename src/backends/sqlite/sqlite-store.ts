import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { AppendResult, EventData } from '../../core/event.js';
import type { CheckedCondition } from '../../core/event-query.js';
import { appendManyResult, type AppendManyResult, type StreamAppend } from '../../core/stream-appends.js';
import { manyAppendCall, singleAppendCall, type AppendCall } from '../../store/append-calls.js';
import { asOfBeyondHead, type ParsedAsOf } from '../../core/as-of.js';
import { streamDeleted, streamNotFound } from '../../core/errors.js';
import { assertExpectedRevision, type ExpectedRevision } from '../../core/expected-revision.js';
import { assertStreamName, categoryOf } from '../../core/stream-name.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type {
  AllPage,
  AppendManyOptions,
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
import { logPageQuery, revisionAsOfRow, streamPageQuery } from '../../store/read-pages.js';
import { STREAM_ROW, headOf, metadataOf, scavengeFloor, streamInfoOf, streamListOf, type StreamRow } from '../../store/sql-rows.js';
import { appendedEvents } from '../../store/sql-access.js';
import { recordedRevisionFloor } from '../../store/copy-rows.js';
import { storeClosed } from '../../store/store-closed.js';
import { SqlSnapshotStore, type SnapshotStore } from '../../store/snapshot-store.js';
import { SqlTokenStore, type TokenStore } from '../../store/token-store.js';
import { STREAM_SOFT_DELETED, STREAM_TOMBSTONED, checkDelete } from '../../store/write-rules.js';
import { appendInTransaction } from './sqlite-append.js';
import { DEFAULT_BUSY_TIMEOUT_MS, type SqliteStoreConfig } from './sqlite-config.js';
import { databaseNotFound, translateSqliteError } from './sqlite-errors.js';
import { FilteredLogReader, globPrefix } from './sqlite-read.js';
import { SqliteConnection } from './sqlite-connection.js';
import { SqliteConsumerStore } from './sqlite-consumers.js';
import { SqliteEventLookup } from './sqlite-lookup.js';
import { SqliteLogCopy } from './sqlite-copy.js';
import { SqliteRedaction } from './sqlite-redaction.js';
import { SqliteSqlAccess } from './sqlite-sql-access.js';
import { migrate } from './sqlite-schema.js';
import { changeSignalFor, groupSignalFor } from './sqlite-signal.js';
import { WalCheckpointer } from './sqlite-checkpointer.js';
import { NO_SYNC, WalSync } from './sqlite-wal-sync.js';

/** SQLite's own `wal_autocheckpoint`, restored when the checkpoint thread fails. */
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/** What keeps a file's WAL: synced after commits, checkpointed into the database file. */
export interface WalUpkeep {
  walSync: WalSync;
  checkpointer?: WalCheckpointer;
}
import { prepareStatements, type Statements } from './sqlite-statements.js';
import { timeOf } from '../../store/position-at.js';

/**
 * Opens (creating when missing, unless `mustExist`) the embedded store in one SQLite file.
 *
 * Durability: WAL journal, synced after every commit before its callers are
 * answered; concurrent appends share one commit, and the sync runs off the
 * event loop (see GroupCommitWriter).
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
    // a group commit's savepoints journal the pages each write touches; on disk that journal was more writes than the WAL
    db.pragma('temp_store = MEMORY');
    migrate(db, config.onMigrationProgress);
    // from here commits only write the WAL; the writer syncs it, and a worker checkpoints it, off the event loop
    if (!memory) db.pragma('synchronous = NORMAL');
    if (!memory) db.pragma('wal_autocheckpoint = 0');
  } catch (error) {
    db.close();
    throw translateSqliteError(error);
  }
  if (memory) return new SqliteEventStore(db, path, config.clock ?? Date.now);
  const checkpointer = new WalCheckpointer(path, config.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, (reason) => {
    if (!db.open) return;
    db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
    process.emitWarning(`${reason}; the store's connection checkpoints by itself from now on`, 'TributaryWarning');
  });
  return new SqliteEventStore(db, path, config.clock ?? Date.now, { walSync: new WalSync(path), checkpointer });
}

export class SqliteEventStore implements EventStore {
  readonly location: string;
  readonly consumers: SqliteConsumerStore;
  readonly tokens: TokenStore;
  readonly sql: SqliteSqlAccess;
  readonly snapshots: SnapshotStore;
  readonly copySource: SqliteLogCopy;
  readonly copyTarget: SqliteLogCopy;
  readonly lookup: SqliteEventLookup;
  readonly redaction: SqliteRedaction;
  readonly #copy: SqliteLogCopy;
  readonly #connection: SqliteConnection;
  readonly #statements: Statements;
  readonly #filtered: FilteredLogReader;
  readonly #clock: () => number;
  readonly #waiters = new HeadWaiters();
  readonly #signal: ReturnType<typeof changeSignalFor>;
  readonly #unsubscribe: () => void;
  readonly #wal: WalUpkeep | undefined;
  #closing: Promise<void> | undefined;

  /** `wal` syncs and checkpoints the file's WAL off the event loop; none for a database without a file. */
  constructor(db: Database, location: string, clock: () => number, wal?: WalUpkeep) {
    this.location = location;
    this.#clock = clock;
    this.#wal = wal;
    this.#signal = changeSignalFor(location);
    const connection = new SqliteConnection(db, {
      onCommit: () => {
        this.#signal.notify();
        wal?.checkpointer?.commitsSynced();
      },
      sync: wal?.walSync.sync ?? NO_SYNC,
      head: () => this.#head(),
      lastChange: () => this.#statements.lastChange.get()!.last,
    });
    this.#connection = connection;
    this.#statements = prepareStatements(connection);
    this.#filtered = new FilteredLogReader(connection);
    this.lookup = new SqliteEventLookup(connection, clock);
    this.#copy = new SqliteLogCopy(connection, location, clock, () => this.#head());
    this.copySource = this.#copy;
    this.copyTarget = this.#copy;
    this.redaction = new SqliteRedaction(connection, (stream, events) => this.append(stream, events), () => this.#copy.assertWritable());
    this.consumers = new SqliteConsumerStore(connection, clock, groupSignalFor(location));
    this.sql = new SqliteSqlAccess(connection);
    this.tokens = new SqlTokenStore(this.sql, clock);
    this.snapshots = new SqlSnapshotStore(this.sql, clock, (text) => {
      const statement = connection.prepare(text);
      // in the group commit, as bookkeeping: a snapshot lost to a power cut only makes the next load fold more
      return (values) => connection.write('store.snapshots.write', () => void statement.run(...values), { durable: false });
    });
    this.#unsubscribe = this.#signal.subscribe(() => {
      if (this.#waiters.size > 0 && !connection.closed) void this.headPosition().then((head) => this.#waiters.advance(head), () => undefined);
    });
  }

  append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    return this.#appendCall(() => singleAppendCall(stream, events, options)).then((results) => results[0]!);
  }

  appendMany(appends: readonly StreamAppend[], options: AppendManyOptions = {}): Promise<AppendManyResult> {
    return this.#appendCall(() => manyAppendCall(appends, options)).then(appendManyResult);
  }

  #appendCall(check: () => AppendCall): Promise<AppendResult[]> {
    try {
      const call = check();
      if (this.#connection.inline.size > 0) return this.#appendInline(call);
      return this.#connection.write(call.operation, () => {
        this.#copy.assertWritable();
        return appendInTransaction(this.#statements, call, this.#conflicts, this.#recordedAt());
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  readonly #conflicts = (condition: CheckedCondition): number[] => this.#filtered.conflicts(condition);

  async readStream(stream: string, options?: ReadStreamOptions): Promise<StreamPage> {
    assertStreamName(stream);
    const plan = planStreamRead(options);
    return this.#connection.read(() => {
      const row = this.#statements.streamByName.get(stream);
      const lastAsOf = plan.asOf === undefined ? undefined : this.#revisionAsOf(row, this.#positionOf(plan.asOf));
      const query = streamPageQuery(stream, row, plan, this.#clock(), lastAsOf);
      const { streamId, from, to, minRevision, minRecordedAt, limit } = query;
      if (query.empty) return query.page([]);
      const rows = query.backward
        ? this.#statements.readBackward.all(streamId, from, minRevision, minRecordedAt, limit)
        : this.#statements.readForward.all(streamId, from, to, minRecordedAt, limit);
      return query.page(rows);
    });
  }

  async readAll(options?: ReadAllOptions): Promise<AllPage> {
    const plan = planAllRead(options);
    return this.#connection.read(() => this.#readAllNow(plan));
  }

  #readAllNow(plan: ReturnType<typeof planAllRead>): AllPage {
    const visible = this.#connection.visibleUntil();
    const end = plan.asOf === undefined ? undefined : this.#positionOf(plan.asOf);
    const query = logPageQuery(plan, plan.filter === undefined ? 0 : Math.min(this.#head(), visible), end);
    const { after, until, limit, filter } = query;
    return query.page(
      filter === undefined ? this.#statements.readAll.all(after, Math.min(until, visible), limit) : this.#filtered.read(filter, after, until, limit),
    );
  }

  async streamInfo(stream: string): Promise<StreamInfo> {
    assertStreamName(stream);
    return this.#connection.read(() => streamInfoOf(stream, this.#statements.streamByName.get(stream)));
  }

  async listStreams(options?: ListStreamsOptions): Promise<StreamList> {
    const plan = planStreamList(options);
    return this.#connection.read(() => {
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
    return this.#connection.read(() => this.#statements.categories.all());
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    assertStreamName(stream);
    return this.#connection.read(() => {
      const row = this.#statements.streamByName.get(stream);
      return row === undefined ? {} : metadataOf(row);
    });
  }

  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    try {
      assertStreamName(stream);
      const clean = checkStreamMetadata(metadata);
      return this.#connection.write('store.setStreamMetadata', () => {
        this.#copy.assertWritable();
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
        this.#statements.markChanged.run(this.#head(), streamId);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  deleteStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    return this.#delete('store.deleteStream', stream, options, (row) => {
      if (row === undefined || row[STREAM_ROW.lastRevision] < 0) throw streamNotFound(stream);
      if (row[STREAM_ROW.state] !== STREAM_SOFT_DELETED) {
        this.#statements.setStreamState.run(STREAM_SOFT_DELETED, row[STREAM_ROW.lastRevision] + 1, row[STREAM_ROW.streamId]);
      }
      this.#statements.markChanged.run(this.#head(), row[STREAM_ROW.streamId]);
      // no snapshot of the events deleted can hold again; a load would ignore it, this frees its row
      this.#statements.deleteSnapshots.run(stream);
    });
  }

  tombstoneStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    return this.#delete('store.tombstoneStream', stream, options, (row) => {
      let streamId: number;
      if (row === undefined) streamId = Number(this.#statements.insertStreamInState.run(stream, categoryOf(stream), STREAM_TOMBSTONED).lastInsertRowid);
      else {
        streamId = row[STREAM_ROW.streamId];
        this.#statements.setStreamState.run(STREAM_TOMBSTONED, row[STREAM_ROW.lastRevision] + 1, streamId);
      }
      this.#statements.markChanged.run(this.#head(), streamId);
      this.#statements.deleteSnapshots.run(stream);
    });
  }

  scavenge(): Promise<{ removed: number }> {
    if (this.#connection.closed) return Promise.reject(storeClosed());
    return this.#connection.write('store.scavenge', () => {
      this.#copy.assertWritable();
      const now = this.#clock();
      const head = this.#head();
      let removed = 0;
      for (const row of this.#statements.retainedStreams.all()) {
        const streamId = row[STREAM_ROW.streamId];
        const { minRevision, minRecordedAt } = scavengeFloor(row, now);
        this.#statements.scavengeStreamCategories.run({ streamId, minRevision, minRecordedAt });
        this.#statements.scavengeStreamTags.run({ streamId, minRevision, minRecordedAt });
        const count = this.#statements.scavengeStream.run(streamId, minRevision, minRecordedAt).changes;
        // a copy removes the same events when it applies the stream's row (log-copy.ts)
        if (count > 0) {
          const floor = recordedRevisionFloor(minRevision, row[STREAM_ROW.lastRevision]);
          this.#statements.markScavenged.run({ streamId, head, minRevision: floor, minRecordedAt });
        }
        removed += count;
      }
      return { removed };
    });
  }

  async headPosition(): Promise<number> {
    return this.#connection.read(() => this.#visibleHead());
  }

  async positionAt(time: Date | string): Promise<number> {
    const at = timeOf(time);
    return this.#connection.read(() => this.#positionOf({ time: at }));
  }

  /** The position a read as of `asOf` stops at, inside a read: a position checked against the head, or a time searched for. */
  #positionOf(asOf: ParsedAsOf): number {
    const head = this.#visibleHead();
    if ('position' in asOf) {
      if (asOf.position > head) throw asOfBeyondHead(asOf.position, head);
      return asOf.position;
    }
    return this.#statements.positionAt.get({ time: asOf.time, head })!;
  }

  /** A stream's last revision at or before `position`; -1 when it had none by then. */
  #revisionAsOf(row: StreamRow | undefined, position: number): number {
    return revisionAsOfRow(row, position) ?? this.#statements.lastRevisionAt.get(row![STREAM_ROW.streamId], position)?.[0] ?? -1;
  }

  /** Now on the store's clock, but never before the log's last event: recorded times never decrease with position. */
  #recordedAt(): number {
    const now = this.#clock();
    const last = this.#statements.lastRecordedAt.get()?.[0];
    return last === undefined || now >= last ? now : last;
  }

  waitForPosition(after: number, options: WaitOptions = {}): Promise<number> {
    // the head first, and the waiter in the same step: on a closed or failing store no waiter is left behind with its timer
    return this.#connection
      .read(() => {
        const head = this.#visibleHead();
        const waiting = this.#waiters.wait(after, options, () => this.headPosition());
        this.#waiters.advance(head);
        return { waiting };
      })
      .then(({ waiting }) => waiting);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    await this.#connection.finishWrites();
    this.#waiters.release(this.#head());
    this.#unsubscribe();
    // the worker is told first and waited for last: nothing of the store answers in between
    const checkpointerStopped = this.#wal?.checkpointer?.close();
    this.#connection.close();
    this.#wal?.walSync.close();
    await checkpointerStopped;
  }

  #head(): number {
    return this.#statements.head.get()?.seq ?? 0;
  }

  /** The head a reader of the log sees: no further than what is on disk. */
  #visibleHead(): number {
    return Math.min(this.#head(), this.#connection.visibleUntil());
  }

  #delete(operation: string, stream: string, options: DeleteOptions, apply: (row: StreamRow | undefined) => void): Promise<void> {
    try {
      assertStreamName(stream);
      const expected: ExpectedRevision = options.expectedRevision === undefined ? 'any' : options.expectedRevision;
      assertExpectedRevision(expected);
      return this.#connection.write(operation, () => {
        this.#copy.assertWritable();
        const row = this.#statements.streamByName.get(stream);
        checkDelete(stream, expected, headOf(row));
        apply(row);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** An append with inline hooks: its own transaction, so a hook's failure takes back only this append. */
  #appendInline(call: AppendCall): Promise<AppendResult[]> {
    const append = async (tx: SqlTransaction) => {
      this.#copy.assertWritable();
      const head = this.#head();
      const recordedAt = this.#recordedAt();
      const results = appendInTransaction(this.#statements, call, this.#conflicts, recordedAt);
      const events = results.flatMap((result, index) => appendedEvents(result, call.parts[index]!.events, recordedAt, head));
      // the hooks read from inside the transaction: their reads do not wait for it
      await this.#connection.inline.run(events, tx, (options) => this.readAll(options));
      return results;
    };
    // after the appends queued before the hook was added, so no later event slips past the hooks
    return this.#connection.transaction(call.operation, append, { afterQueued: true });
  }
}
