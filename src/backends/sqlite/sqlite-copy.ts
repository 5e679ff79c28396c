import BetterSqlite3, { type Statement } from 'better-sqlite3';
import { TributaryError, invalidArgument } from '../../core/errors.js';
import { categoryOf } from '../../core/stream-name.js';
import {
  COPIED_STREAM_COLUMNS,
  carriedRows,
  copiedEventTags,
  copiedTableOrder,
  copyDiverged,
  copyStateOf,
  copyTargetRefused,
  type CopyStateRow, copiedStreamOf, copiedStreamValues, type CopiedStreamRow } from '../../store/copy-rows.js';
import {
  COPIED_TABLES,
  copySteps,
  streamTips,
  type CopiedStream,
  type CopiedTable,
  type CopyBatch,
  type CopyCheckpoint,
  type CopyHead,
  type CopyState,
  type LogCopyReads,
  type LogCopySource,
  type LogCopyTarget,
} from '../../store/log-copy.js';
import { EVENT_COLUMNS, type EventRow } from '../../store/sql-rows.js';
import { STREAM_SOFT_DELETED } from '../../store/write-rules.js';
import type { SqliteConnection } from './sqlite-connection.js';

/** What a run of copied events needs of each stream it touches. */
interface TargetStream {
  id: number;
  category: string;
}

/** The rows of a table a copy replaces on the target: the target's own SQL-sink projections keep their registry rows. */
const REPLACED_ROWS: Partial<Record<(typeof COPIED_TABLES)[number], string>> = {
  tributary_projections: 'location IS NOT NULL',
};

/** Columns a copy never carries: members of a group join again on the new store. */
const NOT_CARRIED: Partial<Record<(typeof COPIED_TABLES)[number], string>> = {
  consumer_partitions: 'owner',
};

