import { parseAsOf } from '../core/as-of.js';
import { invalidAsOf } from '../core/as-of.js';
import type { AllPage, ReadAllOptions } from './event-store.js';

/** The first event at or after a position, by its position and recorded time; undefined past the head. */
export type FirstAtOrAfter = (position: number) => Promise<{ position: number; recordedAt: number } | undefined>;

/** Checks a time for `positionAt` and returns it in ms since the epoch. Throws INVALID_AS_OF. */
export function timeOf(time: Date | string): number {
  const parsed = parseAsOf(time);
  if (!('time' in parsed)) throw invalidAsOf(time, 'positionAt takes a time, not a position');
  return parsed.time;
}

/**
 * The last position recorded at or before `time`, by binary search over
 * positions: recorded times never decrease with position, so about log2(head)
 * lookups by primary key answer it whatever the size of the log. Gaps left by
 * scavenging are stepped over by `firstAtOrAfter`.
 */
export async function searchPositionAt(time: number, head: number, firstAtOrAfter: FirstAtOrAfter): Promise<number> {
  // invariant: every event at or below `found` was recorded at or before `time`; none from `above` on was
  let found = 0;
  let above = head + 1;
  while (above - found > 1) {
    const middle = found + Math.floor((above - found) / 2);
    const event = await firstAtOrAfter(middle);
    if (event === undefined || event.position >= above) above = middle;
    else if (event.recordedAt <= time) found = event.position;
    else above = middle;
  }
  return found;
}

/** `firstAtOrAfter` through the store contract's own global read: one event per lookup. */
export function firstThroughReads(readAll: (options: ReadAllOptions) => Promise<AllPage>): FirstAtOrAfter {
  return async (position) => {
    const [event] = (await readAll({ after: position - 1, limit: 1, raw: true })).events;
    return event === undefined ? undefined : { position: event.position, recordedAt: event.recordedAtMillis };
  };
}
