import type { EventMetadata } from '../core/event.js';
import { nonNegativeInteger } from '../store/options.js';

/** What `decide` returns, as a fresh array: one event, or a list of them. */
export function decidedEvents<Event>(decided: Event | readonly Event[]): Event[] {
  return Array.isArray(decided) ? [...(decided as readonly Event[])] : [decided as Event];
}

/**
 * The event as it is appended: with the command's metadata (correlation,
 * causation, user, …) in place of its own when the command gives some. An
 * `id` the decider gave stays, so a retried command appends idempotently.
 */
export function withCommandMetadata<Event extends object>(event: Event, metadata: EventMetadata | undefined): Event {
  return metadata === undefined ? event : { ...event, metadata: { ...metadata } };
}

/** The `retries` option of a command handler, checked: an integer >= 0, default 0. */
export function retriesOf(retries: unknown): number {
  return retries === undefined ? 0 : nonNegativeInteger('retries', retries);
}
