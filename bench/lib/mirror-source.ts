// The log the mirror benchmark copies: 1 KB events in streams of 100 over mixed categories, a quarter of the
// events tagged, and custom metadata on one stream in a hundred, so a copy moves every kind of row it must.
// Built once through appendMany in calls of 1,000 events and kept in bench/.data/, keyed by size and layout.
import { SCHEMA_VERSION } from '../../src/backends/sqlite/sqlite-schema.js';
import type { EventData } from '../../src/core/event.js';
import type { StreamAppend } from '../../src/core/stream-appends.js';
import type { EventStore } from '../../src/store/event-store.js';
import { cachedLog, sqliteLogCache, type LogCache } from './log-cache.js';
import { timed } from './measure.js';
import { payload } from './scenarios.js';

// bump when the layout below changes, so cached logs of the old layout are not reused
const LAYOUT_VERSION = 1;

// keyed by schema version too: a log migrated from an older schema counts every stream as changed, which a copy then carries
export const mirrorSources: LogCache = sqliteLogCache((events) => `mirror-source-l${LAYOUT_VERSION}-s${SCHEMA_VERSION}-${events}.db`);

export const STREAM_LENGTH = 100;
/** Events per appendMany call: the most one call may carry, over STREAMS_PER_CALL streams. */
const CALL_EVENTS = 1000;
const STREAMS_PER_CALL = 50;
const CHUNK = CALL_EVENTS / STREAMS_PER_CALL;
// calls in flight while building: group commit shares their transactions
const BUILD_IN_FLIGHT = 4;
/** One stream in ten of each kind: four accounts, two orders, a payment, a shipment, a customer, an invoice. */
const CATEGORIES = ['account', 'order', 'account', 'payment', 'account', 'shipment', 'order', 'customer', 'account', 'invoice'];
const METADATA_EVERY = 100;

/** A size the layout divides evenly: a whole number of calls, each over distinct streams. */
export function checkSourceSize(events: number): void {
  if (!Number.isInteger(events) || events < CALL_EVENTS || events % CALL_EVENTS !== 0) {
    throw new Error(`the mirror source log holds a whole number of thousands of events, at least 1,000; got ${events}`);
  }
}

export const streamName = (k: number) => `${CATEGORIES[k % CATEGORIES.length]}-${k}`;

/** The event at `revision` of stream `k`, the `i`-th of the log: every fourth carries a customer tag. */
function sourceEvent(k: number, revision: number, i: number): EventData {
  const type = revision === 0 ? 'Opened' : revision % 3 === 0 ? 'Noted' : 'Changed';
  return i % 4 === 0 ? { type, data: payload(i), tags: [`customer:${k % 1000}`] } : { type, data: payload(i) };
}

/**
 * The calls that write a log of `events` events: every stream gets CHUNK events per round, STREAMS_PER_CALL streams
 * per call, so each stream's events lie in five places spread over the whole log.
 */
export function* sourceCalls(events: number): Generator<StreamAppend[]> {
  checkSourceSize(events);
  const streams = events / STREAM_LENGTH;
  let i = 0;
  for (let round = 0; round < STREAM_LENGTH / CHUNK; round++) {
    for (let first = 0; first < streams; first += STREAMS_PER_CALL) {
      const call: StreamAppend[] = [];
      for (let k = first; k < Math.min(streams, first + STREAMS_PER_CALL); k++) {
        call.push({ stream: streamName(k), events: Array.from({ length: CHUNK }, (_, n) => sourceEvent(k, round * CHUNK + n, i++)) });
      }
      yield call;
    }
  }
}

/** Appends the log of `events` events to an empty store, then sets the custom metadata; returns the seconds it took. */
export async function buildSource(store: Pick<EventStore, 'appendMany' | 'setStreamMetadata'>, events: number, progress: (written: number) => void = () => undefined): Promise<number> {
  const calls = sourceCalls(events);
  let written = 0;
  return timed(async () => {
    await Promise.all(
      Array.from({ length: BUILD_IN_FLIGHT }, async () => {
        for (let call = calls.next(); call.done !== true; call = calls.next()) {
          await store.appendMany(call.value);
          written += call.value.reduce((sum, part) => sum + part.events.length, 0);
          progress(written);
        }
      }),
    );
    for (let k = 0; k < events / STREAM_LENGTH; k += METADATA_EVERY) await store.setStreamMetadata(streamName(k), { custom: { owner: `team-${k % 7}` } });
  });
}

/** The cached source log of `events` events, built first when it is missing or `rebuild` asks; answers its file. */
export async function sourceLogOf(events: number, rebuild: boolean): Promise<string> {
  return cachedLog(mirrorSources, events, `source log of ${events.toLocaleString('en-US')} events`, rebuild, (store, progress) => buildSource(store, events, progress));
}
