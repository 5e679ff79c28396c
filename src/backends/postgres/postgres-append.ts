import { escapeLiteral, type PoolClient } from 'pg';
import { TributaryError } from '../../core/errors.js';
import { RecordedEvent, type AppendResult } from '../../core/event.js';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import type { ProposedEvent } from '../../core/proposed-event.js';
import { categoryOf } from '../../core/stream-name.js';
import { storedEventsOf, type EventRow } from '../../store/sql-rows.js';
import { STREAM_LIVE, planAppend, type StoredEvent, type StreamHead } from '../../store/write-rules.js';
import type { Statements } from './postgres-statements.js';

export interface AppendRequest {
  stream: string;
  events: readonly ProposedEvent[];
  expected: ExpectedRevision;
}

export type Outcome = { ok: true; value: AppendResult } | { ok: false; error: unknown };

interface Head extends StreamHead {
  lastPosition: number;
  /** False for a stream this group creates. */
  exists: boolean;
}

/**
 * Appends a group of requests in one transaction, holding the log_head row
 * lock from its first statement to the commit, in three round trips:
 * lock and read what the rules need; write everything; commit. The path for
 * groups with inline hooks, which run inside the transaction, and for groups
 * the one-call path (postgres-append-call.ts) hands back. The rules are
 * applied to every request in order against that state, so a refused request
 * writes nothing and never fails its neighbours. Returns one outcome per
 * request; throws (after rolling back) only when the database itself fails.
 */
export async function appendGroup(
  client: PoolClient,
  sql: Statements,
  requests: readonly AppendRequest[],
  recordedAt: number,
  channel: string,
  inline?: (events: readonly RecordedEvent[], client: PoolClient) => Promise<void>,
): Promise<Outcome[]> {
  const names = [...new Set(requests.map((request) => request.stream))];
  const ids = requests.flatMap((request) => request.events.filter((event) => event.idGiven).map((event) => event.id));
  // one simple-protocol round trip; the reads run after the lock is held, so they see every earlier commit
  const [, locked, read] = (await client.query(
    `BEGIN; ${sql.lockHead}; ${sql.groupState(literalArray(names, 'text'), literalArray(ids, 'uuid'))}`,
  )) as unknown as [unknown, { rows: { last_position: number }[] }, { rows: { streams: unknown[][]; events: EventRow[] }[] }];
  try {
    const firstPosition = locked.rows[0]!.last_position;
    const { streams, events } = read.rows[0]!;
    const heads = new Map<string, Head>();
    for (const [name, lastRevision, lastPosition, state] of streams as [string, number, number, number][]) {
      heads.set(name, { lastRevision, lastPosition, state, exists: true });
    }
    const stored = storedEventsOf(events);

    let position = firstPosition;
    const columns: unknown[][] = [[], [], [], [], [], [], []];
    const categories: string[] = [];
    const outcomes = requests.map(({ stream, events: proposed, expected }): Outcome => {
      try {
        const head = heads.get(stream);
        const plan = planAppend(stream, proposed, expected, head, (wanted) => pick(stored, wanted));
        if ('retry' in plan) return { ok: true, value: plan.retry };
        let revision = plan.firstRevision - 1;
        const appended = proposed.map((event) => {
          revision++;
          position++;
          const row = [position, revision, event.id, stream, event.type, event.metadataJson, event.dataJson];
          for (let column = 0; column < 7; column++) columns[column]!.push(row[column]);
          categories.push(categoryOf(stream));
          stored.set(event.id, { id: event.id, stream, revision, position, type: event.type, dataJson: event.dataJson, metadataJson: event.metadataJson, tagsJson: event.tagsJson });
          return { id: event.id, revision, position };
        });
        heads.set(stream, { lastRevision: revision, lastPosition: position, state: STREAM_LIVE, exists: head?.exists ?? false });
        return { ok: true, value: { stream, nextExpectedRevision: revision, position, events: appended } };
      } catch (error) {
        return { ok: false, error };
      }
    });

    const rows = columns[0]!.length;
    if (rows > 0) {
      const touched = [...heads.entries()].filter(([, head]) => head.lastPosition > firstPosition);
      const created = touched.filter(([, head]) => !head.exists);
      const updated = touched.filter(([, head]) => head.exists);
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
        recordedAt,
      ];
      const written = await client.query<{ inserted: number }>({
        name: `tributary-write-group-${channel}`,
        text: sql.writeGroup,
        values: [...values, ...columns, categories],
      });
      const inserted = written.rows[0]!.inserted;
      if (inserted !== rows) {
        // the group's streams changed between its read under the head lock and its insert: a bug, or another writer in the schema
        throw new TributaryError('INTERNAL_ERROR', `an append group inserted ${inserted} of its ${rows} events; it is rolled back`, { inserted, events: rows });
      }
      if (inline !== undefined) await inline(recordedEventsOf(columns, recordedAt), client);
    }
    await client.query('COMMIT');
    return outcomes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The rows an append group wrote, column by column, as the events readers will see. */
function recordedEventsOf(columns: unknown[][], recordedAt: number): RecordedEvent[] {
  const [positions, revisions, ids, streams, types, metadata, data] = columns as [number[], number[], string[], string[], string[], (string | null)[], string[]];
  return positions.map((position, i) => new RecordedEvent(ids[i]!, streams[i]!, types[i]!, revisions[i]!, position, data[i]!, metadata[i]!, recordedAt));
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
