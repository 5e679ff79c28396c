import pg from 'pg';
import { asOfBeyondHead, type ParsedAsOf } from '../../core/as-of.js';
import type { AppendResult, EventData } from '../../core/event.js';
import { appendManyResult, type AppendManyResult, type StreamAppend } from '../../core/stream-appends.js';
import { manyAppendCall, singleAppendCall, type AppendCall } from '../../store/append-calls.js';
import { invalidArgument, streamDeleted, streamNotFound } from '../../core/errors.js';
import { assertExpectedRevision, type ExpectedRevision } from '../../core/expected-revision.js';
import { assertStreamName, categoryOf } from '../../core/stream-name.js';
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
import { GroupWatchers } from '../../store/group-watchers.js';
import { HeadWaiters } from '../../store/head-waiters.js';
import { checkStreamMetadata, planAllRead, planStreamList, planStreamRead, type AllReadPlan } from '../../store/options.js';
import { logPageQuery, streamPageQuery } from '../../store/read-pages.js';
import { recordedRevisionFloor } from '../../store/copy-rows.js';
import { redactUrl } from '../../store/redact-url.js';
import { storeClosed } from '../../store/store-closed.js';
import { SqlSnapshotStore, type SnapshotStore } from '../../store/snapshot-store.js';
import { SqlTokenStore, type TokenStore } from '../../store/token-store.js';
import { TransactionScope } from '../../store/transaction-scope.js';
import { STREAM_ROW, headOf, metadataOf, scavengeFloor, streamInfoOf, streamListOf, type EventRow, type StreamRow } from '../../store/sql-rows.js';
import { STREAM_LIVE, STREAM_SOFT_DELETED, STREAM_TOMBSTONED, checkDelete } from '../../store/write-rules.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_POOL_SIZE,
  DEFAULT_SCHEMA,
  SCHEMA_NAME,
  schemaIdentifier,
  type PostgresStoreConfig,
} from './postgres-config.js';
import { PostgresConsumerStore } from './postgres-consumers.js';
import { PostgresCopy } from './postgres-copy.js';
import { guarded, translatePgError } from './postgres-errors.js';
import { PostgresListener } from './postgres-listener.js';
import { PostgresEventLookup } from './postgres-lookup.js';
import { PostgresRedaction } from './postgres-redaction.js';
import { filteredRead, likePrefix } from './postgres-read.js';
import { migrate } from './postgres-schema.js';
import { statementsFor, type Statements } from './postgres-statements.js';
import { PostgresSqlAccess } from './postgres-sql-access.js';
import { PostgresWriter } from './postgres-writer.js';
import { timeOf } from '../../store/position-at.js';

