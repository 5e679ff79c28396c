import type { Statement } from 'better-sqlite3';

import { EVENT_COLUMNS, STREAM_COLUMNS, type EventRow, type StreamRow } from '../../store/sql-rows.js';
import type { StatementSource } from './sqlite-connection.js';

type Run<P extends unknown[]> = Statement<P, unknown>;
type Rows<R> = Statement<unknown[], R>;

/** Every fixed statement of the store, prepared once per connection. */
export interface Statements {
  streamByName: Rows<StreamRow>;
  insertStream: Run<[string, string]>;
  setStreamHead: Run<[number, number, number]>;
  insertEvent: Run<[number, number, string, string, string, number, string | null, string, string | null]>;
  insertEventTag: Run<[string, number]>;
  insertEventCategories: Run<[string, number, number]>;
  eventsById: Rows<EventRow>;
  setStreamState: Run<[number, number, number]>;
  insertStreamInState: Run<[string, string, number]>;
  deleteSnapshots: Run<[string]>;
  listStreams: Rows<[string, string, number, number, number]>;
  setStreamMetadata: Run<[number | null, number | null, number | null, string | null, number]>;
  readForward: Rows<EventRow>;
  readBackward: Rows<EventRow>;
  readAll: Rows<EventRow>;
  lastRevisionAt: Rows<[number]>;
  positionAt: Statement<[{ time: number; head: number }], number>;
  lastRecordedAt: Rows<[number]>;
  head: Rows<{ seq: number }>;
  categories: Rows<{ category: string; streams: number }>;
  retainedStreams: Rows<StreamRow>;
  scavengeStream: Run<[number, number, number]>;
  scavengeStreamCategories: Run<[{ streamId: number; minRevision: number; minRecordedAt: number }]>;
  scavengeStreamTags: Run<[{ streamId: number; minRevision: number; minRecordedAt: number }]>;
  lastChange: Rows<{ last: number }>;
  markChanged: Run<[number, number]>;
  markScavenged: Run<[{ streamId: number; head: number; minRevision: number; minRecordedAt: number }]>;
}

/** The store's next stream change number, read through the partial index on `changed`; the writer is serial, so no two writes take the same. */
const NEXT_CHANGE = 'SELECT coalesce(max(changed), 0) + 1 FROM streams WHERE changed IS NOT NULL';

/**
 * positionAt's binary search over positions (src/store/position-at.ts) as one statement: each step of the
 * recursion probes the first event at or after the middle with a primary-key seek (which steps over scavenged
 * gaps) and keeps the half the time lies in. About log2(head) steps, all inside SQLite: measured three times
 * cheaper than a prepared statement per probe, whose cost is mostly the call from JavaScript.
 */
const POSITION_AT = `WITH RECURSIVE search(known, above) AS (
    SELECT 0, @head + 1
    UNION ALL
    SELECT
      CASE WHEN (SELECT recorded_at FROM events WHERE position >= known + (above - known) / 2 AND position < above ORDER BY position LIMIT 1) <= @time
        THEN (SELECT position FROM events WHERE position >= known + (above - known) / 2 ORDER BY position LIMIT 1) ELSE known END,
      CASE WHEN (SELECT recorded_at FROM events WHERE position >= known + (above - known) / 2 AND position < above ORDER BY position LIMIT 1) <= @time
        THEN above ELSE known + (above - known) / 2 END
    FROM search WHERE above - known > 1
  )
  SELECT max(known) FROM search`;

