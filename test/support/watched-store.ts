import type { EventStore } from '../../src/store/event-store.js';

/** A store whose calls are counted and can be failed on purpose, to see what still runs after a stop. */
export interface WatchedStore {
  store: EventStore;
  /** Calls so far, on the store and on its `consumers` and `sql` parts. */
  calls: number;
  /** Runs before every call with its name (`headPosition`, `consumers.heartbeat`, `sql.transaction`); a throw fails the call. */
  before: (name: string) => void;
}

export function watchStore(store: EventStore): WatchedStore {
  const watched: WatchedStore = { store, calls: 0, before: () => undefined };
  watched.store = forward(store, '', watched);
  return watched;
}

function forward<T extends object>(target: T, prefix: string, watched: WatchedStore): T {
  return new Proxy(target, {
    get(object, key) {
      const value = Reflect.get(object, key, object) as unknown;
      if (prefix === '' && (key === 'consumers' || key === 'sql') && typeof value === 'object' && value !== null) {
        return forward(value, `${key}.`, watched);
      }
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        watched.calls++;
        try {
          watched.before(prefix + String(key));
        } catch (error) {
          return Promise.reject(error);
        }
        return (value as (...parameters: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** How many timers keep the event loop alive right now. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}
