import { TributaryError } from '../core/errors.js';
import type { AllPage, EventStore, ReadAllOptions, ReadStreamOptions, StreamPage, WaitOptions } from '../store/event-store.js';
import { recordingsOf } from '../store/gateway-recordings.js';
import { DEFAULT_PAGE_SIZE, nonNegativeInteger } from '../store/options.js';

/** What the replay hears from the view its consumer reads. */
export interface ReplayViewHooks {
  /** The consumer reads the page after `position`: everything up to it is handled. */
  reading(position: number): void;
  /** The consumer has read everything up to `until` and waits for more. */
  caughtUp(): void;
}

/**
 * The store a replay's projection runner works on: its reads are the source's,
 * cut at `until` (whether or not the source honours `asOf`), and its head is
 * `until`; its checkpoints, registry and tables are the scratch store's. It
 * writes nothing to the source: it has no way to.
 */
export function replayView(source: EventStore, scratch: EventStore, until: number, hooks: ReplayViewHooks): EventStore {
  const readOnly = (operation: string) => () =>
    Promise.reject(new TributaryError('INVALID_REPLAY_TARGET', `${operation} has no place in a replay: it reads its source and writes only to its scratch store`, { operation, reason: 'a write through a replay' }));
  return {
    location: scratch.location,
    consumers: scratch.consumers,
    sql: scratch.sql,
    // the gateway answers a replay from what the source's handlers recorded
    recordings: recordingsOf(source),
    append: readOnly('append'),
    appendMany: readOnly('appendMany'),
    setStreamMetadata: readOnly('setStreamMetadata'),
    deleteStream: readOnly('deleteStream'),
    tombstoneStream: readOnly('tombstoneStream'),
    scavenge: readOnly('scavenge'),
    readAll: async (options = {}) => {
      const page = await readAllUntil(source, until, options);
      hooks.reading(Math.min(options.after ?? 0, until));
      return page;
    },
    readStream: (stream, options) => readStreamUntil(source, until, stream, options),
    streamInfo: (stream) => source.streamInfo(stream),
    listStreams: (options) => source.listStreams(options),
    listCategories: () => source.listCategories(),
    getStreamMetadata: (stream) => source.getStreamMetadata(stream),
    headPosition: async () => until,
    positionAt: async (time) => Math.min(await source.positionAt(time), until),
    waitForPosition: (after, options) => {
      if (after < until) return Promise.resolve(until);
      hooks.caughtUp();
      return nothingMore(until, options);
    },
    // the source and the scratch store belong to the replay's caller
    close: async () => undefined,
  };
}

/** A page of the source's log after `after`, never past `until`: at most the events that can lie between. */
async function readAllUntil(source: EventStore, until: number, options: ReadAllOptions): Promise<AllPage> {
  const after = nonNegativeInteger('after', options.after ?? 0);
  const room = until - after;
  if (room <= 0) return { events: [], next: null };
  const page = await source.readAll({ ...options, limit: Math.min(options.limit ?? DEFAULT_PAGE_SIZE, room) });
  const events = page.events.filter((event) => event.position <= until);
  const cut = events.length < page.events.length || page.next === null || page.next >= until;
  return { events, next: cut ? null : page.next };
}

/** A page of one stream as it stood at `until`: events recorded later are left out, and the page is the last. */
async function readStreamUntil(source: EventStore, until: number, stream: string, options?: ReadStreamOptions): Promise<StreamPage> {
  const page = await source.readStream(stream, options);
  const events = page.events.filter((event) => event.position <= until);
  // forward, a cut page is the last; backward, the older events go on after it
  const last = events.length < page.events.length && options?.direction !== 'backward';
  return { events, next: last ? null : page.next };
}

/** A wait past `until` on a log that ends there: nothing comes, so it ends by its timeout or its signal. */
function nothingMore(until: number, options: WaitOptions = {}): Promise<number> {
  const { signal, timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', aborted);
      resolve(until);
    }, timeoutMs);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
