import type { AsOf } from '../core/as-of.js';
import type { AppendResult, EventData, RecordedEvent } from '../core/event.js';
import type { AppendCondition, EventQuery } from '../core/event-query.js';
import type { ExpectedRevision } from '../core/expected-revision.js';
import type { AppendManyResult, StreamAppend } from '../core/stream-appends.js';
import type { ConsumerStore } from './consumer-store.js';
import type { EventLookup } from './event-lookup.js';
import type { GatewayRecordings } from './gateway-recordings.js';
import type { LogCopySource, LogCopyTarget } from './log-copy.js';
import type { PersonalData } from './personal-data.js';
import type { SchemaRegistry } from './schema-registry.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { Branches } from './branches.js';
import type { Redaction } from './redaction.js';
import type { SqlAccess } from './sql-access.js';
import type { TokenStore } from './token-store.js';

/**
 * The store contract: what every backend (SQLite, PostgreSQL, …) provides and
 * what the contract suite in `test/contract/` proves of each. Nothing above this
 * file knows which backend it talks to.
 *
 * ```ts
 * const store = await openStore('./data/tributary.db');
 * const result = await store.append('account-12345', [{ type: 'Deposited', data: { amount: 800 } }],
 *   { expectedRevision: 1 });
 * const page = await store.readStream('account-12345');
 * ```
 */
export interface EventStore {
  /** Where the store lives, for people: a file path or a URL without credentials. */
  readonly location: string;

  /** Checkpoints, group members and parked events of the consumers reading this store. */
  readonly consumers: ConsumerStore;

  /** The HTTP server's API tokens (hashed); absent on a store that cannot keep them, such as a remote one. */
  readonly tokens?: TokenStore;

  /** The database itself, for projections that keep their tables beside the log; absent on a remote store. */
  readonly sql?: SqlAccess;

  /** Snapshots of folded stream state, for deciders that keep them; absent on a remote store. */
  readonly snapshots?: SnapshotStore;

  /** Events by id and by correlation id, through their indexes (see EventLookup). */
  readonly lookup?: EventLookup;

  /**
   * Where the gateway keeps its recorded answers, when they are not in this
   * store's own SQL database: a replay's view answers from its source's, a
   * branch from the real store's. Absent elsewhere (see `recordingsOf`).
   */
  readonly recordings?: GatewayRecordings;

  /** The store as the source of an exact copy (a mirror, a backup). */
  readonly copySource?: LogCopySource;

  /** The store as the target of an exact copy; absent on a remote store. */
  readonly copyTarget?: LogCopyTarget;

  /**
   * The schema registry, whose contracts this handle enforces on append and
   * upcasts on read. Present on stores opened with `openStore` and on remote
   * ones; absent on a bare backend handle, which writes and reads as stored.
   */
  readonly schemas?: SchemaRegistry;

  /**
   * Personal data: declared personal fields encrypted per subject on append and
   * decrypted on read, and `forget` to make a subject's values unreadable for
   * good. Present on stores opened with `openStore` on SQLite or PostgreSQL.
   */
  readonly privacy?: PersonalData;

  /**
   * Redacts events in place (see docs/corrections.md): present on the SQLite,
   * PostgreSQL and remote stores, absent on a branch. Use `redact(store, id, …)`.
   */
  readonly redaction?: Redaction;

  /**
   * The what-if branches of this store's log: create, list, describe, delete.
   * Present on stores opened with `openStore` and on remote ones.
   */
  readonly branches?: Branches;

  /**
   * A what-if timeline of this store: its reads see the real log up to the
   * branch's fork point followed by the branch's own events, and its appends go
   * to the branch, never to the real log. Operations that change real streams
   * (delete, metadata, scavenge) fail with BRANCH_UNSUPPORTED; every call on a
   * branch that does not exist fails with BRANCH_NOT_FOUND. Present where
   * `branches` is.
   *
   * ```ts
   * await store.branches!.create('late-supplier', { at: '2026-03-01T00:00:00Z' });
   * const late = store.branch!('late-supplier');
   * await late.append('order-42', [{ type: 'ShipmentDelayed', data: { days: 1 } }], { expectedRevision: 3 });
   * ```
   */
  branch?(name: string): EventStore;

