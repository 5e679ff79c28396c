import { appendConditionFailed, type CheckedCondition } from '../../core/event-query.js';
import type { AppendResult } from '../../core/event.js';
import type { PreparedAppend } from '../../core/stream-appends.js';
import { categoryOf } from '../../core/stream-name.js';
import type { AppendCall } from '../../store/append-calls.js';
import { STREAM_ROW, headOf, storedEventsOf } from '../../store/sql-rows.js';
import { planParts } from '../../store/write-rules.js';
import type { Statements } from './sqlite-statements.js';

/** Positions of events matching a condition's query after its position, inside the write transaction. */
export type ConflictFinder = (condition: CheckedCondition) => number[];

/**
 * The body of one call (one stream, or several at once), run inside a group
 * transaction's savepoint: the shared rules decide every part, the condition
 * is checked against everything committed and written before it in the
 * transaction, then the inserts. A throw leaves nothing of the call.
 */
export function appendInTransaction(statements: Statements, { parts, condition }: AppendCall, conflicts: ConflictFinder, recordedAt: number): AppendResult[] {
  const rows = parts.map((part) => statements.streamByName.get(part.stream));
  const plan = planParts(
    parts,
    (stream) => headOf(rows[parts.findIndex((part) => part.stream === stream)]),
    (ids) => storedEventsOf(statements.eventsById.all(JSON.stringify(ids))),
  );
  if ('retry' in plan) return plan.retry;
  if (condition !== undefined) {
    const found = conflicts(condition);
    if (found.length > 0) throw appendConditionFailed(condition, found);
  }
  return parts.map((part, index) => writePart(statements, part, rows[index], plan.firstRevisions[index]!, recordedAt));
}

function writePart(
  statements: Statements,
  { stream, events }: PreparedAppend,
  row: ReturnType<Statements['streamByName']['get']>,
  firstRevision: number,
  recordedAt: number,
): AppendResult {
  const category = categoryOf(stream);
  const streamId = row?.[STREAM_ROW.streamId] ?? Number(statements.insertStream.run(stream, category).lastInsertRowid);
  const appended = new Array<{ id: string; revision: number; position: number }>(events.length);
  let revision = firstRevision - 1;
  let position = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    revision++;
    position = Number(
      statements.insertEvent.run(streamId, revision, event.id, stream, event.type, recordedAt, event.metadataJson, event.dataJson, event.tagsJson)
        .lastInsertRowid,
    );
    for (const tag of event.tags) statements.insertEventTag.run(tag, position);
    appended[i] = { id: event.id, revision, position };
  }
  statements.insertEventCategories.run(category, appended[0]!.position, position);
  statements.setStreamHead.run(revision, position, streamId);
  return { stream, nextExpectedRevision: revision, position, events: appended };
}
