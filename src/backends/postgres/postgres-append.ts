import { escapeLiteral, type PoolClient } from 'pg';
import { TributaryError } from '../../core/errors.js';
import { RecordedEvent, type AppendResult } from '../../core/event.js';
import { appendConditionFailed, matchesQuery, type CheckedCondition } from '../../core/event-query.js';
import type { AppendCall } from '../../store/append-calls.js';
import { categoryOf } from '../../core/stream-name.js';
import { storedEventsOf, type EventRow } from '../../store/sql-rows.js';
import { STREAM_LIVE, planParts, type StoredEvent, type StreamHead } from '../../store/write-rules.js';
import { conflictsRead } from './postgres-read.js';
import type { Statements } from './postgres-statements.js';

/** One call of the group: the streams it writes, all or none, and its condition. */
export type AppendRequest = Pick<AppendCall, 'parts' | 'condition'>;

export type Outcome = { ok: true; value: AppendResult[] } | { ok: false; error: unknown };

interface Head extends StreamHead {
  lastPosition: number;
  /** False for a stream this group creates. */
  exists: boolean;
}

/** An event this group stages, as a later request's condition must see it. */
interface Staged {
  position: number;
  stream: string;
  type: string;
  tags: readonly string[];
}

/**
 * Appends a group of requests in one transaction, holding the log_head row
 * lock from its first statement to the commit, in three round trips (four
 * when a request has a condition): lock and read what the rules need; find
 * what the conditions forbid; write everything; commit. The path for groups
 * with inline hooks, which run inside the transaction, and for groups the
 * one-call path (postgres-append-call.ts) hands back. The rules are applied
 * to every request in order against that state and what the group's earlier
 * requests staged, so a refused request writes nothing and never fails its
 * neighbours. Events are stamped `recordedAt`, or the log's last recorded
 * time when the clock is behind it. Returns one outcome per request; throws (after rolling back)
 * only when the database itself fails.
 */
