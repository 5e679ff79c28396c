import type { AppendResult } from '../core/event.js';
import { TributaryError, streamDeleted } from '../core/errors.js';
import { checkExpectedRevision, type ExpectedRevision } from '../core/expected-revision.js';
import type { ProposedEvent } from '../core/proposed-event.js';
import type { PreparedAppend } from '../core/stream-appends.js';

/** `streams.state` values, the same in every backend. */
export const STREAM_LIVE = 0;
export const STREAM_SOFT_DELETED = 1;
export const STREAM_TOMBSTONED = 2;

/** What an append needs to know of its stream before it writes. */
export interface StreamHead {
  /** Revision of the last event ever written, or -1. */
  lastRevision: number;
  state: number;
}

/** An event already stored, as the idempotency check compares it. */
export interface StoredEvent {
  id: string;
  stream: string;
  revision: number;
  position: number;
  type: string;
  dataJson: string;
  metadataJson: string | null;
  tagsJson: string | null;
}

/**
 * How one append goes, decided before anything is written: either a retry of
 * an append already stored (its original result), or a write starting at
 * `firstRevision`. Throws the coded refusal otherwise. Every backend decides
 * appends here, so the rules cannot drift apart between backends.
 *
 * `stored` looks up the given ids among the events already stored.
 */
export function planAppend(
  stream: string,
  events: readonly ProposedEvent[],
  expected: ExpectedRevision,
  head: StreamHead | undefined,
  stored: (ids: string[]) => ReadonlyMap<string, StoredEvent>,
): { retry: AppendResult } | { firstRevision: number } {
  if (head?.state === STREAM_TOMBSTONED) throw streamDeleted(stream);
  const givenIds = events.filter((event) => event.idGiven).map((event) => event.id);
  if (givenIds.length > 0) {
    const original = originalAppend(stream, events, stored(givenIds));
    if (original !== undefined) return { retry: original };
  }
  const lastRevision = head?.lastRevision ?? -1;
  checkExpectedRevision(stream, expected, { lastRevision, absent: isAbsent(head) });
  return { firstRevision: lastRevision + 1 };
}

/**
 * How a call that writes several streams at once goes: every part a retry
 * (the original results), or every part a write (each one's first revision).
 * A call with some parts stored and others not is no retry of anything: it
 * is refused, as a batch mixing stored and new events is.
 */
export function planParts(
  parts: readonly PreparedAppend[],
  head: (stream: string) => StreamHead | undefined,
  stored: (ids: string[]) => ReadonlyMap<string, StoredEvent>,
): { retry: AppendResult[] } | { firstRevisions: number[] } {
  const plans = parts.map(({ stream, events, expected }) => planAppend(stream, events, expected, head(stream), stored));
  const retries = plans.filter((plan) => 'retry' in plan).length;
  if (retries === plans.length) return { retry: plans.map((plan) => (plan as { retry: AppendResult }).retry) };
  if (retries > 0) {
    const fresh = parts[plans.findIndex((plan) => !('retry' in plan))]!;
    throw idConflict(fresh.stream, fresh.events[0]!.id, 'the call mixes streams already appended by an earlier call with new ones');
  }
  return { firstRevisions: plans.map((plan) => (plan as { firstRevision: number }).firstRevision) };
}

/**
 * The checks before a soft delete or tombstone: a tombstoned stream refuses
 * everything, and the expected revision must hold.
 */
export function checkDelete(stream: string, expected: ExpectedRevision, head: StreamHead | undefined): void {
  if (head?.state === STREAM_TOMBSTONED) throw streamDeleted(stream);
  checkExpectedRevision(stream, expected, { lastRevision: head?.lastRevision ?? -1, absent: isAbsent(head) });
}

/** True when the stream has no readable head: never written, or soft-deleted. */
export function isAbsent(head: StreamHead | undefined): boolean {
  return head === undefined || head.lastRevision < 0 || head.state === STREAM_SOFT_DELETED;
}

/**
 * When every event of the batch is already stored, with the same content, at
 * consecutive revisions of this stream, the append is a retry: the original
 * result. When none is stored: undefined. Anything in between is a conflict.
 */
function originalAppend(
  stream: string,
  events: readonly ProposedEvent[],
  stored: ReadonlyMap<string, StoredEvent>,
): AppendResult | undefined {
  if (stored.size === 0) return undefined;
  const appended = events.map((event, index) => {
    const found = stored.get(event.id);
    if (found === undefined) throw idConflict(stream, event.id, 'the batch mixes new events with events already stored');
    if (found.stream !== stream) throw idConflict(stream, event.id, `it is stored in stream ${JSON.stringify(found.stream)}`);
    if (found.type !== event.type || found.dataJson !== event.dataJson || found.metadataJson !== event.metadataJson || found.tagsJson !== event.tagsJson) {
      throw idConflict(stream, event.id, 'it is stored with different content');
    }
    const first = stored.get(events[0]!.id)!;
    if (found.revision !== first.revision + index) {
      throw idConflict(stream, event.id, 'the stored events are not in the order of this batch');
    }
    return { id: event.id, revision: found.revision, position: found.position };
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
