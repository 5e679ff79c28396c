import type { AllPage, EventStore, ReadAllOptions, ReadStreamOptions, StreamPage } from '../store/event-store.js';

/**
 * The store as live subscribers read it: identical reads made in the same
 * turn of the event loop share one query. A commit wakes every subscriber at
 * once, and those at the same position with the same filter (the common
 * case) ask for the same page: 100 subscribers cost one read instead of 100.
 * A shared page can only be older than a fresh one by the current turn, and a
 * subscriber that gets it waits for the head again, so nothing is missed.
 */
export function sharedReads(store: EventStore): EventStore {
  const pending = new Map<string, Promise<AllPage | StreamPage>>();
  const share = <T extends AllPage | StreamPage>(key: string, read: () => Promise<T>): Promise<T> => {
    let page = pending.get(key) as Promise<T> | undefined;
    if (page === undefined) {
      page = read();
      pending.set(key, page);
      setImmediate(() => pending.delete(key));
    }
    return page;
  };
  return {
    get location() {
      return store.location;
    },
    get consumers() {
      return store.consumers;
    },
    get tokens() {
      return store.tokens;
    },
    readAll: (options?: ReadAllOptions) => share(`all ${JSON.stringify(options ?? {})}`, () => store.readAll(options)),
    readStream: (stream: string, options?: ReadStreamOptions) =>
      share(`stream ${JSON.stringify([stream, options ?? {}])}`, () => store.readStream(stream, options)),
    append: (stream, events, options) => store.append(stream, events, options),
    streamInfo: (stream) => store.streamInfo(stream),
    listStreams: (options) => store.listStreams(options),
    listCategories: () => store.listCategories(),
    getStreamMetadata: (stream) => store.getStreamMetadata(stream),
    setStreamMetadata: (stream, metadata) => store.setStreamMetadata(stream, metadata),
    deleteStream: (stream, options) => store.deleteStream(stream, options),
    tombstoneStream: (stream, options) => store.tombstoneStream(stream, options),
    scavenge: () => store.scavenge(),
    headPosition: () => store.headPosition(),
    waitForPosition: (after, options) => store.waitForPosition(after, options),
    close: () => store.close(),
  };
}
