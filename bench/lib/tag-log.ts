// A log of tagged 1 KB events for reading by tag at two sizes: every event carries a customer tag (each
// customer 0.1% of the log) and a region tag (each region 12.5%), and 100 events spread over the whole
// log carry `flagged`, so that tag's matches are the same at every size while the log around them grows.
import type { EventData } from '../../src/core/event.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { Figures } from './interleave.js';
import { timed } from './measure.js';
import { payload } from './scenarios.js';

export const CUSTOMERS = 1000;
export const REGIONS = 8;
export const FLAGGED = 100;
/** Events per stream, and per append while building. */
const STREAM_LENGTH = 100;
// appends in flight while building: group commit shares their transactions
const BUILD_IN_FLIGHT = 8;
const PAGE = 1000;

/** A tag to read and how many events carry it. */
export interface TagRead {
  /** The tag for the read's `pass`-th pass: reads of a tag class rotate over its tags. */
  tag(pass: number): string;
  matches: number;
}

/** The tags of a log of `events` events worth reading, by name. */
export function tagReads(events: number): { rare: TagRead; fixed: TagRead; common: TagRead } {
  checkSize(events);
  return {
    rare: { tag: (pass) => `customer:${pass % CUSTOMERS}`, matches: events / CUSTOMERS },
    fixed: { tag: () => 'flagged', matches: FLAGGED },
    common: { tag: (pass) => `region:${pass % REGIONS}`, matches: events / REGIONS },
  };
}

/** A size the layout divides evenly: a whole number of thousands, at least 10,000 (so the flagged events lie apart). */
export function checkSize(events: number): void {
  if (!Number.isInteger(events) || events < 10_000 || events % 1000 !== 0) {
    throw new Error(`a tag log holds a whole number of thousands of events, at least 10,000; got ${events}`);
  }
}

/** The `i`-th event of a log of `events` events. */
export function tagLogEvent(i: number, events: number): EventData {
  // 7919 is prime to 1000: consecutive events go to customers spread over the whole range, each customer once per 1,000 events
  const tags = [`customer:${(i * 7919) % CUSTOMERS}`, `region:${i % REGIONS}`];
  const spacing = events / FLAGGED;
  if (i % spacing === Math.floor(spacing / 2)) tags.push('flagged');
  return { type: 'OrderPlaced', data: payload(i), tags };
}

/** Appends a log of `events` events to an empty store, a stream of 100 events per append, a few appends in flight; returns the seconds it took. */
export async function buildTagLog(store: Pick<EventStore, 'append'>, events: number, progress: (written: number) => void = () => undefined): Promise<number> {
  checkSize(events);
  let next = 0;
  let written = 0;
  return timed(() =>
    Promise.all(
      Array.from({ length: BUILD_IN_FLIGHT }, async () => {
        for (let from = next; from < events; from = next) {
          next += STREAM_LENGTH;
          await store.append(
            `order-${from / STREAM_LENGTH}`,
            Array.from({ length: STREAM_LENGTH }, (_, k) => tagLogEvent(from + k, events)),
          );
          written += STREAM_LENGTH;
          progress(written);
        }
      }),
    ),
  );
}

/**
 * Reads every match of `read`'s tags with `readAll({ tags })` in pages of 1,000, a tag per pass, passes
 * repeated until `minSeconds` have passed, the first pass numbered `firstPass`. Figures: `rate`, matches per second;
 * `usPerEvent`, microseconds per match; `passes`, how many passes were made.
 * A pass that returns other than the tag's matches stops the run: the figure would be of a wrong read.
 */
export async function readTag(store: Pick<EventStore, 'readAll'>, read: TagRead, minSeconds: number, firstPass = 0): Promise<Figures> {
  let matches = 0;
  let seconds = 0;
  let pass = firstPass;
  for (; seconds < minSeconds; pass++) {
    const tag = read.tag(pass);
    let found = 0;
    seconds += await timed(async () => {
      let after: number | null = 0;
      while (after !== null) {
        const page = await store.readAll({ tags: [tag], after, limit: PAGE });
        found += page.events.length;
        after = page.next;
      }
    });
    if (found !== read.matches) throw new Error(`reading tag ${tag} returned ${found} events; ${read.matches} carry it`);
    matches += found;
  }
  return { rate: matches / seconds, usPerEvent: (seconds * 1e6) / matches, passes: pass - firstPass };
}
