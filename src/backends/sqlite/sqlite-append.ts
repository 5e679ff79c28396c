import type { AppendResult } from '../../core/event.js';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import type { ProposedEvent } from '../../core/proposed-event.js';
import { categoryOf } from '../../core/stream-name.js';
import { STREAM_ROW, headOf, storedEventsOf } from '../../store/sql-rows.js';
import { planAppend } from '../../store/write-rules.js';
import type { Statements } from './sqlite-statements.js';

/** The body of one append, run inside a group transaction: the shared rules decide, then the inserts. */
export function appendInTransaction(
  statements: Statements,
  stream: string,
  events: readonly ProposedEvent[],
  expected: ExpectedRevision,
  recordedAt: number,
): AppendResult {
  const row = statements.streamByName.get(stream);
  const plan = planAppend(stream, events, expected, headOf(row), (ids) => storedEventsOf(statements.eventsById.all(JSON.stringify(ids))));
  if ('retry' in plan) return plan.retry;

  const category = categoryOf(stream);
  const streamId = row?.[STREAM_ROW.streamId] ?? Number(statements.insertStream.run(stream, category).lastInsertRowid);
  const appended = new Array<{ id: string; revision: number; position: number }>(events.length);
  let revision = plan.firstRevision - 1;
  let position = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    revision++;
    position = Number(
      statements.insertEvent.run(streamId, revision, event.id, stream, event.type, recordedAt, event.metadataJson, event.dataJson)
        .lastInsertRowid,
    );
    appended[i] = { id: event.id, revision, position };
  }
  statements.insertEventCategories.run(category, appended[0]!.position, position);
  statements.setStreamHead.run(revision, position, streamId);
  return { stream, nextExpectedRevision: revision, position, events: appended };
}
