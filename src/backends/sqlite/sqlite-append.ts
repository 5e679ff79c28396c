import type { AppendResult } from '../../core/event.js';
import type { ProposedEvent } from '../../core/proposed-event.js';
import { checkExpectedRevision, type ExpectedRevision } from '../../core/expected-revision.js';
import { TributaryError, streamDeleted } from '../../core/errors.js';
import { categoryOf } from '../../core/stream-name.js';
import { STREAM_SOFT_DELETED, STREAM_TOMBSTONED } from './sqlite-schema.js';
import type { EventRow, Statements, StreamRow } from './sqlite-statements.js';

/**
 * The body of one append, run inside a group transaction: tombstone check,
 * idempotent-retry check, expected revision, then the inserts.
 */
export function appendInTransaction(
  statements: Statements,
  stream: string,
  events: readonly ProposedEvent[],
  expected: ExpectedRevision,
  recordedAt: number,
): AppendResult {
  const row = statements.streamByName.get(stream);
  if (row !== undefined && row[3] === STREAM_TOMBSTONED) throw streamDeleted(stream);
  if (events.some((event) => event.idGiven)) {
    const original = findOriginalAppend(statements, stream, events);
    if (original !== undefined) return original;
  }
  const lastRevision = row?.[1] ?? -1;
  checkExpectedRevision(stream, expected, { lastRevision, absent: isAbsent(row) });

  const streamId = row?.[0] ?? Number(statements.insertStream.run(stream, categoryOf(stream)).lastInsertRowid);
  const appended = new Array<{ id: string; revision: number; position: number }>(events.length);
  let revision = lastRevision;
  let position = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    revision++;
    position = Number(
      statements.insertEvent.run(
        streamId,
        revision,
        event.id,
        stream,
        event.type,
        recordedAt,
        event.metadataJson,
        event.dataJson,
      ).lastInsertRowid,
    );
    appended[i] = { id: event.id, revision, position };
  }
  statements.setStreamHead.run(revision, position, streamId);
  return { stream, nextExpectedRevision: revision, position, events: appended };
}

/** True when the stream has no readable head: never written, or soft-deleted. */
export function isAbsent(row: StreamRow | undefined): boolean {
  return row === undefined || row[1] < 0 || row[3] === STREAM_SOFT_DELETED;
}

/**
 * When every event of the batch is already stored, with the same content, at
 * consecutive revisions of this stream, the append is a retry: the original
 * result. When none is stored: undefined. Anything in between is a conflict.
 */
function findOriginalAppend(
  statements: Statements,
  stream: string,
  events: readonly ProposedEvent[],
): AppendResult | undefined {
  const ids = events.filter((event) => event.idGiven).map((event) => event.id);
  const stored = new Map<string, EventRow>();
  for (const row of statements.eventsById.all(JSON.stringify(ids))) stored.set(row[1], row);
  if (stored.size === 0) return undefined;

  const appended = events.map((event, index) => {
    const row = stored.get(event.id);
    if (row === undefined) {
      throw idConflict(stream, event.id, 'the batch mixes new events with events already stored');
    }
    if (row[2] !== stream) throw idConflict(stream, event.id, `it is stored in stream ${JSON.stringify(row[2])}`);
    if (row[4] !== event.type || row[7] !== event.dataJson || row[6] !== event.metadataJson) {
      throw idConflict(stream, event.id, 'it is stored with different content');
    }
    const first = stored.get(events[0]!.id)!;
    if (row[3] !== first[3] + index) {
      throw idConflict(stream, event.id, 'the stored events are not in the order of this batch');
    }
    return { id: event.id, revision: row[3], position: row[0] };
  });
  const last = appended[appended.length - 1]!;
  return { stream, nextExpectedRevision: last.revision, position: last.position, events: appended };
}

function idConflict(stream: string, id: string, reason: string): TributaryError {
  return new TributaryError('EVENT_ID_CONFLICT', `event id ${id} cannot be appended to ${JSON.stringify(stream)}: ${reason}`, {
    stream,
    id,
    reason,
  });
}
