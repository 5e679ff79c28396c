import { RecordedEvent } from '../core/event.js';
import type { StreamInfo, StreamList, StreamMetadata, StreamSummary } from './event-store.js';
import { retentionOf, type Retention } from './retention.js';
import { STREAM_LIVE, STREAM_SOFT_DELETED, STREAM_TOMBSTONED, isAbsent, type StoredEvent, type StreamHead } from './write-rules.js';

/** The stream columns both SQL backends select, in this order. */
export const STREAM_COLUMNS =
  'stream_id, last_revision, last_position, state, deleted_before, truncate_before, max_count, max_age, custom_metadata';

/** A stream row in the column order of {@link STREAM_COLUMNS}. */
export type StreamRow = [
  streamId: number,
  lastRevision: number,
  lastPosition: number,
  state: number,
  deletedBefore: number,
  truncateBefore: number | null,
  maxCount: number | null,
  maxAge: number | null,
  customMetadata: string | null,
];

/**
 * Where each column sits in a {@link StreamRow}. Rows stay arrays (better-sqlite3's
 * `raw()`, pg's `rowMode: 'array'`): they are read on every append and every read.
 */
export const STREAM_ROW = {
  streamId: 0,
  lastRevision: 1,
  lastPosition: 2,
  state: 3,
  deletedBefore: 4,
  truncateBefore: 5,
  maxCount: 6,
  maxAge: 7,
  customMetadata: 8,
} as const;

/** The event columns both SQL backends select, in this order. */
export const EVENT_COLUMNS = 'position, id, stream, revision, type, recorded_at, metadata, data, tags';

/** {@link EVENT_COLUMNS} of the events table aliased `e`, for reads that join it. */
export const JOINED_EVENT_COLUMNS = EVENT_COLUMNS.split(', ').map((column) => `e.${column}`).join(', ');

/** An event row in the column order of {@link EVENT_COLUMNS}. */
export type EventRow = [
  position: number,
  id: string,
  stream: string,
  revision: number,
  type: string,
  recordedAt: number,
  metadata: string | null,
  data: string,
  /** JSON text of the event's tags, or null when it has none. */
  tags: string | null,
];

/** Where each column sits in an {@link EventRow}; arrays for the same reason as stream rows. */
export const EVENT_ROW = { position: 0, id: 1, stream: 2, revision: 3, type: 4, recordedAt: 5, metadata: 6, data: 7, tags: 8 } as const;

export function toRecordedEvents(rows: EventRow[]): RecordedEvent[] {
  const { id, stream, type, revision, position, data, metadata, recordedAt, tags } = EVENT_ROW;
  const events = new Array<RecordedEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    events[i] = new RecordedEvent(row[id], row[stream], row[type], row[revision], row[position], row[data], row[metadata], row[recordedAt], row[tags] ?? null);
  }
  return events;
}

/** Stored events by id, as the idempotency rules look them up. */
export function storedEventsOf(rows: Iterable<EventRow>): Map<string, StoredEvent> {
  const stored = new Map<string, StoredEvent>();
  for (const [position, id, stream, revision, type, , metadataJson, dataJson, tagsJson] of rows) {
    stored.set(id, { id, stream, revision, position, type, dataJson, metadataJson, tagsJson: tagsJson ?? null });
  }
  return stored;
}

export function headOf(row: StreamRow | undefined): StreamHead | undefined {
  return row === undefined ? undefined : { lastRevision: row[STREAM_ROW.lastRevision], state: row[STREAM_ROW.state] };
}

export function metadataOf(row: StreamRow): StreamMetadata {
  const metadata: StreamMetadata = {};
  const { truncateBefore, maxCount, maxAge, customMetadata } = STREAM_ROW;
  if (row[truncateBefore] !== null) metadata.truncateBefore = row[truncateBefore];
  if (row[maxCount] !== null) metadata.maxCount = row[maxCount];
  if (row[maxAge] !== null) metadata.maxAge = row[maxAge];
  if (row[customMetadata] !== null) metadata.custom = JSON.parse(row[customMetadata]) as Record<string, unknown>;
  return metadata;
}

export function deletedStateOf(state: number): StreamInfo['deleted'] {
  if (state === STREAM_SOFT_DELETED) return 'soft';
  if (state === STREAM_TOMBSTONED) return 'tombstone';
  return false;
}

export function summaryOf(stream: string, category: string, lastRevision: number, lastPosition: number, state: number): StreamSummary {
  return { stream, category, lastRevision, lastPosition, deleted: deletedStateOf(state) };
}

/** What `streamInfo` answers for a stream's row (or its absence). */
export function streamInfoOf(stream: string, row: StreamRow | undefined): StreamInfo {
  return {
    stream,
    exists: !isAbsent(headOf(row)) && row?.[STREAM_ROW.state] === STREAM_LIVE,
    lastRevision: row?.[STREAM_ROW.lastRevision] ?? -1,
    lastPosition: row?.[STREAM_ROW.lastPosition] ?? 0,
    deleted: deletedStateOf(row?.[STREAM_ROW.state] ?? STREAM_LIVE),
  };
}

/** A page of `listStreams` from rows of (name, category, last revision, last position, state). */
export function streamListOf(rows: [string, string, number, number, number][], limit: number): StreamList {
  const streams = rows.map((row) => summaryOf(...row));
  const last = streams[streams.length - 1];
  return { streams, next: streams.length === limit && last ? last.stream : null };
}

/** The events `scavenge` removes from a stream: everything of a tombstoned stream, else what retention hides. */
export function scavengeFloor(row: StreamRow, now: number): Retention {
  if (row[STREAM_ROW.state] === STREAM_TOMBSTONED) return { minRevision: Number.MAX_SAFE_INTEGER, minRecordedAt: 0 };
  return retentionOf(row[STREAM_ROW.lastRevision], row[STREAM_ROW.deletedBefore], metadataOf(row), now);
}
