import { TributaryError } from '../../core/errors.js';
import type { AppendResult, AppendedEvent } from '../../core/event.js';
import { appendConditionFailed } from '../../core/event-query.js';
import { categoryOf } from '../../core/stream-name.js';
import type { AppendCall } from '../../store/append-calls.js';
import type { EventStore } from '../../store/event-store.js';
import type { SqlAccess } from '../../store/sql-access.js';
import { STREAM_LIVE, planParts, type StoredEvent, type StreamHead } from '../../store/write-rules.js';
import { branchConflicts, realConflicts } from './branch-condition.js';
import { streamTail, rowsById } from './branch-events.js';
import { BRANCHES, BRANCH_EVENTS, storedOf } from './branch-rows.js';
import { realHeadAt, type RealHead } from './real-at-fork.js';
import type { SqlBranches } from './sql-branches.js';

/**
 * Writes a checked append call to branch `name`: every part or none, each
 * expected revision (and the condition, if any) checked against the branch's
 * view of the log, the branch's seqs contiguous. A call whose given ids are stored in the branch
 * already, as this call would store them, is a retry: the original results.
 */
export async function appendToBranch(
  real: EventStore,
  sql: SqlAccess,
  branches: SqlBranches,
  name: string,
  call: AppendCall,
): Promise<AppendResult[]> {
  const before = await branches.head(name);
  const { condition } = call;
  const realConflicting = condition === undefined ? [] : await realConflicts(real, condition, before.fork);
  // the real log up to the fork never changes: read it before the transaction, which must not wait on the store's reads
  const realHeads = new Map<string, RealHead | undefined>();
  for (const { stream } of call.parts) realHeads.set(stream, await realHeadAt(real, stream, before.fork));
  return sql.transaction(async (tx) => {
    const branch = await branches.lock(tx, name);
    if (branch.createdAt !== before.createdAt || branch.fork !== before.fork) {
      throw new TributaryError('BRANCH_NOT_FOUND', `branch ${JSON.stringify(name)} was deleted and created again during the append; nothing was written`, {
        branch: name,
      });
    }
    const heads = new Map<string, StreamHead | undefined>();
    for (const { stream } of call.parts) {
      const tail = await streamTail(tx, name, stream, Number.MAX_SAFE_INTEGER);
      heads.set(stream, tail === undefined ? realHeads.get(stream) : { lastRevision: tail.revision, state: STREAM_LIVE });
    }
    const ids = call.parts.flatMap((part) => part.events.filter((event) => event.idGiven).map((event) => event.id));
    const stored = new Map((await rowsById(tx, name, ids)).map((row) => [row.id, storedOf(row, branch.fork)]));
    const plan = planParts(call.parts, (stream) => heads.get(stream), (wanted) => pick(stored, wanted));
    if ('retry' in plan) return plan.retry;
    if (condition !== undefined) {
      const conflicts = [...realConflicting, ...(await branchConflicts(tx, name, branch.fork, condition))];
      if (conflicts.length > 0) throw appendConditionFailed(condition, conflicts);
    }
    const insert = tx.dialect.placeholders(
      `INSERT INTO ${BRANCH_EVENTS} (branch, seq, stream, category, revision, id, type, recorded_at, metadata, data, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const recordedAt = Date.now();
    let seq = branch.lastSeq;
    const results: AppendResult[] = [];
    for (const [index, { stream, events }] of call.parts.entries()) {
      const first = plan.firstRevisions[index]!;
      const appended: AppendedEvent[] = [];
      for (const [offset, event] of events.entries()) {
        seq += 1;
        const revision = first + offset;
        await tx.execute(insert, [name, seq, stream, categoryOf(stream), revision, event.id, event.type, recordedAt, event.metadataJson, event.dataJson, event.tagsJson]);
        appended.push({ id: event.id, revision, position: branch.fork + seq });
      }
      const last = appended[appended.length - 1]!;
      results.push({ stream, nextExpectedRevision: last.revision, position: last.position, events: appended });
    }
    await tx.execute(tx.dialect.placeholders(`UPDATE ${BRANCHES} SET last_seq = ? WHERE name = ?`), [seq, name]);
    return results;
  });
}

function pick(stored: ReadonlyMap<string, StoredEvent>, ids: readonly string[]): ReadonlyMap<string, StoredEvent> {
  return new Map(ids.flatMap((id) => (stored.has(id) ? [[id, stored.get(id)!] as const] : [])));
}