export async function appendGroup(
  client: PoolClient,
  sql: Statements,
  schema: string,
  requests: readonly AppendRequest[],
  recordedAt: number,
  channel: string,
  inline?: (events: readonly RecordedEvent[], client: PoolClient) => Promise<void>,
): Promise<Outcome[]> {
  const parts = requests.flatMap((request) => request.parts);
  const names = [...new Set(parts.map((part) => part.stream))];
  const ids = parts.flatMap((part) => part.events.filter((event) => event.idGiven).map((event) => event.id));
  // one simple-protocol round trip; the reads run after the lock is held, so they see every earlier commit
  const [, locked, read] = (await client.query(
    `BEGIN; ${sql.lockHead}; ${sql.groupState(literalArray(names, 'text'), literalArray(ids, 'uuid'))}`,
  )) as unknown as [unknown, { rows: { last_position: number }[] }, { rows: { streams: unknown[][]; events: EventRow[]; last_recorded: number | null }[] }];
  try {
    const firstPosition = locked.rows[0]!.last_position;
    const { streams, events, last_recorded: lastRecorded } = read.rows[0]!;
    // never before the log's last event, read under the lock: recorded times never decrease with position
    const stamped = lastRecorded === null ? recordedAt : Math.max(recordedAt, lastRecorded);
    const heads = new Map<string, Head>();
    for (const [name, lastRevision, lastPosition, state] of streams as [string, number, number, number][]) {
      heads.set(name, { lastRevision, lastPosition, state, exists: true });
    }
    const stored = storedEventsOf(events);
    const conflicts = await committedConflicts(client, schema, requests);

    let position = firstPosition;
    const columns: unknown[][] = [[], [], [], [], [], [], [], []];
    const categories: string[] = [];
    const tagNames: string[] = [];
    const tagPositions: number[] = [];
    const staged: Staged[] = [];
    const outcomes = requests.map(({ parts: requestParts, condition }, request): Outcome => {
      try {
        const plan = planParts(requestParts, (stream) => heads.get(stream), (wanted) => pick(stored, wanted));
        if ('retry' in plan) return { ok: true, value: plan.retry };
        if (condition !== undefined) {
          const found = [...conflicts.get(request)!, ...stagedConflicts(staged, condition)];
          if (found.length > 0) throw appendConditionFailed(condition, found);
        }
        const results = requestParts.map(({ stream, events: proposed }, index) => {
          let revision = plan.firstRevisions[index]! - 1;
          const appended = proposed.map((event) => {
            revision++;
            position++;
            const row = [position, revision, event.id, stream, event.type, event.metadataJson, event.dataJson, event.tagsJson];
            for (let column = 0; column < 8; column++) columns[column]!.push(row[column]);
            categories.push(categoryOf(stream));
            for (const tag of event.tags) {
              tagNames.push(tag);
              tagPositions.push(position);
            }
            staged.push({ position, stream, type: event.type, tags: event.tags });
            stored.set(event.id, {
              id: event.id, stream, revision, position, type: event.type, dataJson: event.dataJson, metadataJson: event.metadataJson, tagsJson: event.tagsJson,
            });
            return { id: event.id, revision, position };
          });
          const head = heads.get(stream);
          heads.set(stream, { lastRevision: revision, lastPosition: position, state: STREAM_LIVE, exists: head?.exists ?? false });
          return { stream, nextExpectedRevision: revision, position, events: appended };
        });
        return { ok: true, value: results };
      } catch (error) {
        return { ok: false, error };
      }
    });

    const rows = columns[0]!.length;
    if (rows > 0) {
      const touched = [...heads.entries()].filter(([, head]) => head.lastPosition > firstPosition);
      const created = touched.filter(([, head]) => !head.exists);
      const updated = touched.filter(([, head]) => head.exists);
      const [positions, revisions, eventIds, eventStreams, types, metadata, data, tags] = columns;
      const values = [
        created.map(([name]) => name),
        created.map(([name]) => categoryOf(name)),
        created.map(([, head]) => head.lastRevision),
        created.map(([, head]) => head.lastPosition),
        updated.map(([name]) => name),
        updated.map(([, head]) => head.lastRevision),
        updated.map(([, head]) => head.lastPosition),
        position,
        channel,
        stamped,
        positions, revisions, eventIds, eventStreams, types, metadata, data,
        categories,
        tags,
        tagNames,
        tagPositions,
      ];
      const written = await client.query<{ inserted: number }>({
        name: `tributary-write-group-${channel}`,
        text: sql.writeGroup,
        values,
      });
      const inserted = written.rows[0]!.inserted;
      if (inserted !== rows) {
        // the group's streams changed between its read under the head lock and its insert: a bug, or another writer in the schema
        throw new TributaryError('INTERNAL_ERROR', `an append group inserted ${inserted} of its ${rows} events; it is rolled back`, { inserted, events: rows });
      }
      if (inline !== undefined) await inline(recordedEventsOf(columns, stamped), client);
    }
    await client.query('COMMIT');
    return outcomes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Each conditional request's conflicts among committed events, read under the lock in one statement; none when no request has a condition. */
async function committedConflicts(client: PoolClient, schema: string, requests: readonly AppendRequest[]): Promise<Map<number, number[]>> {
  const conditional = requests.flatMap((request, index) => (request.condition === undefined ? [] : [{ index, condition: request.condition }]));
  const found = new Map<number, number[]>();
  if (conditional.length === 0) return found;
  const { text, values } = conflictsRead(schema, conditional.map((entry) => entry.condition));
  const { rows } = await client.query<Record<string, (number | string)[]>>(text, values);
  conditional.forEach((entry, column) => found.set(entry.index, rows[0]![`c${column}`]!.map(Number)));
  return found;
}

/** The events staged by the group's earlier requests that a condition forbids. */
function stagedConflicts(staged: readonly Staged[], condition: CheckedCondition): number[] {
  const { items, after, categories } = condition;
  return staged
    .filter((event) => event.position > after && (categories === undefined || categories.includes(categoryOf(event.stream))) && matchesQuery(items, event.type, event.tags))
    .map((event) => event.position);
}

/** The rows an append group wrote, column by column, as the events readers will see. */
function recordedEventsOf(columns: unknown[][], recordedAt: number): RecordedEvent[] {
  const [positions, revisions, ids, streams, types, metadata, data, tags] = columns as [
    number[], number[], string[], string[], string[], (string | null)[], string[], (string | null)[],
  ];
  return positions.map((position, i) => new RecordedEvent(ids[i]!, streams[i]!, types[i]!, revisions[i]!, position, data[i]!, metadata[i]!, recordedAt, tags[i]));
}

function pick(stored: ReadonlyMap<string, StoredEvent>, ids: string[]): Map<string, StoredEvent> {
  const found = new Map<string, StoredEvent>();
  for (const id of ids) {
    const event = stored.get(id);
    if (event !== undefined) found.set(id, event);
  }
  return found;
}

/** An array literal for the simple protocol, every element escaped. */
function literalArray(items: readonly string[], type: 'text' | 'uuid'): string {
  return `ARRAY[${items.map(escapeLiteral).join(', ')}]::${type}[]`;
}
