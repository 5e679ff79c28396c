import { TributaryError } from '../core/errors.js';
import type { ListParkedOptions, ParkedEntry } from '../store/consumer-store.js';
import type { EventStore } from '../store/event-store.js';
import { nonNegativeInteger, pageLimit } from '../store/options.js';

/**
 * A consumer's parked events (its dead letters), in position order, a page at a time.
 * Errors: CONSUMER_NOT_FOUND.
 */
export async function parkedEvents(
  store: EventStore,
  consumer: string,
  options: ListParkedOptions = {},
): Promise<ParkedEntry[]> {
  await existing(store, consumer);
  return store.consumers.listParked(consumer, {
    after: nonNegativeInteger('after', options.after ?? 0),
    limit: pageLimit(options.limit),
  });
}

/**
 * Asks the running consumer to handle parked events again: all of them, or
 * those at `positions`. Each leaves the parked list once its handler
 * succeeds, and is parked again (with its attempts counted) if it fails.
 * Returns how many were marked. Errors: CONSUMER_NOT_FOUND.
 */
export async function replayParked(store: EventStore, consumer: string, positions?: readonly number[]): Promise<number> {
  await existing(store, consumer);
  positions?.forEach((position) => nonNegativeInteger('position', position));
  return store.consumers.requestReplay(consumer, positions);
}

/** Deletes parked events: all, or those at `positions`. Returns how many. Errors: CONSUMER_NOT_FOUND. */
export async function purgeParked(store: EventStore, consumer: string, positions?: readonly number[]): Promise<number> {
  await existing(store, consumer);
  positions?.forEach((position) => nonNegativeInteger('position', position));
  return store.consumers.removeParked(consumer, positions);
}

async function existing(store: EventStore, consumer: string): Promise<void> {
  if ((await store.consumers.get(consumer)) === undefined) {
    throw new TributaryError('CONSUMER_NOT_FOUND', `no consumer named ${consumer}`, { consumer });
  }
}
