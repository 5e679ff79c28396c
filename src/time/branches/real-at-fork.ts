import { isTributaryError } from '../../core/errors.js';
import type { RecordedEvent } from '../../core/event.js';
import type { EventStore, ReadStreamOptions } from '../../store/event-store.js';
import { STREAM_LIVE, STREAM_SOFT_DELETED, STREAM_TOMBSTONED, type StreamHead } from '../../store/write-rules.js';

/** Where a real stream stood at a branch's fork: what the branch's revisions continue. */
export interface RealHead extends StreamHead {
  /** Position of the stream's last event at or before the fork. */
  lastPosition: number;
}

// a backward search for the last event at or before the fork, when the backend reads past it
const SEARCH_PAGE = 100;

/**
 * The real stream as it stood at position `fork`; undefined when it had no
 * event by then. A tombstone is kept whenever it was made: the stream can
 * never be written again, not even on a branch.
 */
export async function realHeadAt(real: EventStore, stream: string, fork: number): Promise<RealHead | undefined> {
  if (fork === 0) return undefined;
  const info = await real.streamInfo(stream);
  if (info.lastRevision < 0) return undefined;
  if (info.deleted === 'tombstone') return { lastRevision: info.lastRevision, lastPosition: info.lastPosition, state: STREAM_TOMBSTONED };
  if (info.lastPosition <= fork) {
    return { lastRevision: info.lastRevision, lastPosition: info.lastPosition, state: info.deleted === 'soft' ? STREAM_SOFT_DELETED : STREAM_LIVE };
  }
  let from: number | undefined;
  do {
    const page = await realStreamPage(real, stream, fork, { direction: 'backward', from, limit: SEARCH_PAGE, raw: true });
    const last = page.events.find((event) => event.position <= fork);
    if (last !== undefined) return { lastRevision: last.revision, lastPosition: last.position, state: STREAM_LIVE };
    from = page.next ?? undefined;
  } while (from !== undefined);
  return undefined;
}

/**
 * A page of the real stream as of `fork`: read with `asOf` and trimmed to the
 * fork as well, so it holds whether or not the backend honours `asOf`. A
 * stream with no event by then is an empty last page.
 */
export async function realStreamPage(
  real: EventStore,
  stream: string,
  fork: number,
  options: ReadStreamOptions,
): Promise<{ events: RecordedEvent[]; next: number | null; trimmed: boolean }> {
  try {
    const page = await real.readStream(stream, { ...options, asOf: fork });
    const events = page.events.filter((event) => event.position <= fork);
    return { events, next: page.next, trimmed: events.length < page.events.length };
  } catch (error) {
    if (isTributaryError(error) && (error.code === 'STREAM_NOT_FOUND' || error.code === 'INVALID_AS_OF')) return { events: [], next: null, trimmed: false };
    throw error;
  }
}
