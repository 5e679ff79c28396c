import type { PoolClient } from 'pg';
import { matchesQuery, type CheckedCondition } from '../../core/event-query.js';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import { categoryOf } from '../../core/stream-name.js';
import type { AppendRequest, Outcome } from './postgres-append.js';

// how the append_group function reads an expected revision (postgres-schema.ts, migrations 7 and 8)
const EXPECTATION = { any: -1, no_stream: -2, stream_exists: -3 } as const;

/**
 * Appends a group in one round trip: one call of the append_group function,
 * which commits on its own. Every stream of every request is one entry of the
 * call, so a multi-stream request is written whole or, with the group, not at
 * all. Returns undefined, having written nothing, when the function finds a
 * request the rules must decide (a given id already stored, a deleted stream,
 * an expected revision that does not hold, a condition that finds an event):
 * the caller then decides the group in a transaction of its own. A group that
 * gives one id twice, or whose condition could match an earlier request's
 * events, goes there without calling: only the rules tell those cases apart.
 */
export async function appendGroupInOneCall(
  client: PoolClient,
  statement: { name: string; text: string },
  requests: readonly AppendRequest[],
  recordedAt: number,
  channel: string,
): Promise<Outcome[] | undefined> {
  if (conditionsMeetGroup(requests)) return undefined;
  const given: string[] = [];
  const eventEntries: number[] = [];
  const ids: string[] = [];
  const types: string[] = [];
  const metadata: (string | null)[] = [];
  const data: string[] = [];
  const tagLists: (string | null)[] = [];
  const tagNames: string[] = [];
  const tagEvents: number[] = [];
  const parts = requests.flatMap((request) => request.parts);
  const conditions = requests.flatMap((request) => request.parts.map((_, index) => (index === 0 ? conditionJson(request.condition) : null)));
  parts.forEach(({ events }, entry) => {
    for (const event of events) {
      if (event.idGiven) given.push(event.id);
      eventEntries.push(entry + 1);
      ids.push(event.id);
      types.push(event.type);
      metadata.push(event.metadataJson);
      data.push(event.dataJson);
      tagLists.push(event.tagsJson);
      for (const tag of event.tags) {
        tagNames.push(tag);
        tagEvents.push(ids.length);
      }
    }
  });
  if (new Set(given).size !== given.length) return undefined;
  const { rows } = await client.query<{ result: string[] | null }>({
    ...statement,
    values: [
      parts.map((part) => part.stream),
      parts.map((part) => categoryOf(part.stream)),
      parts.map((part) => expectation(part.expected)),
      parts.map((part) => part.events.length),
      given,
      eventEntries,
      ids,
      types,
      metadata,
      data,
      tagLists,
      tagNames,
      tagEvents,
      conditions.some((condition) => condition !== null) ? JSON.stringify(conditions) : null,
      recordedAt,
      channel,
    ],
  });
  const result = rows[0]!.result;
  if (result === null) return undefined;
  // bigint arrays arrive as text; positions and revisions stay far below 2^53
  const [head, ...befores] = result.map(Number);
  let position = head!;
  let entry = 0;
  return requests.map((request): Outcome => ({
    ok: true,
    value: request.parts.map(({ stream, events }) => {
      let revision = befores[entry++]!;
      const appended = events.map((event) => ({ id: event.id, revision: ++revision, position: ++position }));
      return { stream, nextExpectedRevision: revision, position, events: appended };
    }),
  }));
}

/** True when a request's condition could match events of a request before it in the group, whatever their positions. */
function conditionsMeetGroup(requests: readonly AppendRequest[]): boolean {
  return requests.some(
    (request, index) =>
      request.condition !== undefined &&
      requests.slice(0, index).some((earlier) => earlier.parts.some((part) => part.events.some((event) => matchesQuery(request.condition!.items, event.type, event.tags)))),
  );
}

/** A condition as the function reads it; null for none. */
function conditionJson(condition: CheckedCondition | undefined): unknown {
  if (condition === undefined) return null;
  return {
    after: condition.after,
    categories: condition.categories ?? null,
    items: condition.items.map((item) => ({ types: item.types ?? null, tags: item.tags ?? null })),
  };
}

function expectation(expected: ExpectedRevision): number {
  return typeof expected === 'number' ? expected : EXPECTATION[expected];
}
