/** What the append benchmarks need of a store. */
export interface BenchStore {
  append(stream: string, events: { type: string; data: Record<string, unknown> }[]): Promise<unknown>;
  close(): Promise<void>;
}
import type { EventStore } from '../../src/store/event-store.js';
import { timed } from './measure.js';
import { depositData } from './payload.js';

// payloads are built before timing: the benchmarks measure the store, not the caller's object building
const PAYLOADS = Array.from({ length: 1000 }, (_, i) => depositData(i));
export const payload = (i: number) => PAYLOADS[i % PAYLOADS.length]!;

export interface Sizes {
  single: number;
  batchCalls: number;
  callers: number;
  perCaller: number;
  streams: number;
}

export type Run = () => Promise<{ events: number; seconds: number }>;

/** The append scenarios, for any store that appends a batch to a stream; `open` gives a fresh, empty store. */
export function appendScenarios(sizes: Sizes, open: () => Promise<BenchStore>): { single: Run; batch: Run; concurrent: Run } {
  return {
    single: async () => {
      const store = await open();
      const seconds = await timed(async () => {
        for (let i = 0; i < sizes.single; i++) await store.append(`account-${i % sizes.streams}`, [{ type: 'Deposited', data: payload(i) }]);
      });
      await store.close();
      return { events: sizes.single, seconds };
    },
    batch: async () => {
      const store = await open();
      const seconds = await timed(async () => {
        for (let call = 0; call < sizes.batchCalls; call++) {
          const events = Array.from({ length: 100 }, (_, i) => ({ type: 'Deposited', data: payload(call * 100 + i) }));
          await store.append(`account-${call % sizes.streams}`, events);
        }
      });
      await store.close();
      return { events: sizes.batchCalls * 100, seconds };
    },
    concurrent: async () => {
      const store = await open();
      const seconds = await timed(() =>
        Promise.all(
          Array.from({ length: sizes.callers }, async (_, caller) => {
            for (let i = 0; i < sizes.perCaller; i++) await store.append(`account-${caller}`, [{ type: 'Deposited', data: payload(i) }]);
          }),
        ),
      );
      await store.close();
      return { events: sizes.callers * sizes.perCaller, seconds };
    },
  };
}

/** Reads the whole global log of the store `open` gives, in pages of 1,000. */
export function replayScenario(open: () => Promise<EventStore>): Run {
  return async () => {
    const store = await open();
    let events = 0;
    const seconds = await timed(async () => {
      let after: number | null = 0;
      while (after !== null) {
        const page = await store.readAll({ after, limit: 1000 });
        events += page.events.length;
        after = page.next;
      }
    });
    await store.close();
    return { events, seconds };
  };
}