// bigint columns arrive as numbers: positions and revisions stay far below 2^53
const parseBigint = (value: string): number => Number(value);
const TYPES = {
  getTypeParser: ((oid: number, format?: string): unknown =>
    oid === 20 ? parseBigint : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const STREAM_COLUMN_COUNT = Object.keys(STREAM_ROW).length;

/** The parameters of the as-of statements: a position, or a time for position_at. */
function asOfValues(asOf: ParsedAsOf): [number | null, number | null] {
  return 'position' in asOf ? [asOf.position, null] : [null, asOf.time];
}

/** The position a read as of `asOf` stops at; INVALID_AS_OF for a position past the head. */
function checkedAsOf(asOf: ParsedAsOf, position: number, head: number): number {
  if ('position' in asOf && asOf.position > head) throw asOfBeyondHead(asOf.position, head);
  return position;
}

/**
 * Opens the store in a PostgreSQL database, creating or migrating its schema.
 * Many processes may open the same database and schema: they share one log.
 *
 * ```ts
 * const store = await openPostgresStore({ url: 'postgres://tributary@db.internal/events' });
 * ```
 */
export async function openPostgresStore(config: PostgresStoreConfig): Promise<PostgresEventStore> {
  const schema = config.schema ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw invalidArgument('schema', `must be lower-case letters, digits and _ (at most 50), got ${JSON.stringify(schema)}`);
  }
  const connection: pg.ClientConfig = {
    connectionString: config.url,
    connectionTimeoutMillis: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    types: TYPES,
    // projections' unqualified tables land in the store's schema, beside the log (the name is checked above)
    options: `-c search_path=${schema},public`,
  };
  const pool = new pg.Pool({ ...connection, max: config.poolSize ?? DEFAULT_POOL_SIZE });
  // an idle connection that breaks is dropped by the pool; without a listener it would crash the process
  pool.on('error', () => undefined);
  try {
    await migrate(pool, schema, config.onMigrationProgress);
    const store = new PostgresEventStore(pool, connection, schema, redactUrl(config.url), config.clock ?? Date.now);
    await store.copyTarget.open();
    return store;
  } catch (error) {
    await pool.end();
    throw translatePgError(error, redactUrl(config.url));
  }
}

export class PostgresEventStore implements EventStore {
  readonly location: string;
  readonly consumers: PostgresConsumerStore;
  readonly tokens: TokenStore;
  readonly sql: PostgresSqlAccess;
  readonly snapshots: SnapshotStore;
  readonly copySource: PostgresCopy;
  readonly copyTarget: PostgresCopy;
  readonly lookup: PostgresEventLookup;
  readonly redaction: PostgresRedaction;
  readonly #pool: pg.Pool;
  readonly #sql: Statements;
  readonly #schema: string;
  readonly #writer: PostgresWriter;
  readonly #listener: PostgresListener;
  readonly #waiters = new HeadWaiters();
  readonly #clock: () => number;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, connection: pg.ClientConfig, schema: string, location: string, clock: () => number) {
    this.#pool = pool;
    this.#schema = schemaIdentifier(schema);
    this.#sql = statementsFor(this.#schema);
    this.location = location;
    this.#clock = clock;
    // which work runs inside one of this handle's transactions, so writes from there are refused as on SQLite
    const scope = new TransactionScope();
    const channel = `tributary_${schema}`;
    const groups = new GroupWatchers();
    const listening = { channel, start: () => this.#listener.start(), watchers: groups };
    this.consumers = new PostgresConsumerStore(pool, this.#schema, this.#isClosed, scope, listening);
    this.#writer = new PostgresWriter(pool, this.#sql, this.#schema, clock, channel, (options) => this.readAll(options), scope);
    this.sql = new PostgresSqlAccess(pool, this.#writer, this.#isClosed, scope);
    this.tokens = new SqlTokenStore(this.sql, clock);
    const copy = new PostgresCopy({ pool, statements: this.#sql.copy, schema: this.#schema, writer: this.#writer, channel, clock, isClosed: this.#isClosed, location });
    this.copySource = copy;
    this.copyTarget = copy;
    this.lookup = new PostgresEventLookup(this.#schema, (text, values) => this.#rows(text, values), clock);
    this.redaction = new PostgresRedaction(
      this.#schema,
      (operation, work) => this.#whenWritable(() => this.#writer.transaction(operation, work)),
      (stream, events) => this.append(stream, events),
    );
    // one statement on the pool rather than a transaction of three: the upsert is atomic on its own
    this.snapshots = new SqlSnapshotStore(this.sql, clock, (text) => async (values) => {
      scope.refuse('store.snapshots.write');
      await guarded(this.#isClosed, () => pool.query(text, values as unknown[]));
    });
    this.#listener = new PostgresListener(connection, channel, {
      head: (head) => this.#waiters.advance(head),
      group: (consumer) => groups.raise(consumer),
      reconnected: () => {
        void this.headPosition().then((head) => this.#waiters.advance(head), () => undefined);
        groups.raiseAll();
      },
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
      return this.#whenWritable(() => this.#writer.append(call));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs a write now, or after a look at the copy role when this handle last saw the store as a mirror. */
  #whenWritable<T>(write: () => Promise<T>): Promise<T> {
    const check = this.copyTarget.writeCheck();
    return check === undefined ? write() : check.then(write);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<StreamPage> {
    assertStreamName(stream);
    const plan = planStreamRead(options);
    const { row, lastAsOf } = plan.asOf === undefined ? { row: await this.#streamRow(stream), lastAsOf: undefined } : await this.#streamAsOf(stream, plan.asOf);
    const query = streamPageQuery(stream, row, plan, this.#clock(), lastAsOf);
    const { streamId, from, to, minRevision, minRecordedAt, limit } = query;
    if (query.empty) return query.page([]);
    const rows = query.backward
      ? await this.#rows(this.#sql.readBackward, [streamId, from, minRevision, minRecordedAt, limit])
      : await this.#rows(this.#sql.readForward, [streamId, from, to, minRecordedAt, limit]);
    return query.page(rows);
  }

  async readAll(options?: ReadAllOptions): Promise<AllPage> {
    const plan = planAllRead(options);
    if (plan.asOf !== undefined) return this.#readAllAsOf(plan, plan.asOf);
    const query = logPageQuery(plan, plan.filter === undefined ? 0 : await this.headPosition());
    const { after, until, limit, filter } = query;
    if (filter === undefined) return query.page(await this.#rows(this.#sql.readAll, [after, limit]));
    const filtered = filteredRead(this.#schema, filter, after, until, limit);
    return query.page(await this.#rows(filtered.text, filtered.values));
  }

  /** A page of the log as of a point: the point and the head in one round trip, then the page. */
  async #readAllAsOf(plan: AllReadPlan, asOf: ParsedAsOf): Promise<AllPage> {
    const [head, found] = (await this.#rows<[number, number]>(this.#sql.asOf, asOfValues(asOf)))[0]!;
    const query = logPageQuery(plan, head, checkedAsOf(asOf, found, head));
    const { after, until, limit, filter } = query;
    if (filter === undefined) return query.page(await this.#rows(this.#sql.readAllUntil, [after, limit, until]));
    const filtered = filteredRead(this.#schema, filter, after, until, limit);
    return query.page(await this.#rows(filtered.text, filtered.values));
  }

  /** A stream's row, and its last revision as of a point (-1 when it had none by then), in one round trip. */
  async #streamAsOf(stream: string, asOf: ParsedAsOf): Promise<{ row: StreamRow | undefined; lastAsOf: number }> {
    const [found] = await this.#rows<[...StreamRow, number, number, number | null]>(this.#sql.streamAsOf, [stream, ...asOfValues(asOf)]);
    const [head, position, lastAsOf] = found!.slice(STREAM_COLUMN_COUNT) as [number, number, number | null];
    checkedAsOf(asOf, position, head);
    const row = found![STREAM_ROW.streamId] === null ? undefined : (found!.slice(0, STREAM_COLUMN_COUNT) as StreamRow);
    return { row, lastAsOf: lastAsOf ?? -1 };
  }

  async streamInfo(stream: string): Promise<StreamInfo> {
    assertStreamName(stream);
    return streamInfoOf(stream, await this.#streamRow(stream));
  }

  async listStreams(options?: ListStreamsOptions): Promise<StreamList> {
    const plan = planStreamList(options);
    const conditions = ['name > $1', '(last_revision >= 0 OR state <> 0)'];
    const values: unknown[] = [plan.after];
    if (plan.category !== undefined) {
      values.push(plan.category);
      conditions.push(`category = $${values.length}`);
    }
    if (plan.prefix !== undefined) {
      values.push(likePrefix(plan.prefix));
      conditions.push(`name LIKE $${values.length}`);
    }
    values.push(plan.limit);
    const rows = await this.#rows<[string, string, number, number, number]>(
      `SELECT name, category, last_revision, last_position, state FROM ${this.#schema}.streams
       WHERE ${conditions.join(' AND ')} ORDER BY name LIMIT $${values.length}`,
      values,
    );
    return streamListOf(rows, plan.limit);
  }

  async listCategories(): Promise<CategorySummary[]> {
    return (await this.#query<CategorySummary>(this.#sql.categories, [])).rows;
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    assertStreamName(stream);
    const row = await this.#streamRow(stream);
    return row === undefined ? {} : metadataOf(row);
  }

  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    try {
      assertStreamName(stream);
      const clean = checkStreamMetadata(metadata);
      return this.#whenWritable(() => this.#writer.transaction('store.setStreamMetadata', async (client) => {
        const row = await this.#streamRow(stream, client);
        if (row?.[STREAM_ROW.state] === STREAM_TOMBSTONED) throw streamDeleted(stream);
        const streamId = row?.[STREAM_ROW.streamId] ?? (await this.#insertStream(client, stream, STREAM_LIVE));
        await client.query(this.#sql.setStreamMetadata, [
          clean.truncateBefore ?? null,
          clean.maxCount ?? null,
          clean.maxAge ?? null,
          clean.custom === undefined ? null : JSON.stringify(clean.custom),
          streamId,
        ]);
      }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  deleteStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    return this.#delete('store.deleteStream', stream, options, async (client, row) => {
      if (row === undefined || row[STREAM_ROW.lastRevision] < 0) throw streamNotFound(stream);
      if (row[STREAM_ROW.state] !== STREAM_SOFT_DELETED) {
        await client.query(this.#sql.setStreamState, [STREAM_SOFT_DELETED, row[STREAM_ROW.lastRevision] + 1, row[STREAM_ROW.streamId]]);
      }
      // no snapshot of the events deleted can hold again; a load would ignore it, this frees its row
      await client.query(this.#sql.deleteSnapshots, [stream]);
    });
  }

  tombstoneStream(stream: string, options: DeleteOptions = {}): Promise<void> {
    return this.#delete('store.tombstoneStream', stream, options, async (client, row) => {
      const streamId = row?.[STREAM_ROW.streamId] ?? (await this.#insertStream(client, stream, STREAM_TOMBSTONED));
      // the state again even for a row just made: the statement numbers the change
      await client.query(this.#sql.setStreamState, [STREAM_TOMBSTONED, (row?.[STREAM_ROW.lastRevision] ?? -1) + 1, streamId]);
      await client.query(this.#sql.deleteSnapshots, [stream]);
    });
  }

  scavenge(): Promise<{ removed: number }> {
    return this.#whenWritable(() => this.#writer.transaction('store.scavenge', async (client) => {
      const now = this.#clock();
      let removed = 0;
      const rows = await client.query<StreamRow>({ text: this.#sql.retainedStreams, rowMode: 'array' });
      for (const row of rows.rows) {
        const { minRevision, minRecordedAt } = scavengeFloor(row, now);
        const floor = recordedRevisionFloor(minRevision, row[STREAM_ROW.lastRevision]);
        const gone = await client.query<{ removed: number }>(this.#sql.scavengeStream, [row[STREAM_ROW.streamId], minRevision, minRecordedAt, floor]);
        removed += gone.rows[0]!.removed;
      }
      return { removed };
    }));
  }

  async headPosition(): Promise<number> {
    const { rows } = await this.#query<{ last_position: number }>(this.#sql.head, []);
    return rows[0]?.last_position ?? 0;
  }

  /** One round trip: the binary search runs inside the server (position_at, migration 11). */
  async positionAt(time: Date | string): Promise<number> {
    const at = timeOf(time);
    const { rows } = await this.#query<{ position: number }>(this.#sql.positionAt, [at]);
    return rows[0]!.position;
  }

  waitForPosition(after: number, options: WaitOptions = {}): Promise<number> {
    // a closed store would otherwise open a new listening connection for this waiter
    if (this.#closed) return Promise.reject(storeClosed());
    const failed = new AbortController();
    const signal = options.signal === undefined ? failed.signal : AbortSignal.any([options.signal, failed.signal]);
    try {
      const waiting = this.#waiters.wait(after, { ...options, signal }, () => this.headPosition());
      void this.#catchUp(failed);
      return waiting;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Listens, then reads the head, so no commit can slip between the two; a failure fails the waiter. */
  async #catchUp(failed: AbortController): Promise<void> {
    try {
      await this.#listener.start();
      this.#waiters.advance(await this.headPosition());
    } catch (error) {
      failed.abort(translatePgError(error));
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    await this.#writer.close();
    this.#waiters.release(await this.headPosition().catch(() => 0));
    this.#closed = true;
    await this.#listener.stop();
    await this.#pool.end();
  }

  #delete(
    operation: string,
    stream: string,
    options: DeleteOptions,
    apply: (client: pg.PoolClient, row: StreamRow | undefined) => Promise<void>,
  ): Promise<void> {
    try {
      assertStreamName(stream);
      const expected: ExpectedRevision = options.expectedRevision === undefined ? 'any' : options.expectedRevision;
      assertExpectedRevision(expected);
      return this.#whenWritable(() => this.#writer.transaction(operation, async (client) => {
        const row = await this.#streamRow(stream, client);
        checkDelete(stream, expected, headOf(row));
        await apply(client, row);
      }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #insertStream(client: pg.PoolClient, stream: string, state: number): Promise<number> {
    const result = await client.query<{ stream_id: number }>(this.#sql.insertStream, [stream, categoryOf(stream), state]);
    return result.rows[0]!.stream_id;
  }

  async #streamRow(stream: string, client?: pg.PoolClient): Promise<StreamRow | undefined> {
    return (await this.#rows<StreamRow>(this.#sql.streamByName, [stream], client))[0];
  }

  async #rows<Row extends unknown[] = EventRow>(text: string, values: unknown[], client?: pg.PoolClient): Promise<Row[]> {
    return guarded(this.#isClosed, async () => (await (client ?? this.#pool).query<Row>({ text, values, rowMode: 'array' })).rows);
  }

  async #query<Row extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    return guarded(this.#isClosed, () => this.#pool.query<Row>(text, values));
  }

  readonly #isClosed = () => this.#closed;
}