export function prepareStatements(db: StatementSource): Statements {
  const raw = <T extends unknown[]>(sql: string) => db.prepare<unknown[], T>(sql).raw(true);
  return {
    streamByName: raw<StreamRow>(`SELECT ${STREAM_COLUMNS} FROM streams WHERE name = ?`),
    insertStream: db.prepare<[string, string]>('INSERT INTO streams (name, category) VALUES (?, ?)'),
    setStreamHead: db.prepare<[number, number, number]>(
      'UPDATE streams SET last_revision = ?, last_position = ?, state = 0 WHERE stream_id = ?',
    ),
    insertEvent: db.prepare<[number, number, string, string, string, number, string | null, string, string | null]>(
      'INSERT INTO events (stream_id, revision, id, stream, type, recorded_at, metadata, data, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertEventTag: db.prepare<[string, number]>('INSERT INTO event_tags (tag, position) VALUES (?, ?)'),
    // one call per append rather than per event: an append's events hold a contiguous range of positions
    insertEventCategories: db.prepare<[string, number, number]>(
      'INSERT INTO event_categories (category, position) SELECT ?, position FROM events WHERE position >= ? AND position <= ?',
    ),
    eventsById: raw<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id IN (SELECT value FROM json_each(?))`),
    setStreamState: db.prepare<[number, number, number]>(
      'UPDATE streams SET state = ?, deleted_before = ? WHERE stream_id = ?',
    ),
    insertStreamInState: db.prepare<[string, string, number]>('INSERT INTO streams (name, category, state) VALUES (?, ?, ?)'),
    deleteSnapshots: db.prepare<[string]>('DELETE FROM tributary_snapshots WHERE stream = ?'),
    // one statement for every listing: a null category or prefix matches all
    listStreams: raw<[string, string, number, number, number]>(
      `SELECT name, category, last_revision, last_position, state FROM streams
       WHERE name > @after AND (last_revision >= 0 OR state <> 0)
         AND (@category IS NULL OR category = @category) AND (@pattern IS NULL OR name GLOB @pattern)
       ORDER BY name LIMIT @limit`,
    ),
    setStreamMetadata: db.prepare<[number | null, number | null, number | null, string | null, number]>(
      'UPDATE streams SET truncate_before = ?, max_count = ?, max_age = ?, custom_metadata = ? WHERE stream_id = ?',
    ),
    readForward: raw<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? AND revision <= ? AND recorded_at >= ? ORDER BY revision LIMIT ?`,
    ),
    readBackward: raw<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events
       WHERE stream_id = ? AND revision <= ? AND revision >= ? AND recorded_at >= ? ORDER BY revision DESC LIMIT ?`,
    ),
    readAll: raw<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`),
    // a stream's positions grow with its revisions: the walk down its index stops at the first event at or before the point
    lastRevisionAt: raw<[number]>('SELECT revision FROM events WHERE stream_id = ? AND position <= ? ORDER BY revision DESC LIMIT 1'),
    positionAt: db.prepare<[{ time: number; head: number }], number>(POSITION_AT).pluck(),
    // the time an append must not go below, read inside its write transaction, whichever process wrote last
    lastRecordedAt: raw<[number]>('SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1'),
    head: db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
    categories: db.prepare<[], { category: string; streams: number }>(
      `SELECT category, count(*) AS streams FROM streams WHERE last_revision >= 0 AND state = 0
       GROUP BY category ORDER BY category`,
    ),
    retainedStreams: raw<StreamRow>(
      `SELECT ${STREAM_COLUMNS} FROM streams
       WHERE state <> 0 OR deleted_before > 0 OR truncate_before IS NOT NULL OR max_count IS NOT NULL OR max_age IS NOT NULL`,
    ),
    scavengeStream: db.prepare<[number, number, number]>(
      'DELETE FROM events WHERE stream_id = ? AND (revision < ? OR recorded_at < ?)',
    ),
    // the same events' index rows, removed before them while they can still be found
    scavengeStreamCategories: db.prepare<[{ streamId: number; minRevision: number; minRecordedAt: number }]>(
      `DELETE FROM event_categories WHERE category = (SELECT category FROM streams WHERE stream_id = @streamId)
         AND position IN (SELECT position FROM events WHERE stream_id = @streamId AND (revision < @minRevision OR recorded_at < @minRecordedAt))`,
    ),
    scavengeStreamTags: db.prepare<[{ streamId: number; minRevision: number; minRecordedAt: number }]>(
      `DELETE FROM event_tags WHERE (tag, position) IN (
         SELECT t.value, e.position FROM events e, json_each(e.tags) t
         WHERE e.stream_id = @streamId AND e.tags IS NOT NULL AND (e.revision < @minRevision OR e.recorded_at < @minRecordedAt))`,
    ),
    lastChange: db.prepare<[], { last: number }>(`SELECT coalesce(max(changed), 0) AS last FROM streams WHERE changed IS NOT NULL`),
    // the next store-wide change number and the head it was made at: a copy applies the row there (log-copy.ts)
    markChanged: db.prepare<[number, number]>(
      `UPDATE streams SET changed = (${NEXT_CHANGE}), changed_at = ? WHERE stream_id = ?`,
    ),
    // the floors only rise: together they describe every event the scavenges so far removed
    markScavenged: db.prepare<[{ streamId: number; head: number; minRevision: number; minRecordedAt: number }]>(
      `UPDATE streams SET changed = (${NEXT_CHANGE}), changed_at = @head, scavenged_until = @head,
         scavenged_revision = max(scavenged_revision, @minRevision), scavenged_recorded_at = max(scavenged_recorded_at, @minRecordedAt)
       WHERE stream_id = @streamId`,
    ),
  };
}
