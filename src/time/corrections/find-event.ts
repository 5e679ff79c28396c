import { invalidArgument } from '../../core/errors.js';
import type { RecordedEvent } from '../../core/event.js';
import { eventNotFound } from '../../store/event-lookup.js';
import type { EventStore } from '../../store/event-store.js';

/**
 * The event with id `eventId`, as a stream read would show it; EVENT_NOT_FOUND
 * when none is stored or readable. A store without a lookup (a what-if branch)
 * cannot find events by id: INVALID_ARGUMENT.
 *
 * ```ts
 * const deposit = await findEvent(store, depositId);
 * ```
 */
export async function findEvent(store: EventStore, eventId: string): Promise<RecordedEvent> {
  const lookup = lookupOf(store);
  const found = typeof eventId === 'string' ? await lookup.event(eventId) : undefined;
  if (found === undefined) throw eventNotFound(String(eventId));
  return found;
}

/** The store's lookup; INVALID_ARGUMENT for a store that has none. */
export function lookupOf(store: EventStore): NonNullable<EventStore['lookup']> {
  if (store.lookup === undefined) {
    throw invalidArgument('store', `at ${store.location} cannot find events by id or correlation id (a what-if branch has no lookup)`);
  }
  return store.lookup;
}
