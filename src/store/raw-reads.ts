import type { EventStore } from './event-store.js';

/**
 * The same store, whose `readStream` and `readAll` always read events as
 * stored (`raw: true`), for readers built on the store that have no `raw`
 * option of their own: subscriptions, consumers, server-sent events. Every
 * other member is the store's own.
 *
 * ```ts
 * for await (const message of subscribeToAll(rawReads(store), { after: 0 })) console.log(message);
 * ```
 */
export function rawReads(store: EventStore): EventStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'readStream') return ((stream, options) => target.readStream(stream, { ...options, raw: true })) satisfies EventStore['readStream'];
      if (property === 'readAll') return ((options) => target.readAll({ ...options, raw: true })) satisfies EventStore['readAll'];
      // the target as receiver: class stores keep their state in private fields, which a proxy does not carry
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
