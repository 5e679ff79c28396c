import type { PoolClient } from 'pg';
import type { AppendResult } from '../../core/event.js';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import type { ProposedEvent } from '../../core/proposed-event.js';
import { categoryOf } from '../../core/stream-name.js';
import { STREAM_LIVE, planAppend, type StoredEvent, type StreamHead } from '../../store/write-rules.js';
import type { EventRow, StreamRow } from '../../store/sql-rows.js';
import { INSERT_CHUNK, type Statements } from './postgres-statements.js';

export interface AppendRequest {
  stream: string;
  events: readonly ProposedEvent[];
  expected: ExpectedRevision;
}

export type Outcome = { ok: true; value: AppendResult } | { ok: false; error: unknown };

interface Head extends StreamHead {
  streamId: number | undefined;
  lastPosition: number;
}

/**
 * Appends a group of requests in one transaction, holding the log_head row
 * lock from the first statement to the commit. The rules are applied to every
 * request in order against state loaded in bulk, so a refused request writes
 * nothing and never fails its neighbours; then all accepted events go in with
 * a few multi-row statements. Returns one outcome per request; throws (after
 * rolling back) only when the database itself fails.
 */
export async function appendGroup(
  client: PoolClient,
  sql: Statements,
  requests: readonly AppendRequest[],
  recordedAt: number,
  channel: string,
): Promise<Outcome[]> {
  await client.query('BEGIN');
  try {
    const headRows = await client.query<[number]>({ text: sql.lockHead, rowMode: 'array' });
    let position = headRows.rows[0]![0];
    const heads = await loadHeads(client, sql, requests);
    const stored = await loadStored(client, sql, requests);

    const rows: unknown[] = [];
    const outcomes = requests.map(({ stream, events, expected }): Outcome => {
      try {
        const head = heads.get(stream);
        const plan = planAppend(stream, events, expected, head, (ids) => pick(stored, ids));
        if ('retry' in plan) return { ok: true, value: plan.retry };
        let revision = plan.firstRevision - 1;
        const appended = events.map((event) => {
          revision++;
          position++;
          rows.push(position, stream, revision, event.id, stream, event.type, recordedAt, event.metadataJson, event.dataJson);
          stored.set(event.id, { id: event.id, stream, revision, position, type: event.type, dataJson: event.dataJson, metadataJson: event.metadataJson });
          return { id: event.id, revision, position };
        });
        heads.set(stream, { streamId: head?.streamId, lastRevision: revision, lastPosition: position, state: STREAM_LIVE });
        return { ok: true, value: { stream, nextExpectedRevision: revision, position, events: appended } };
      } catch (error) {
        return { ok: false, error };
      }
    });

    if (rows.length > 0) {
      await createStreams(client, sql, heads);
      // the stream column of each row held its name: put the stream id in its place
      for (let i = 1; i < rows.length; i += 9) rows[i] = heads.get(rows[i] as string)!.streamId;
      for (let start = 0; start < rows.length; start += INSERT_CHUNK * 9) {
        const chunk = rows.slice(start, start + INSERT_CHUNK * 9);
        await client.query(sql.insertEvents(chunk.length / 9), chunk);
      }
      const touched = [...heads.values()].filter((head) => head.lastPosition > headRows.rows[0]![0]);
      await client.query(sql.setStreamHeads, [touched.map((h) => h.streamId), touched.map((h) => h.lastRevision), touched.map((h) => h.lastPosition)]);
      await client.query(sql.setHead, [position]);
      await client.query('SELECT pg_notify($1, $2)', [channel, String(position)]);
    }
    await client.query('COMMIT');
    return outcomes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function loadHeads(client: PoolClient, sql: Statements, requests: readonly AppendRequest[]): Promise<Map<string, Head>> {
  const names = [...new Set(requests.map((request) => request.stream))];
  const result = await client.query<[string, ...StreamRow]>({ text: sql.streamsByName, values: [names], rowMode: 'array' });
  const heads = new Map<string, Head>();
  for (const [name, streamId, lastRevision, lastPosition, state] of result.rows) {
    heads.set(name, { streamId, lastRevision, lastPosition, state });
  }
  return heads;
}

async function loadStored(client: PoolClient, sql: Statements, requests: readonly AppendRequest[]): Promise<Map<string, StoredEvent>> {
  const ids = requests.flatMap((request) => request.events.filter((event) => event.idGiven).map((event) => event.id));
  const stored = new Map<string, StoredEvent>();
  if (ids.length === 0) return stored;
  const result = await client.query<EventRow>({ text: sql.eventsById, values: [ids], rowMode: 'array' });
  for (const [position, id, stream, revision, type, , metadataJson, dataJson] of result.rows) {
    stored.set(id, { id, stream, revision, position, type, dataJson, metadataJson });
  }
  return stored;
}

function pick(stored: ReadonlyMap<string, StoredEvent>, ids: string[]): Map<string, StoredEvent> {
  const found = new Map<string, StoredEvent>();
  for (const id of ids) {
    const event = stored.get(id);
    if (event !== undefined) found.set(id, event);
  }
  return found;
}

/** Inserts the streams this group writes first, and records their ids in `heads`. */
async function createStreams(client: PoolClient, sql: Statements, heads: Map<string, Head>): Promise<void> {
  const created = [...heads.entries()].filter(([, head]) => head.streamId === undefined).map(([name]) => name);
  if (created.length === 0) return;
  const result = await client.query<[string, number]>({
    text: sql.insertStreams,
    values: [created, created.map(categoryOf)],
    rowMode: 'array',
  });
  for (const [name, streamId] of result.rows) heads.get(name)!.streamId = streamId;
}
