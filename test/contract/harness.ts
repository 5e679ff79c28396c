import { expect } from 'vitest';
import { isTributaryError, type ErrorCode } from '../../src/core/errors.js';
import type { EventData } from '../../src/core/event.js';
import type { EventStore } from '../../src/store/event-store.js';

/** What a backend gives the contract suite: fresh, empty stores. */
export interface StoreHarness {
  name: string;
  /** A new, empty store; `clock` stamps recordedAt and drives max-age retention. */
  open(options?: { clock?: () => number }): Promise<EventStore>;
  /** A second, independent handle (own connection) on the same database as `store`. */
  openAnother(store: EventStore): Promise<EventStore>;
  /** Runs per property-based case, when a backend's calls are too slow for the default. */
  propertyRuns?: number;
}

/** Opens a fresh store for one test and closes every handle afterwards. */
export async function withStore<T>(
  harness: StoreHarness,
  body: (store: EventStore) => Promise<T>,
  options?: { clock?: () => number },
): Promise<T> {
  const store = await harness.open(options);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** Asserts that `promise` rejects with a TributaryError of `code`; returns it for more checks. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode) {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    if (!isTributaryError(error, code)) {
      throw new Error(`expected ${code}, got ${String(error)}`, { cause: error });
    }
    return error;
  }
  expect.fail(`expected ${code}, but the call succeeded with ${JSON.stringify(outcome)}`);
}

export function event(type: string, data: unknown = {}, extra: Partial<EventData> = {}): EventData {
  return { type, data, ...extra };
}

/** Every event of the global log, paging until the head. */
export async function readWholeLog(store: EventStore) {
  const events = [];
  let after: number | null = 0;
  while (after !== null) {
    const page = await store.readAll({ after, limit: 1000 });
    events.push(...page.events);
    after = page.next;
  }
  return events;
}

/** Every readable event of one stream, paging forward. */
export async function readWholeStream(store: EventStore, stream: string) {
  const events = [];
  let from: number | null = 0;
  while (from !== null) {
    const page = await store.readStream(stream, { from, limit: 1000 });
    events.push(...page.events);
    from = page.next;
  }
  return events;
}

export const SOME_UUID = '3f2b8c1e-9d4a-4e6b-a7c5-1b2d3e4f5a6b';
export const OTHER_UUID = '7a1c9e3b-2d4f-4b8a-9c6e-5f1a2b3c4d5e';
