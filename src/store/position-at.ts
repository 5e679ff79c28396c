import { parseAsOf } from '../core/as-of.js';
import { invalidAsOf } from '../core/as-of.js';
import type { AllPage, ReadAllOptions } from './event-store.js';

/** The first event at or after a position, by its position and recorded time; undefined past the head. */
export type Probe = { position: number; recordedAt: number } | undefined;

/** `Probe` looked up asynchronously (a round trip per lookup). */
export type FirstAtOrAfter = (position: number) => Promise<Probe>;

/** `Probe` looked up synchronously, inside one read of an embedded store. */
export type FirstAtOrAfterNow = (position: number) => Probe;

/** Checks a time for `positionAt` and returns it in ms since the epoch. Throws INVALID_AS_OF. */
export function timeOf(time: Date | string): number {
  const parsed = parseAsOf(time);
  if (!('time' in parsed)) throw invalidAsOf(time, 'positionAt takes a time, not a position');
  return parsed.time;
}

/**
 * The binary search behind `positionAt`, as a generator: it yields the
 * position to look up next and is given back the first event at or after it.
 * Recorded times never decrease with position, so about log2(head) lookups by
 * primary key answer it whatever the size of the log. Gaps left by scavenging
 * are stepped over by the lookup itself.
 */
function* positionSearch(time: number, head: number): Generator<number, number, Probe> {
  // invariant: every event at or below `found` was recorded at or before `time`; none from `above` on was
  let found = 0;
  let above = head + 1;
  while (above - found > 1) {
    const middle = found + Math.floor((above - found) / 2);
    const event = yield middle;
    if (event === undefined || event.position >= above) above = middle;
    else if (event.recordedAt <= time) found = event.position;
    else above = middle;
  }
  return found;
}

/** The last position recorded at or before `time`, looking events up asynchronously. */
export async function searchPositionAt(time: number, head: number, firstAtOrAfter: FirstAtOrAfter): Promise<number> {
  const search = positionSearch(time, head);
  let step = search.next();
  while (step.done !== true) step = search.next(await firstAtOrAfter(step.value));
  return step.value;
}

/**
 * The last position recorded at or before `time`, looking events up
 * synchronously: an embedded store runs the whole search inside one read.
 *
 * ```ts
 * const position = searchPositionAtNow(Date.parse('2026-03-01T00:00:00Z'), head, (p) => probe.get(p));
 * ```
 */
export function searchPositionAtNow(time: number, head: number, firstAtOrAfter: FirstAtOrAfterNow): number {
  const search = positionSearch(time, head);
  let step = search.next();
  while (step.done !== true) step = search.next(firstAtOrAfter(step.value));
  return step.value;
}

/** `firstAtOrAfter` through the store contract's own global read: one event per lookup. */
export function firstThroughReads(readAll: (options: ReadAllOptions) => Promise<AllPage>): FirstAtOrAfter {
  return async (position) => {
    const [event] = (await readAll({ after: position - 1, limit: 1, raw: true })).events;
    return event === undefined ? undefined : { position: event.position, recordedAt: event.recordedAtMillis };
  };
}
