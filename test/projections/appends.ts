import type { EventStore } from '../../src/store/event-store.js';

/** Appends to streams of `category` one event at a time, a few milliseconds apart, until stopped; stop() rethrows a failed append. */
export function steadyAppends(store: EventStore, category: string, pauseMs = 2): { stop(): Promise<number> } {
  let stopped = false;
  let appended = 0;
  const loop = (async () => {
    while (!stopped) {
      await store.append(`${category}-${appended % 10}`, [{ type: 'Placed', data: { n: appended } }]);
      appended++;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return appended;
    },
  };
}
