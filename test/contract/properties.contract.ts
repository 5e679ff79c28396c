import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import type { AppendResult, EventData } from '../../src/core/event.js';
import type { ExpectedRevision } from '../../src/core/expected-revision.js';
import type { EventStore, LogFilter } from '../../src/store/event-store.js';
import { readWholeLog, readWholeStream, withStore, type StoreHarness } from './harness.js';

const STREAMS = ['acct-1', 'acct-2', 'order-1'];
const DEFAULT_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 25);

const expectedArb: fc.Arbitrary<ExpectedRevision> = fc.oneof(
  fc.constantFrom<ExpectedRevision>('any', 'no_stream', 'stream_exists'),
  fc.integer({ min: 0, max: 8 }),
);

const appendArb = fc.record({
  stream: fc.constantFrom(...STREAMS),
  size: fc.integer({ min: 1, max: 4 }),
  expected: expectedArb,
  type: fc.constantFrom('Opened', 'Deposited', 'Withdrawn'),
  payload: fc.jsonValue({ maxDepth: 2 }),
});
interface AppendOp {
  stream: string;
  size: number;
  expected: ExpectedRevision;
  type: string;
  payload: fc.JsonValue;
}

/** A deterministic event id per (operation, index), so retries can reuse it. */
function idOf(op: number, index: number): string {
  const hex = (op * 16 + index).toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

function eventsOf(op: AppendOp, opIndex: number, withIds: boolean): EventData[] {
  return Array.from({ length: op.size }, (_, index) => ({
    type: op.type,
    data: { op: opIndex, index, payload: op.payload },
    ...(withIds ? { id: idOf(opIndex, index) } : {}),
  }));
}

/** The rules of expected revisions, restated for a model of streams that are never deleted. */
function modelAllows(expected: ExpectedRevision, length: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return length === 0;
  if (expected === 'stream_exists') return length > 0;
  return expected === length - 1;
}

/** Every stream reads as contiguous revisions from 0, and each batch is all there or not at all. */
async function assertContiguousAndAtomic(store: EventStore, sizes: Map<number, number>) {
  const present = new Map<number, number[]>();
  for (const stream of STREAMS) {
    const info = await store.streamInfo(stream);
    if (!info.exists) continue;
    const events = await readWholeStream(store, stream);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
    for (const e of events) {
      const { op, index } = e.data as { op: number; index: number };
      present.set(op, [...(present.get(op) ?? []), index]);
    }
  }
  for (const [op, indexes] of present) {
    expect(indexes).toEqual(Array.from({ length: sizes.get(op)! }, (_, i) => i));
  }
}

export function propertiesContract(harness: StoreHarness): void {
  const RUNS = harness.propertyRuns ?? DEFAULT_RUNS;
  describe('invariants (property-based)', () => {
    it('invariant 1: appends follow the expected-revision rules; revisions stay contiguous; batches are atomic', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(appendArb, { minLength: 1, maxLength: 30 }), async (ops) => {
          await withStore(harness, async (store) => {
            const model = new Map<string, unknown[]>(STREAMS.map((s) => [s, []]));
            const sizes = new Map<number, number>();
            for (const [opIndex, op] of ops.entries()) {
              sizes.set(opIndex, op.size);
              const events = eventsOf(op, opIndex, false);
              const stream = model.get(op.stream)!;
              const allowed = modelAllows(op.expected, stream.length);
              let result: AppendResult | undefined;
              try {
                result = await store.append(op.stream, events, { expectedRevision: op.expected });
              } catch (error) {
                if (!isTributaryError(error, 'WRONG_EXPECTED_REVISION')) throw error;
              }
              expect(result !== undefined).toBe(allowed);
              if (result) {
                expect(result.events.map((e) => e.revision)).toEqual(events.map((_, i) => stream.length + i));
                // the store keeps JSON: what comes back is the JSON round trip (-0 reads as 0)
                stream.push(...events.map((e) => JSON.parse(JSON.stringify(e.data)) as unknown));
              }
            }
            for (const [name, expected] of model) {
              const actual = (await store.streamInfo(name)).exists ? await readWholeStream(store, name) : [];
              expect(actual.map((e) => e.data)).toEqual(expected);
            }
            await assertContiguousAndAtomic(store, sizes);
          });
        }),
        { numRuns: RUNS },
      );
    });

    it('invariant 1 under concurrency: concurrent batches land whole, or not at all, at contiguous revisions', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(appendArb, { minLength: 2, maxLength: 40 }), async (ops) => {
          await withStore(harness, async (store) => {
            const sizes = new Map(ops.map((op, i) => [i, op.size]));
            const outcomes = await Promise.allSettled(
              ops.map((op, opIndex) => store.append(op.stream, eventsOf(op, opIndex, false), { expectedRevision: op.expected })),
            );
            for (const outcome of outcomes) {
              if (outcome.status === 'rejected') expect(isTributaryError(outcome.reason, 'WRONG_EXPECTED_REVISION')).toBe(true);
            }
            await assertContiguousAndAtomic(store, sizes);
            const succeeded = outcomes.filter((o) => o.status === 'fulfilled').length;
            const present = new Set((await readWholeLog(store)).map((e) => (e.data as { op: number }).op));
            expect(present.size).toBe(succeeded);
          });
        }),
        { numRuns: RUNS },
      );
    });

    it('invariant 2: retrying a stored append returns its original result and writes nothing; changed content conflicts', async () => {
      const stepArb = fc.oneof(
        { arbitrary: appendArb.map((op) => ({ kind: 'append' as const, op })), weight: 3 },
        { arbitrary: fc.nat().map((n) => ({ kind: 'retry' as const, n })), weight: 2 },
        { arbitrary: fc.nat().map((n) => ({ kind: 'tamper' as const, n })), weight: 1 },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 30 }), async (steps) => {
          await withStore(harness, async (store) => {
            const stored: { op: AppendOp; opIndex: number; result: AppendResult }[] = [];
            for (const [opIndex, step] of steps.entries()) {
              if (step.kind === 'append') {
                try {
                  const result = await store.append(step.op.stream, eventsOf(step.op, opIndex, true), {
                    expectedRevision: step.op.expected,
                  });
                  stored.push({ op: step.op, opIndex, result });
                } catch (error) {
                  if (!isTributaryError(error, 'WRONG_EXPECTED_REVISION')) throw error;
                }
                continue;
              }
              if (stored.length === 0) continue;
              const { op, opIndex: original, result } = stored[step.n % stored.length]!;
              const head = await store.headPosition();
              const events = eventsOf(op, original, true);
              if (step.kind === 'retry') {
                expect(await store.append(op.stream, events, { expectedRevision: 'no_stream' })).toEqual(result);
              } else {
                events[0] = { ...events[0]!, data: { tampered: true } };
                await expect(store.append(op.stream, events)).rejects.toMatchObject({ code: 'EVENT_ID_CONFLICT' });
              }
              expect(await store.headPosition()).toBe(head);
            }
            const log = await readWholeLog(store);
            expect(log.map((e) => e.id)).toEqual(stored.flatMap((s) => s.result.events.map((e) => e.id)));
          });
        }),
        { numRuns: RUNS },
      );
    });

    it('invariant 3: a reader paging through the log while others append never sees a position twice or out of order, and misses nothing', async () => {
      const filterArb: fc.Arbitrary<LogFilter> = fc.oneof(
        fc.constant({}),
        fc.record({ categories: fc.subarray(['acct', 'order'], { minLength: 1 }) }),
        fc.record({ types: fc.subarray(['Opened', 'Deposited', 'Withdrawn'], { minLength: 1 }) }),
        fc.record({ streamPrefix: fc.constantFrom('acct-', 'order-1', 'a') }),
      );
      const batchesArb = fc.array(
        fc.record({ stream: fc.constantFrom(...STREAMS), size: fc.integer({ min: 1, max: 5 }), type: fc.constantFrom('Opened', 'Deposited', 'Withdrawn') }),
        { minLength: 1, maxLength: 40 },
      );
      await fc.assert(
        fc.asyncProperty(batchesArb, filterArb, fc.integer({ min: 1, max: 7 }), async (batches, filter, pageSize) => {
          await withStore(harness, async (store) => {
            const reader = await harness.openAnother(store);
            let writing = true;
            const writers = Promise.allSettled(
              batches.map(async (batch, i) => {
                await new Promise((resolve) => setTimeout(resolve, i % 5));
                return store.append(batch.stream, Array.from({ length: batch.size }, () => ({ type: batch.type, data: { i } })));
              }),
            ).finally(() => (writing = false));
            try {
              const seen: number[] = [];
              let after = 0;
              for (;;) {
                const stillWriting = writing;
                const page = await reader.readAll({ ...filter, after, limit: pageSize });
                for (const e of page.events) {
                  expect(e.position).toBeGreaterThan(seen[seen.length - 1] ?? 0);
                  seen.push(e.position);
                }
                // a null next means "caught up": go on from the last event seen
                after = page.next ?? seen[seen.length - 1] ?? after;
                if (page.next !== null) continue;
                if (!stillWriting) break;
                await new Promise((resolve) => setImmediate(resolve));
              }
              expect((await writers).every((outcome) => outcome.status === 'fulfilled')).toBe(true);
              const expected = (await readWholeLog(store)).filter((e) => matches(e, filter)).map((e) => e.position);
              expect(seen).toEqual(expected);
            } finally {
              await writers;
              await reader.close();
            }
          });
        }),
        { numRuns: RUNS },
      );
    });

    it('invariant 4: a filtered read, paged at any size, returns exactly the unfiltered log filtered in code, before and after truncations, deletes and scavenges', async () => {
      const names = ['acct-1', 'acct-2', 'order-1', 'order-2', 'rare-1', 'plain'];
      const kinds = ['Opened', 'Deposited', 'Withdrawn'];
      const stepArb = fc.oneof(
        fc.record({ kind: fc.constant('append' as const), stream: fc.constantFrom(...names), size: fc.integer({ min: 1, max: 6 }), type: fc.constantFrom(...kinds) }),
        fc.record({ kind: fc.constant('truncate' as const), stream: fc.constantFrom(...names), keep: fc.integer({ min: 0, max: 3 }) }),
        fc.record({ kind: fc.constant('delete' as const), stream: fc.constantFrom(...names) }),
        fc.record({ kind: fc.constant('scavenge' as const) }),
      );
      const filterArb: fc.Arbitrary<LogFilter> = fc.record(
        {
          categories: fc.subarray(['acct', 'order', 'rare', 'plain', 'none'], { minLength: 1 }),
          types: fc.subarray([...kinds, 'Never'], { minLength: 1 }),
          streamPrefix: fc.constantFrom('acct-', 'order-1', 'r', 'p'),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 30 }), fc.array(filterArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 9 }), async (steps, filters, pageSize) => {
          await withStore(harness, async (store) => {
            const check = async () => {
              const log = await readWholeLog(store);
              for (const filter of filters) {
                const seen: number[] = [];
                let after: number | null = 0;
                while (after !== null) {
                  const page = await store.readAll({ ...filter, after, limit: pageSize });
                  expect(page.events.length).toBeLessThanOrEqual(pageSize);
                  seen.push(...page.events.map((e) => e.position));
                  after = page.next;
                }
                expect(seen).toEqual(log.filter((e) => matches(e, filter)).map((e) => e.position));
              }
            };
            for (const step of steps) {
              if (step.kind === 'append') await store.append(step.stream, Array.from({ length: step.size }, () => ({ type: step.type, data: {} })));
              if (step.kind === 'truncate') await store.setStreamMetadata(step.stream, { maxCount: step.keep + 1 }).catch(refusedForAbsence);
              if (step.kind === 'delete') await store.deleteStream(step.stream).catch(refusedForAbsence);
              if (step.kind === 'scavenge') {
                await check();
                await store.scavenge();
              }
            }
            await check();
          });
        }),
        { numRuns: RUNS },
      );
    });
  });
}

/** Swallows only the refusal of a step aimed at a stream that is missing or deleted. */
function refusedForAbsence(error: unknown): void {
  if (!isTributaryError(error, 'STREAM_NOT_FOUND') && !isTributaryError(error, 'STREAM_DELETED')) throw error;
}

function matches(e: { stream: string; type: string }, filter: LogFilter): boolean {
  const category = e.stream.split('-')[0]!;
  if (filter.categories && !filter.categories.includes(category)) return false;
  if (filter.types && !filter.types.includes(e.type)) return false;
  if (filter.streamPrefix && !e.stream.startsWith(filter.streamPrefix)) return false;
  return true;
}
