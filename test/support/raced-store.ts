import type { EventStore } from '../../src/store/event-store.js';

/** Runs before the store's nth (from 1) write of a kind; what it writes lands between the caller's read and its write. */
export type Competitor = (call: number) => Promise<unknown>;

/**
 * A store whose `append` and `appendMany` first let `competitor` write: a
 * concurrent writer that wins every race it is given, deterministically,
 * with no timing. The competitor writes through the unwrapped store.
 */
export function racedStore(store: EventStore, competitor: Competitor): EventStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = (value as (...parameters: unknown[]) => unknown).bind(target);
      if (key !== 'append' && key !== 'appendMany') return method;
      return async (...args: unknown[]) => {
        await competitor(++calls);
        return method(...args);
      };
    },
  });
}