function prepareCopyStatements(connection: SqliteConnection) {
  const scavenged = `stream_id = @streamId AND position <= @until AND (revision < @minRevision OR recorded_at < @minRecordedAt)`;
  return {
    storeId: connection.prepare<[], { store_id: string }>('SELECT store_id FROM store_identity'),
    copyState: connection.prepare<[], CopyStateRow>(
      'SELECT source_id, source_location, role, position, change, source_head, promote_requested_at, updated_at FROM copy_state',
    ),
    isEmpty: connection.prepare<[], { empty: number }>(
      `SELECT NOT (EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM streams) OR EXISTS (SELECT 1 FROM consumers)
         OR EXISTS (SELECT 1 FROM tokens) OR EXISTS (SELECT 1 FROM tributary_projections) OR EXISTS (SELECT 1 FROM copy_state)) AS empty`,
    ),
    beginCopy: connection.prepare<[string, string, string, number]>(
      `INSERT INTO copy_state (only_row, source_id, source_location, role, position, change, source_head, promote_requested_at, updated_at)
       VALUES (1, ?, ?, ?, 0, 0, 0, NULL, ?)`,
    ),
    streamId: connection.prepare<[string], { stream_id: number }>('SELECT stream_id FROM streams WHERE name = ?'),
    insertStream: connection.prepare<[string, string]>('INSERT INTO streams (name, category) VALUES (?, ?)'),
    insertEvent: connection.prepare<[number, number, number, string, string, string, number, string | null, string, string | null]>(
      `INSERT INTO events (position, stream_id, revision, id, stream, type, recorded_at, metadata, data, tags)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertCategory: connection.prepare<[string, number]>('INSERT INTO event_categories (category, position) VALUES (?, ?)'),
    insertTag: connection.prepare<[string, number]>('INSERT INTO event_tags (tag, position) VALUES (?, ?)'),
    // an append makes a soft-deleted stream live again; nothing makes a tombstoned one live
    raiseStream: connection.prepare<[number, number, number]>(
      `UPDATE streams SET last_revision = max(last_revision, ?), last_position = max(last_position, ?),
         state = CASE state WHEN ${STREAM_SOFT_DELETED} THEN 0 ELSE state END
       WHERE stream_id = ?`,
    ),
    upsertStream: connection.prepare<CopiedStreamRow, { stream_id: number }>(
      `INSERT INTO streams (${COPIED_STREAM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET category = excluded.category, last_revision = excluded.last_revision,
         last_position = excluded.last_position, state = excluded.state, deleted_before = excluded.deleted_before,
         truncate_before = excluded.truncate_before, max_count = excluded.max_count, max_age = excluded.max_age,
         custom_metadata = excluded.custom_metadata, changed = excluded.changed, changed_at = excluded.changed_at,
         scavenged_revision = excluded.scavenged_revision, scavenged_recorded_at = excluded.scavenged_recorded_at,
         scavenged_until = excluded.scavenged_until
       RETURNING stream_id`,
    ),
    // index rows first, while the events they point at can still be found
    scavengeCategories: connection.prepare<[ScavengedEvents]>(
      `DELETE FROM event_categories WHERE category = @category AND position IN (SELECT position FROM events WHERE ${scavenged})`,
    ),
    scavengeTags: connection.prepare<[ScavengedEvents]>(
      `DELETE FROM event_tags WHERE (tag, position) IN (
         SELECT t.value, events.position FROM events, json_each(events.tags) t WHERE events.tags IS NOT NULL AND ${scavenged})`,
    ),
    scavengeEvents: connection.prepare<[ScavengedEvents]>(`DELETE FROM events WHERE ${scavenged}`),
    raiseHead: connection.prepare<[number]>("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'events'"),
    insertHead: connection.prepare<[number]>("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)"),
    saveCheckpoint: connection.prepare<[number, number, number, number]>(
      'UPDATE copy_state SET position = ?, change = ?, source_head = ?, updated_at = ?',
    ),
    updateState: connection.prepare<[string, number | null, number, number]>(
      'UPDATE copy_state SET role = ?, promote_requested_at = ?, source_head = ?, updated_at = ?',
    ),
  };
}

/** The events of one stream that its scavenges removed, as the copied row describes them. */
interface ScavengedEvents {
  streamId: number;
  category: string;
  until: number;
  minRevision: number;
  minRecordedAt: number;
}

/**
 * A copy's reads of one SQLite connection: the store's own, or a snapshot's.
 * `visible` caps them at what is on disk, so a copy never holds an event or a
 * stream change that a crash of the source could still take back.
 */
class SqliteCopyReads implements LogCopyReads {
  readonly #run: <T>(read: () => T) => Promise<T>;
  readonly #head: () => number;
  readonly #visible: () => CopyCheckpoint;
  readonly #prepare: (sql: string) => Statement<unknown[]>;
  readonly #lastChange: Statement<[], { last: number }>;
  readonly #events: Statement<unknown[], EventRow>;
  readonly #changes: Statement<unknown[], CopiedStreamRow>;

  constructor(prepare: (sql: string) => Statement<unknown[]>, run: <T>(read: () => T) => Promise<T>, head: () => number, visible: () => CopyCheckpoint) {
    this.#prepare = prepare;
    this.#run = run;
    this.#head = head;
    this.#visible = visible;
    this.#lastChange = prepare('SELECT coalesce(max(changed), 0) AS last FROM streams WHERE changed IS NOT NULL') as Statement<[], { last: number }>;
    this.#events = prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`).raw(true) as Statement<unknown[], EventRow>;
    this.#changes = prepare(`SELECT ${COPIED_STREAM_COLUMNS} FROM streams WHERE changed > ? ORDER BY changed LIMIT ?`).raw(true) as Statement<unknown[], CopiedStreamRow>;
  }

  copyHead(): Promise<CopyHead> {
    return this.#run(() => {
      const visible = this.#visible();
      return { head: Math.min(this.#head(), visible.position), lastChange: Math.min(this.#lastChange.get()!.last, visible.change) };
    });
  }

  readCopyEvents(after: number, until: number, limit: number): Promise<EventRow[]> {
    return this.#run(() => this.#events.all(after, Math.min(until, this.#head(), this.#visible().position), limit));
  }

  readStreamChanges(afterChange: number, limit: number): Promise<CopiedStream[]> {
    return this.#run(() => {
      const visible = this.#visible().change;
      const changes: CopiedStream[] = [];
      for (const row of this.#changes.all(afterChange, limit)) {
        const change = copiedStreamOf(row);
        if (change.changed > visible) break;
        changes.push(change);
      }
      return changes;
    });
  }

  readTables(): Promise<CopiedTable[]> {
    return this.#run(() =>
      COPIED_TABLES.map((table) => {
        const carried = carriedRows(table);
        const where = carried === undefined ? '' : ` WHERE ${carried}`;
        const statement = this.#prepare(`SELECT * FROM ${table}${where} ORDER BY ${copiedTableOrder(table)}`).raw(true);
        const columns = statement.columns().map((column) => column.name);
        const rows = statement.all() as unknown[][];
        const dropped = NOT_CARRIED[table] === undefined ? -1 : columns.indexOf(NOT_CARRIED[table]);
        if (dropped >= 0) for (const row of rows) row[dropped] = null;
        return { table, columns, rows };
      }),
    );
  }
}

/**
 * The SQLite store as the source and the target of an exact copy
 * (log-copy.ts). Reads see what the store's readers see: nothing past a
 * commit not yet on disk. A batch is written through the group commit, so it
 * serialises with every other write and is on disk before it is answered.
 * While the store is a mirror, its own writes are refused (`assertWritable`).
 */