  /**
   * Appends `events` to `stream` atomically: all of them or none, at contiguous
   * revisions. Events with a given id that are already stored with the same
   * content make the call an idempotent retry: it returns the original result
   * and writes nothing.
   * Errors: WRONG_EXPECTED_REVISION, STREAM_DELETED, EVENT_ID_CONFLICT,
   * INVALID_STREAM_NAME, INVALID_EVENT, INVALID_EXPECTED_REVISION, INVALID_TAG,
   * and with a condition INVALID_QUERY and APPEND_CONDITION_FAILED.
   */
  append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult>;

  /**
   * Appends to several streams atomically: every stream's events or none,
   * each stream's expected revision checked, the positions of the whole call
   * contiguous. A call whose events (all given ids) are already stored, as
   * this call would store them, is an idempotent retry: it returns the
   * original result and writes nothing.
   * Errors: those of `append`, and INVALID_APPENDS.
   *
   * ```ts
   * await store.appendMany([
   *   { stream: 'account-1', expectedRevision: 4, events: [{ type: 'Debited', data: { amount: 50, to: 'account-2' } }] },
   *   { stream: 'account-2', events: [{ type: 'Credited', data: { amount: 50, from: 'account-1' } }] },
   * ]);
   * ```
   */
  appendMany(appends: readonly StreamAppend[], options?: AppendManyOptions): Promise<AppendManyResult>;

  /** A page of one stream's events. Errors: STREAM_NOT_FOUND, STREAM_DELETED. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<StreamPage>;

  /** A page of the global log after a position, in position order, optionally filtered. */
  readAll(options?: ReadAllOptions): Promise<AllPage>;

  /** Where a stream stands; never throws for a missing stream. */
  streamInfo(stream: string): Promise<StreamInfo>;

  /** Streams in name order, a page at a time. */
  listStreams(options?: ListStreamsOptions): Promise<StreamList>;

  /** Every category with how many streams it holds. */
  listCategories(): Promise<CategorySummary[]>;

  /** A stream's metadata; an empty object when none was set. */
  getStreamMetadata(stream: string): Promise<StreamMetadata>;

  /**
   * Replaces a stream's metadata. Retention rules hide events from stream
   * reads at once; `scavenge` removes them from the log.
   */
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void>;

  /**
   * Soft delete: the stream reads as not found, and a later append starts it
   * again with its revisions continuing. Errors: STREAM_NOT_FOUND, STREAM_DELETED,
   * WRONG_EXPECTED_REVISION.
   */
  deleteStream(stream: string, options?: DeleteOptions): Promise<void>;

  /** Hard delete: every later read or write of the stream fails with STREAM_DELETED. */
  tombstoneStream(stream: string, options?: DeleteOptions): Promise<void>;

  /**
   * Physically removes events that stream metadata or deletion hide, so they
   * leave the global log too. Positions are never reused. Returns how many
   * events were removed.
   */
  scavenge(): Promise<{ removed: number }>;

  /** The position of the last event in the log; 0 when it is empty. */
  headPosition(): Promise<number>;

  /**
   * The position of the last event recorded at or before `time`; 0 when the
   * log holds none that old. A lookup, not a scan: recorded times never
   * decrease with position (see docs/time-travel.md). Errors: INVALID_AS_OF.
   */
  positionAt(time: Date | string): Promise<number>;

  /**
   * Resolves with the head position as soon as it is beyond `after` —
   * appended by this handle, another handle or another process — without
   * polling. After `timeoutMs` it resolves with the head as it is then, which
   * may still be `after` or less. Aborting `signal` rejects with its reason.
   *
   * ```ts
   * const head = await store.waitForPosition(lastSeen, { timeoutMs: 30_000 });
   * ```
   */
  waitForPosition(after: number, options?: WaitOptions): Promise<number>;

