import type { PoolClient } from 'pg';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import { categoryOf } from '../../core/stream-name.js';
import type { AppendRequest, Outcome } from './postgres-append.js';

// how the append_group function reads an expected revision (postgres-schema.ts, migration 7)
const EXPECTATION = { any: -1, no_stream: -2, stream_exists: -3 } as const;

/**
 * Appends a group in one round trip: one call of the append_group function,
 * which commits on its own. Returns undefined, having written nothing, when
 * the function finds a request the rules must decide (a given id already
 * stored, a deleted stream, an expected revision that does not hold): the
 * caller then decides the group in a transaction of its own. A group that
 * gives one id twice goes there without calling, as its second use is a retry
 * or a conflict only the rules tell apart.
 */
export async function appendGroupInOneCall(
  client: PoolClient,
  statement: { name: string; text: string },
  requests: readonly AppendRequest[],
  recordedAt: number,
  channel: string,
): Promise<Outcome[] | undefined> {
  const given: string[] = [];
  const eventRequests: number[] = [];
  const ids: string[] = [];
  const types: string[] = [];
  const metadata: (string | null)[] = [];
  const data: string[] = [];
  requests.forEach(({ events }, request) => {
    for (const event of events) {
      if (event.idGiven) given.push(event.id);
      eventRequests.push(request + 1);
      ids.push(event.id);
      types.push(event.type);
      metadata.push(event.metadataJson);
      data.push(event.dataJson);
    }
  });
  if (new Set(given).size !== given.length) return undefined;
  const { rows } = await client.query<{ result: string[] | null }>({
    ...statement,
    values: [
      requests.map((request) => request.stream),
      requests.map((request) => categoryOf(request.stream)),
      requests.map((request) => expectation(request.expected)),
      requests.map((request) => request.events.length),
      given,
      eventRequests,
      ids,
      types,
      metadata,
      data,
      recordedAt,
      channel,
    ],
  });
  const result = rows[0]!.result;
  if (result === null) return undefined;
  // bigint arrays arrive as text; positions and revisions stay far below 2^53
  const [head, ...befores] = result.map(Number);
  let position = head!;
  return requests.map(({ stream, events }, request): Outcome => {
    let revision = befores[request]!;
    const appended = events.map((event) => ({ id: event.id, revision: ++revision, position: ++position }));
    return { ok: true, value: { stream, nextExpectedRevision: revision, position, events: appended } };
  });
}

function expectation(expected: ExpectedRevision): number {
  return typeof expected === 'number' ? expected : EXPECTATION[expected];
}
