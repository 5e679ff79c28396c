import { isAborted } from '../core/abort.js';
import { isTributaryError } from '../core/errors.js';
import type { EventOf, RecordedEvent, UntypedEvents } from '../core/event.js';
import type { EventStore, LogFilter } from '../store/event-store.js';

/** What a subscription yields: events in position order, and once the marker of the switch to live. */
export type SubscriptionMessage<Event extends RecordedEvent = RecordedEvent> = { kind: 'event'; event: Event } | { kind: 'caught-up'; position: number };

/** A subscription whose events are typed by an event map: a promise about what its filter or stream holds. */
type TypedSubscription<Events extends object> = AsyncGenerator<SubscriptionMessage<EventOf<Events>>, void, undefined>;

export interface SubscribeOptions {
  /** Deliver events after this position; default 0, the beginning. */
  after?: number;
  /** Events read per page; default 500. */
  pageSize?: number;
  /** Ends the subscription (the iterator returns). */
  signal?: AbortSignal;
}

const DEFAULT_PAGE_SIZE = 500;
// a wait re-arms this often even when nothing is appended, so an aborted signal is seen without a notification
const LIVE_WAIT_MS = 30_000;

/**
 * The global log (optionally filtered) from a position: history in pages,
 * then a `caught-up` marker, then live events as they commit — with no gap
 * and no duplicate at the seam, because every read continues from the last
 * position considered and positions become visible in order.
 *
 * ```ts
 * for await (const message of subscribeToAll(store, { categories: ['order'], tags: ['customer:42'], after: 0 })) {
 *   if (message.kind === 'event') console.log(message.event.type);
 * }
 * ```
 *
 * `subscribeToAll<TributaryEvents>(store, { types: ['OrderPlaced'] })` types the events by an event map.
 */
export function subscribeToAll<Events extends object = UntypedEvents>(
  store: EventStore,
  options: SubscribeOptions & LogFilter = {},
): TypedSubscription<Events> {
  const { signal, categories, types, streamPrefix, tags } = options;
  const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
  return follow<Events>(store, options.after ?? 0, signal, async function* (after, head) {
    for (;;) {
      const page = await store.readAll({ after, limit, categories, types, streamPrefix, tags });
      for (const event of page.events) yield event;
      if (page.next === null) return Math.max(after, page.events.at(-1)?.position ?? 0, head);
      after = page.next;
      if (isAborted(signal)) return after;
    }
  });
}

/**
 * One stream from a position in the global log: history, `caught-up`, then
 * live. A stream that does not exist yet is waited for; a tombstoned one ends
 * the subscription with STREAM_DELETED.
 */
export function subscribeToStream<Events extends object = UntypedEvents>(
  store: EventStore,
  stream: string,
  options: SubscribeOptions = {},
): TypedSubscription<Events> {
  const { signal } = options;
  const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
  let revision = 0;
  return follow<Events>(store, options.after ?? 0, signal, async function* (after, head) {
    for (;;) {
      const page = await readStreamPage(store, stream, revision, limit);
      for (const event of page.events) {
        revision = event.revision + 1;
        if (event.position <= after) continue;
        after = event.position;
        yield event;
      }
      if (page.next === null) return Math.max(after, head);
      revision = page.next;
      if (isAborted(signal)) return after;
    }
  });
}

/**
 * Reads until the end, marks the switch to live once, then waits for the head
 * to move and reads again. A round yields the events after `after` and returns
 * the last position it considered; `head`, read before the round, is a
 * position the round is known to have passed once it reaches the end.
 */
async function* follow<Events extends object>(
  store: EventStore,
  start: number,
  signal: AbortSignal | undefined,
  round: (after: number, head: number) => AsyncGenerator<RecordedEvent, number, undefined>,
): TypedSubscription<Events> {
  let after = start;
  let caughtUp = false;
  let head = await store.headPosition();
  while (!isAborted(signal)) {
    const events = round(after, head);
    for (;;) {
      const next = await events.next();
      if (next.done === true) {
        after = next.value;
        break;
      }
      // the caller's event map only names what its filter or stream holds
      yield { kind: 'event', event: next.value as EventOf<Events> };
    }
    if (isAborted(signal)) return;
    if (!caughtUp) {
      caughtUp = true;
      yield { kind: 'caught-up', position: after };
    }
    const moved = await waitBeyond(store, after, signal);
    if (moved === undefined) return;
    head = moved;
  }
}

async function readStreamPage(store: EventStore, stream: string, from: number, limit: number) {
  try {
    return await store.readStream(stream, { from, limit });
  } catch (error) {
    // not yet written, or soft-deleted: its next events continue the revisions, so keep waiting
    if (isTributaryError(error, 'STREAM_NOT_FOUND')) return { events: [], next: null };
    throw error;
  }
}

/** The head once it passes `after`; undefined when `signal` aborts. */
async function waitBeyond(store: EventStore, after: number, signal: AbortSignal | undefined): Promise<number | undefined> {
  for (;;) {
    if (isAborted(signal)) return undefined;
    try {
      const head = await store.waitForPosition(after, { timeoutMs: LIVE_WAIT_MS, signal });
      if (head > after) return head;
    } catch (error) {
      if (isAborted(signal)) return undefined;
      throw error;
    }
  }
}