  /** Finishes in-flight appends, then releases the database. */
  close(): Promise<void>;
}

export interface WaitOptions {
  /** Give up after this long; default 60,000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AppendOptions {
  /** Defaults to `'any'`. */
  expectedRevision?: ExpectedRevision;
  /** Write only if no event matching the condition's query was appended after its position. */
  condition?: AppendCondition;
}

export interface AppendManyOptions {
  /** Write only if no event matching the condition's query was appended after its position. */
  condition?: AppendCondition;
}

export interface DeleteOptions {
  /** Defaults to `'any'`. */
  expectedRevision?: ExpectedRevision;
}

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Forward default 0; backward default the last revision. */
  from?: number;
  /** Most events to return; default 100, at most 10,000. */
  limit?: number;
  direction?: 'forward' | 'backward';
  /** True: events as stored, without upcasting to their type's latest schema version. */
  raw?: boolean;
  /**
   * Read as the log stood at this point: a position (1 up to the head), or a
   * time standing for the last position recorded at or before it. Only events
   * at or before that position are returned; a stream that had no event by
   * then is STREAM_NOT_FOUND. Errors: INVALID_AS_OF.
   */
  asOf?: AsOf;
}

export interface StreamPage {
  events: RecordedEvent[];
  /** The `from` of the next page, or null when this page reached the end. */
  next: number | null;
}

/** Which events of the global log a read or subscription wants. Empty lists mean no filter. */
export interface LogFilter {
  /** Categories (the part of a stream name before the first `-`). */
  categories?: readonly string[];
  /** Event types. */
  types?: readonly string[];
  /** Streams whose name starts with this text. */
  streamPrefix?: string;
  /** Tags an event must all carry; read through the tag index, at the cost of the events that carry the first. */
  tags?: readonly string[];
}

export interface ReadAllOptions extends LogFilter {
  /** Read events after this position; 0 (the default) reads from the beginning. */
  after?: number;
  /** Most events to return; default 100, at most 10,000. */
  limit?: number;
  /**
   * Events matching any item of this query (see EventQuery); combined only
   * with `categories`, which every match must also be in. What a decision across streams reads.
   */
  query?: EventQuery;
  /** True: events as stored, without upcasting to their type's latest schema version. */
  raw?: boolean;
  /** Read as the log stood at this point (see ReadStreamOptions.asOf): `next` is null once the page reaches it. */
  asOf?: AsOf;
}

export interface AllPage {
  events: RecordedEvent[];
  /**
   * The `after` of the next page, or null when this page reached the head of
   * the log. A filtered read scans a bounded window per call, so a page can be
   * empty with a non-null `next`.
   */
  next: number | null;
}

export interface StreamInfo {
  stream: string;
  /** True when the stream can be read: it has events and is not deleted. */
  exists: boolean;
  /** Revision of the last event ever written, or -1. */
  lastRevision: number;
  /** Position of the last event ever written, or 0. */
  lastPosition: number;
  deleted: false | 'soft' | 'tombstone';
}

export interface StreamMetadata {
  /** Keep only the newest `maxCount` events readable. */
  maxCount?: number;
  /** Keep only events younger than `maxAge` seconds readable. */
  maxAge?: number;
  /** Hide events with a revision below this one. */
  truncateBefore?: number;
  /** Application metadata, stored as given. */
  custom?: Record<string, unknown>;
}

export interface ListStreamsOptions {
  /** Only streams whose name starts with this text. */
  prefix?: string;
  category?: string;
  /** Start after this stream name (the `next` of the previous page). */
  after?: string;
  /** Default 100, at most 10,000. */
  limit?: number;
}

export interface StreamSummary {
  stream: string;
  category: string;
  lastRevision: number;
  lastPosition: number;
  deleted: false | 'soft' | 'tombstone';
}

export interface StreamList {
  streams: StreamSummary[];
  /** The `after` of the next page, or null. */
  next: string | null;
}

export interface CategorySummary {
  category: string;
  streams: number;
}
