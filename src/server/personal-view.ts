import type { FastifyRequest } from 'fastify';
import type { RecordedEvent } from '../core/event.js';
import type { EventStore } from '../store/event-store.js';
import type { Access } from './access.js';

/**
 * The store as the request may read it: the personal fields of categories its
 * token may not read in plaintext (`personal:<category>`, `write:<category>`,
 * admin) come back as `{"$personal":"withheld"}` from `readStream` and
 * `readAll`, and so from every door built on them (pages, server-sent events,
 * group members). A store without personal data, or a token that may read all
 * of it, is the store itself.
 *
 * ```ts
 * const page = await personalView(store, access, request).readStream('customer-42');
 * ```
 */
export function personalView(store: EventStore, access: Access, request: FastifyRequest): EventStore {
  const { privacy } = store;
  const readable = access.personalReader(request);
  if (privacy === undefined || readable === undefined) return store;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'readStream') {
        return (async (stream, options) => {
          const page = await target.readStream(stream, options);
          return { ...page, events: await privacy.withhold(page.events, readable) };
        }) satisfies EventStore['readStream'];
      }
      if (property === 'readAll') {
        return (async (options) => {
          const page = await target.readAll(options);
          return { ...page, events: await privacy.withhold(page.events, readable) };
        }) satisfies EventStore['readAll'];
      }
      // the target as receiver: class stores keep their state in private fields, which a proxy does not carry
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The events as the request may read them: personal fields withheld where its token may not read them in plaintext. */
export async function personalEvents(store: EventStore, access: Access, request: FastifyRequest, events: RecordedEvent[]): Promise<RecordedEvent[]> {
  const readable = access.personalReader(request);
  return store.privacy === undefined || readable === undefined ? events : store.privacy.withhold(events, readable);
}

/** What subscribers must share to share a feed: the same personal view (a token that reads all of it has none). */
export function personalFeedKey(access: Access, request: FastifyRequest, store: EventStore): string {
  return store.privacy === undefined || access.personalReader(request) === undefined ? '' : `withheld ${access.personalKey(request)} `;
}
