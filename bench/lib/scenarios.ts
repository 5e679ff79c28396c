/** What the append benchmarks need of a store. */
export interface BenchStore {
  append(stream: string, events: { type: string; data: Record<string, unknown> }[]): Promise<unknown>;
  close(): Promise<void>;
}
import type { EventStore } from '../../src/store/event-store.js';
import { rateOf, type Figures } from './interleave.js';
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

export type Run = () => Promise<Figures>;

/**
 * Counts commits from the callers' side: the callers of one group commit are answered together, in one
 * pass of the event loop, so each pass in which appends are answered is one commit. One WAL sync may
 * answer several commits; it carries one while every caller waits for its answer, as the callers here
 * do. Were it more, this would count syncs, the durable unit raw's transactions are held against.
 */
export class AnswerPasses {
  #passes = 0;
  #open = false;

  get passes(): number {
    return this.#passes;
  }

  answered(): void {
    if (this.#open) return;
    this.#open = true;
    this.#passes++;
    // cleared before the next group runs: the writer schedules it with setImmediate after the callers' next appends
    setImmediate(() => (this.#open = false));
  }
}

/**
 * The append scenarios, for any store that appends a batch to a stream; `open` gives a fresh, empty store.
 * `concurrent(n)`: `callers` callers, each appending `n` events per call to its own stream; its figures hold
 * `rowsPerCommit`, the events per commit the store's group commit reached (see AnswerPasses).
 */
export function appendScenarios(sizes: Sizes, open: () => Promise<BenchStore>): { single: Run; batch: Run; concurrent: (eventsPerCall: number) => Run } {
  return {
    single: async () => {
      const store = await open();
      const seconds = await timed(async () => {
        for (let i = 0; i < sizes.single; i++) await store.append(`account-${i % sizes.streams}`, [{ type: 'Deposited', data: payload(i) }]);
      });
      await store.close();
      return rateOf({ events: sizes.single, seconds });
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
      return rateOf({ events: sizes.batchCalls * 100, seconds });
    },
    concurrent: (eventsPerCall) => async () => {
      const store = await open();
      const passes = new AnswerPasses();
      const seconds = await timed(() =>
        Promise.all(
          Array.from({ length: sizes.callers }, async (_, caller) => {
            for (let i = 0; i < sizes.perCaller; i++) {
              const events = Array.from({ length: eventsPerCall }, (_, k) => ({ type: 'Deposited', data: payload(i * eventsPerCall + k) }));
              await store.append(`account-${caller}`, events);
              passes.answered();
            }
          }),
        ),
      );
      await store.close();
      const events = sizes.callers * sizes.perCaller * eventsPerCall;
      return { ...rateOf({ events, seconds }), rowsPerCommit: events / passes.passes };
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
    return rateOf({ events, seconds });
  };
}