export class SqliteLogCopy implements LogCopySource, LogCopyTarget {
  readonly #connection: SqliteConnection;
  readonly #location: string;
  readonly #clock: () => number;
  readonly #statements: ReturnType<typeof prepareCopyStatements>;
  readonly #reads: SqliteCopyReads;
  /** The id of the store this one mirrors, while it is a mirror as far as this handle last saw. */
  #mirrorOf: string | undefined;

  constructor(connection: SqliteConnection, location: string, clock: () => number, head: () => number) {
    this.#connection = connection;
    this.#location = location;
    this.#clock = clock;
    this.#statements = prepareCopyStatements(connection);
    this.#reads = new SqliteCopyReads(
      (sql) => connection.prepare(sql),
      (run) => connection.read(run),
      head,
      () => ({ position: connection.visibleUntil(), change: connection.visibleChangeUntil() }),
    );
    this.#mirrorOf = this.#mirrorSource();
  }

  /**
   * Throws MIRROR_READ_ONLY while the store is a mirror; called inside every
   * write of the store's own. Costs nothing on a store that was no mirror when
   * opened; on one that was, the row is read again, so a promote made through
   * another handle is seen at once.
   */
  assertWritable(): void {
    if (this.#mirrorOf === undefined) return;
    this.#mirrorOf = this.#mirrorSource();
    if (this.#mirrorOf !== undefined) {
      throw new TributaryError('MIRROR_READ_ONLY', `the store is a mirror of ${this.#mirrorOf}: promote it before writing to it`, {
        source: this.#mirrorOf,
      });
    }
  }

  storeId(): Promise<string> {
    return this.#connection.read(() => this.#statements.storeId.get()!.store_id);
  }

  copyHead(): Promise<CopyHead> {
    return this.#reads.copyHead();
  }

  readCopyEvents(after: number, until: number, limit: number): Promise<EventRow[]> {
    return this.#reads.readCopyEvents(after, until, limit);
  }

  readStreamChanges(afterChange: number, limit: number): Promise<CopiedStream[]> {
    return this.#reads.readStreamChanges(afterChange, limit);
  }

  readTables(): Promise<CopiedTable[]> {
    return this.#reads.readTables();
  }

  /**
   * Reads on a read-only connection of its own inside one read transaction: a
   * WAL snapshot the writer's commits do not change. No further than what was
   * on disk when it began. A database in memory has no second connection: its
   * reads run on the store's own.
   */
  async snapshot<T>(read: (view: LogCopyReads) => Promise<T>): Promise<T> {
    if (this.#location === ':memory:') return read(this.#reads);
    const visible = await this.#connection.read(() => ({ position: this.#connection.visibleUntil(), change: this.#connection.visibleChangeUntil() }));
    const db = new BetterSqlite3(this.#location, { readonly: true, fileMustExist: true });
    try {
      db.exec('BEGIN');
      const head = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
      const view = new SqliteCopyReads((sql) => db.prepare(sql), async (run) => run(), () => head.get()?.seq ?? 0, () => visible);
      return await read(view);
    } finally {
      db.close();
    }
  }

  copyState(): Promise<CopyState | undefined> {
    return this.#connection.read(() => {
      const row = this.#statements.copyState.get();
      return row === undefined ? undefined : copyStateOf(row);
    });
  }

  isEmpty(): Promise<boolean> {
    return this.#connection.read(() => this.#statements.isEmpty.get()!.empty === 1);
  }

  beginCopy(sourceId: string, sourceLocation: string, role: CopyState['role']): Promise<void> {
    return this.#connection.write('copy.beginCopy', () => {
      const own = this.#statements.storeId.get()!.store_id;
      if (sourceId === own) throw copyTargetRefused('same-store', `the store ${own} cannot be a copy of itself`);
      if (this.#statements.isEmpty.get()!.empty !== 1) {
        throw copyTargetRefused('not-empty', `the store at ${this.#location} holds events, streams, consumers, tokens or projections, or is a copy already`);
      }
      this.#statements.beginCopy.run(sourceId, sourceLocation, role, this.#clock());
      if (role === 'mirror') this.#mirrorOf = sourceId;
    });
  }

  applyCopy(from: CopyCheckpoint, batch: CopyBatch): Promise<void> {
    return this.#connection.write('copy.applyCopy', () => {
      const state = this.#statements.copyState.get();
      const found = state === undefined ? null : { position: state.position, change: state.change };
      if (found === null || found.position !== from.position || found.change !== from.change) throw copyDiverged(from, found);
      // a promoted copy is a store of its own: a mirror left running must not write into it
      if (state!.role === 'promoted') throw copyTargetRefused('promoted', `the store at ${this.#location} was promoted to a store of its own; a copy no longer writes into it`);
      const streams = new Map<string, TargetStream>();
      for (const step of copySteps(batch)) {
        if ('events' in step) this.#insertEvents(step.events, streams, from);
        else this.#applyChange(step.change, streams);
      }
      // no further than the checkpoint: a head past events still to come would let readers of the copy pass them by
      const head = Math.min(batch.head, batch.checkpoint.position);
      if (head > 0 && this.#statements.raiseHead.run(head).changes === 0) this.#statements.insertHead.run(head);
      this.#statements.saveCheckpoint.run(batch.checkpoint.position, batch.checkpoint.change, batch.sourceHead, this.#clock());
    });
  }

  replaceTables(tables: readonly CopiedTable[]): Promise<void> {
    for (const { table } of tables) {
      if (!(COPIED_TABLES as readonly string[]).includes(table)) return Promise.reject(invalidArgument('table', `${JSON.stringify(table)} is not a copied table`));
    }
    return this.#connection.write('copy.replaceTables', () => {
      for (const table of COPIED_TABLES) {
        const where = REPLACED_ROWS[table] === undefined ? '' : ` WHERE ${REPLACED_ROWS[table]}`;
        this.#connection.prepare(`DELETE FROM ${table}${where}`).run();
      }
      for (const table of tables) this.#insertRows(table);
    });
  }

  updateCopyState(change: Partial<Pick<CopyState, 'role' | 'promoteRequestedAt' | 'sourceHead'>>): Promise<void> {
    return this.#connection.write('copy.updateCopyState', () => {
      const row = this.#statements.copyState.get();
      if (row === undefined) {
        throw new TributaryError('NOT_A_MIRROR', `the store at ${this.#location} is not a copy of another store`, { location: this.#location });
      }
      const role = change.role ?? row.role;
      this.#statements.updateState.run(
        role,
        change.promoteRequestedAt === undefined ? row.promote_requested_at : change.promoteRequestedAt,
        change.sourceHead ?? row.source_head,
        this.#clock(),
      );
      this.#mirrorOf = role === 'mirror' ? row.source_id : undefined;
    });
  }

  #mirrorSource(): string | undefined {
    const row = this.#statements.copyState.get();
    return row?.role === 'mirror' ? row.source_id : undefined;
  }

  #insertEvents(events: readonly EventRow[], streams: Map<string, TargetStream>, from: CopyCheckpoint): void {
    const tips = streamTips(events);
    for (const name of tips.keys()) if (!streams.has(name)) streams.set(name, this.#targetStream(name));
    const { insertEvent, insertCategory, insertTag } = this.#statements;
    for (const row of events) {
      const [position, id, stream, revision, type, recordedAt, metadata, data, tags] = row;
      const target = streams.get(stream)!;
      try {
        insertEvent.run(position, target.id, revision, id, stream, type, recordedAt, metadata, data, tags);
      } catch (error) {
        if (isConstraint(error)) throw copyDiverged(from, from, { position, cause: error });
        throw error;
      }
      insertCategory.run(target.category, position);
      if (tags !== null) for (const tag of copiedEventTags(row)) insertTag.run(tag, position);
    }
    for (const [name, tip] of tips) this.#statements.raiseStream.run(tip.lastRevision, tip.lastPosition, streams.get(name)!.id);
  }

  #targetStream(name: string): TargetStream {
    const category = categoryOf(name);
    const found = this.#statements.streamId.get(name);
    const id = found?.stream_id ?? Number(this.#statements.insertStream.run(name, category).lastInsertRowid);
    return { id, category };
  }

  #applyChange(change: CopiedStream, streams: Map<string, TargetStream>): void {
    const id = this.#statements.upsertStream.get(...copiedStreamValues(change))!.stream_id;
    streams.set(change.name, { id, category: change.category });
    if (change.scavengedUntil === 0) return;
    const scavenged: ScavengedEvents = {
      streamId: id,
      category: change.category,
      until: change.scavengedUntil,
      minRevision: change.scavengedRevision,
      minRecordedAt: change.scavengedRecordedAt,
    };
    this.#statements.scavengeCategories.run(scavenged);
    this.#statements.scavengeTags.run(scavenged);
    this.#statements.scavengeEvents.run(scavenged);
  }

  /** Inserts a copied table's rows, in the columns the target has (a newer source may have more). */
  #insertRows({ table, columns, rows }: CopiedTable): void {
    const present = new Set(this.#connection.prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)').all(table).map((c) => c.name));
    const kept = columns.flatMap((column, index) => (present.has(column) ? [index] : []));
    if (kept.length === 0) return;
    const insert: Statement<unknown[]> = this.#connection.prepare(
      `INSERT INTO ${table} (${kept.map((index) => `"${columns[index]!}"`).join(', ')}) VALUES (${kept.map(() => '?').join(', ')})`,
    );
    for (const row of rows) insert.run(...kept.map((index) => row[index]));
  }
}

function isConstraint(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}
