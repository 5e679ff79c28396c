import { afterEach, describe, expect, it } from 'vitest';
import { conditionScenarios, multiStreamScenarios, type ConsistencySizes, type ConsistencyStore } from '../../bench/lib/consistency-scenarios.js';
import { buildTagLog, checkSize, CUSTOMERS, FLAGGED, readTag, REGIONS, tagLogEvent, tagReads } from '../../bench/lib/tag-log.js';
import { openSqliteStore, type SqliteEventStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { AppendOptions } from '../../src/store/event-store.js';

// what the consistency benchmark measures must be what it says: these check the work, never its speed
const SIZES: ConsistencySizes = { calls: 6, perCaller: 5, streams: 3 };

let store: SqliteEventStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** The scenario's store, left open after the scenario closes it, with the options of every append it made. */
function opened(): { open: () => Promise<ConsistencyStore>; appendOptions: (AppendOptions | undefined)[] } {
  const opened = openSqliteStore({ path: ':memory:' });
  store = opened;
  const appendOptions: (AppendOptions | undefined)[] = [];
  const view: ConsistencyStore = {
    append: (stream, events, options) => (appendOptions.push(options), opened.append(stream, events, options)),
    appendMany: (appends, options) => opened.appendMany(appends, options),
    headPosition: () => opened.headPosition(),
    close: async () => undefined,
  };
  return { open: async () => view, appendOptions };
}

async function wholeLog() {
  const page = await store!.readAll({ limit: 10_000 });
  return page.events;
}

describe('the multi-stream scenarios', () => {
  it('appendMany writes two streams, one event each, per call: a concurrent caller keeps its own two streams', async () => {
    const { open } = opened();
    const figures = await multiStreamScenarios(SIZES, open).appendMany(4)();
    const events = await wholeLog();
    expect(events).toHaveLength(4 * SIZES.perCaller * 2);
    for (let i = 0; i < events.length; i += 2) {
      const [first, second] = [events[i]!, events[i + 1]!];
      expect(second.position).toBe(first.position + 1);
      expect(first.stream).toMatch(/^account-(\d*[02468])$/);
      expect(second.stream).toBe(`account-${Number(first.stream.slice('account-'.length)) + 1}`);
    }
    expect(new Set(events.map((event) => event.stream)).size).toBe(8);
    expect(figures['events']).toBe(events.length);
  });

  it('the baseline appends the same two events to one stream per call; one caller takes the streams in turn', async () => {
    const { open } = opened();
    const figures = await multiStreamScenarios(SIZES, open).append(1)();
    const events = await wholeLog();
    expect(events.map((event) => event.stream)).toEqual(Array.from({ length: SIZES.calls }, (_, call) => [`account-${call % 3}`, `account-${call % 3}`]).flat());
    expect(figures['events']).toBe(SIZES.calls * 2);
    expect(figures['rowsPerCommit']).toBe(2);
  });
});

describe('the conditional scenarios', () => {
  it('conditions every booking on its room tag after the head read before it, and every booking passes', async () => {
    const { open, appendOptions } = opened();
    await conditionScenarios(SIZES, open).conditional(4)();
    const events = await wholeLog();
    expect(events).toHaveLength(4 * SIZES.perCaller);
    for (const event of events) expect(event.tags).toEqual([`room:${event.stream.slice('room-'.length)}`]);
    for (const options of appendOptions) {
      const [item] = options!.condition!.failIfEventsMatch;
      expect(item!.tags).toHaveLength(1);
      expect(item!.tags![0]).toMatch(/^room:[0-3]$/);
    }
    // a caller's bookings follow each other, so each one's condition starts at or after its own previous booking
    const bookings = new Map<string, number[]>();
    for (const event of events) bookings.set(event.stream, [...(bookings.get(event.stream) ?? []), event.position]);
    const afters = new Map<string, number[]>();
    for (const options of appendOptions) {
      const room = `room-${options!.condition!.failIfEventsMatch[0]!.tags![0]!.slice('room:'.length)}`;
      afters.set(room, [...(afters.get(room) ?? []), options!.condition!.after!]);
    }
    for (const [room, positions] of bookings) {
      afters.get(room)!.slice(1).forEach((after, k) => expect(after).toBeGreaterThanOrEqual(positions[k]!));
    }
  });

  it("conditions each booking after its room's last booking, known from the answer, without reading the head", async () => {
    const { open, appendOptions } = opened();
    let headReads = 0;
    const counting = async () => {
      const store = await open();
      return { ...store, headPosition: async () => (headReads++, store.headPosition()) };
    };
    await conditionScenarios(SIZES, counting).conditionalKnownAfter(4)();
    const events = await wholeLog();
    expect(events).toHaveLength(4 * SIZES.perCaller);
    expect(headReads).toBe(0);
    const lastBooking = new Map<string, number>();
    const expectedAfters = events.map((event) => {
      const after = lastBooking.get(event.stream) ?? 0;
      lastBooking.set(event.stream, event.position);
      return [event.stream, after];
    });
    const afters = appendOptions.map((options) => [`room-${options!.condition!.failIfEventsMatch[0]!.tags![0]!.slice('room:'.length)}`, options!.condition!.after]);
    expect([...afters].sort()).toEqual([...expectedAfters].sort());
  });

  it.each(['unconditional', 'headReadThenUnconditional'] as const)('the baseline %s writes the same tagged bookings without a condition', async (baseline) => {
    const { open, appendOptions } = opened();
    await conditionScenarios(SIZES, open)[baseline](1)();
    const events = await wholeLog();
    expect(events.map((event) => event.tags)).toEqual(Array.from({ length: SIZES.calls }, (_, call) => [`room:${call % 3}`]));
    expect(appendOptions).toHaveLength(SIZES.calls);
    expect(appendOptions.every((options) => options === undefined)).toBe(true);
  });

  it('stops the run when a condition fails: a head read from before a booking of the same room conflicts', async () => {
    const { open } = opened();
    const stale = async () => ({ ...(await open()), headPosition: async () => 0 });
    await expect(conditionScenarios(SIZES, stale).conditional(1)()).rejects.toThrow(/met a conflict/);
  });
});

describe('the tag log', () => {
  it('gives each customer 0.1% of the events, each region 12.5%, and exactly 100 events the tag flagged', () => {
    const events = 1_000_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < events; i++) for (const tag of tagLogEvent(i, events).tags!) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    const reads = tagReads(events);
    expect(counts.size).toBe(CUSTOMERS + REGIONS + 1);
    for (let n = 0; n < CUSTOMERS; n++) expect(counts.get(reads.rare.tag(n))).toBe(reads.rare.matches);
    for (let n = 0; n < REGIONS; n++) expect(counts.get(reads.common.tag(n))).toBe(reads.common.matches);
    expect(counts.get('flagged')).toBe(FLAGGED);
    expect(reads.rare.matches).toBe(1000);
  });

  it('is built through the store, and a read of every kind of tag returns exactly its matches', async () => {
    const log = openSqliteStore({ path: ':memory:' });
    store = log;
    await buildTagLog(log, 10_000);
    expect(await log.headPosition()).toBe(10_000);
    const reads = tagReads(10_000);
    for (const read of [reads.rare, reads.fixed, reads.common]) {
      const figures = await readTag(log, read, 0.001);
      expect(figures['passes']).toBeGreaterThanOrEqual(1);
      expect(figures['rate']).toBeGreaterThan(0);
    }
    // spread over the whole log, one per hundred events
    const flagged = (await log.readAll({ tags: ['flagged'], limit: 1000 })).events.map((event) => event.position);
    expect(flagged[0]).toBeLessThanOrEqual(100);
    expect(flagged.at(-1)).toBeGreaterThan(9_900);
    expect(flagged.every((position, k) => k === 0 || position - flagged[k - 1]! === 100)).toBe(true);
  });

  it('stops the run when a read returns other than the tag\'s matches', async () => {
    const log = openSqliteStore({ path: ':memory:' });
    store = log;
    await buildTagLog(log, 10_000);
    await expect(readTag(log, { tag: () => 'flagged', matches: FLAGGED + 1 }, 0.001)).rejects.toThrow(/returned 100 events; 101 carry it/);
  });

  it('takes only sizes its layout divides evenly', () => {
    expect(() => checkSize(5_000)).toThrow(/at least 10,000/);
    expect(() => checkSize(10_500)).toThrow(/whole number of thousands/);
    expect(() => checkSize(20_000)).not.toThrow();
  });
});
