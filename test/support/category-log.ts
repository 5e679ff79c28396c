import { expect } from 'vitest';
import { categoryOf } from '../../src/core/stream-name.js';
import type { EventStore, LogFilter } from '../../src/store/event-store.js';
import { readWholeLog } from '../contract/harness.js';

/** Filters that touch every path of a filtered read: one category, several, types alone, both, a prefix. */
export const FILTERS: LogFilter[] = [
  { categories: ['order'] },
  { categories: ['rare'] },
  { categories: ['order', 'rare', 'solo'] },
  { types: ['Paid'] },
  { types: ['Paid', 'Opened'] },
  { categories: ['order', 'acct'], types: ['Paid'] },
  { streamPrefix: 'acct-', types: ['Opened'] },
];

/** A log in several categories, with a truncated stream and a deleted one, so a scavenge has work. */
export async function fillCategoryLog(store: EventStore): Promise<void> {
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 5; i++) await store.append(`order-${i}`, [{ type: 'Placed', data: { round } }, { type: 'Paid', data: { round } }]);
    for (let i = 0; i < 3; i++) await store.append(`acct-${i}`, [{ type: round === 0 ? 'Opened' : 'Paid', data: { round } }]);
    if (round % 3 === 0) await store.append('rare-1', [{ type: 'Paid', data: { round } }]);
    await store.append('solo', [{ type: 'Noted', data: { round } }]);
  }
  await store.setStreamMetadata('order-1', { maxCount: 2 });
  await store.deleteStream('acct-2');
}

/** Each filter's positions, read in pages of `limit`. */
export async function filteredPositions(store: EventStore, limit: number): Promise<number[][]> {
  const all = [];
  for (const filter of FILTERS) {
    const positions: number[] = [];
    let after: number | null = 0;
    while (after !== null) {
      const page = await store.readAll({ ...filter, after, limit });
      positions.push(...page.events.map((e) => e.position));
      after = page.next;
    }
    all.push(positions);
  }
  return all;
}

/** Checks every filtered read against the unfiltered log filtered in code; returns the positions read. */
export async function expectReadsMatchScan(store: EventStore): Promise<number[][]> {
  const log = await readWholeLog(store);
  const read = await filteredPositions(store, 3);
  expect(read).toEqual(
    FILTERS.map((filter) =>
      log
        .filter((e) => !filter.categories || filter.categories.includes(categoryOf(e.stream)))
        .filter((e) => !filter.types || filter.types.includes(e.type))
        .filter((e) => !filter.streamPrefix || e.stream.startsWith(filter.streamPrefix))
        .map((e) => e.position),
    ),
  );
  expect(read.every((positions) => positions.length > 0)).toBe(true);
  return read;
}
