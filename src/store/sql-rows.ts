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

/** The event columns both SQL backends select, in this order. */
export const EVENT_COLUMNS = 'position, id, stream, revision, type, recorded_at, metadata, data';

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
];

export function toRecordedEvents(rows: EventRow[]): RecordedEvent[] {
  const events = new Array<RecordedEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    events[i] = new RecordedEvent(row[1], row[2], row[4], row[3], row[0], row[7], row[6], row[5]);
  }
  return events;
}

/** Stored events by id, as the idempotency rules look them up. */
export function storedEventsOf(rows: Iterable<EventRow>): Map<string, StoredEvent> {
  const stored = new Map<string, StoredEvent>();
  for (const [position, id, stream, revision, type, , metadataJson, dataJson] of rows) {
    stored.set(id, { id, stream, revision, position, type, dataJson, metadataJson });
  }
  return stored;
}

export function headOf(row: StreamRow | undefined): StreamHead | undefined {
  return row === undefined ? undefined : { lastRevision: row[1], state: row[3] };
}

export function metadataOf(row: StreamRow): StreamMetadata {
  const metadata: StreamMetadata = {};
  if (row[5] !== null) metadata.truncateBefore = row[5];
  if (row[6] !== null) metadata.maxCount = row[6];
  if (row[7] !== null) metadata.maxAge = row[7];
  if (row[8] !== null) metadata.custom = JSON.parse(row[8]) as Record<string, unknown>;
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
    exists: !isAbsent(headOf(row)) && row?.[3] === STREAM_LIVE,
    lastRevision: row?.[1] ?? -1,
    lastPosition: row?.[2] ?? 0,
    deleted: deletedStateOf(row?.[3] ?? STREAM_LIVE),
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
  if (row[3] === STREAM_TOMBSTONED) return { minRevision: Number.MAX_SAFE_INTEGER, minRecordedAt: 0 };
  return retentionOf(row[1], row[4], metadataOf(row), now);
}
