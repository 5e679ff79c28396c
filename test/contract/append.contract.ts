import { describe, expect, it } from 'vitest';
import { isEventId } from '../../src/core/event-id.js';
import type { ExpectedRevision } from '../../src/core/expected-revision.js';
import type { EventStore } from '../../src/store/event-store.js';
import { event, expectCode, readWholeLog, readWholeStream, SOME_UUID, withStore, type StoreHarness } from './harness.js';

export function appendContract(harness: StoreHarness): void {
  describe('append', () => {
    it('appends a batch at contiguous revisions from 0 and positions from 1', async () => {
      await withStore(harness, async (store) => {
        const result = await store.append('account-1', [event('Opened'), event('Deposited'), event('Withdrawn')]);
        expect(result.stream).toBe('account-1');
        expect(result.events.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(result.events.map((e) => e.position)).toEqual([1, 2, 3]);
        expect(result.nextExpectedRevision).toBe(2);
        expect(result.position).toBe(3);
        const more = await store.append('account-1', [event('Deposited')], { expectedRevision: 2 });
        expect(more).toMatchObject({ nextExpectedRevision: 3, position: 4 });
        expect(more.events[0]).toMatchObject({ revision: 3, position: 4 });
      });
    });

    it('numbers revisions per stream and positions across the whole log', async () => {
      await withStore(harness, async (store) => {
        await store.append('account-1', [event('A')]);
        await store.append('order-9', [event('B'), event('C')]);
        const third = await store.append('account-1', [event('D')]);
        expect(third.events[0]).toMatchObject({ revision: 1, position: 4 });
        const log = await readWholeLog(store);
        expect(log.map((e) => [e.stream, e.revision, e.position])).toEqual([
          ['account-1', 0, 1],
          ['order-9', 0, 2],
          ['order-9', 1, 3],
          ['account-1', 1, 4],
        ]);
      });
    });

    it('stores ids, types, data and metadata as given, stamped with a UTC time', async () => {
      await withStore(harness, async (store) => {
        const before = Date.now();
        const data = { text: 'naïve ☕ 𝄞 "quoted"\n', n: -1.5e-7, list: [1, null, true, { deep: [] }], empty: {} };
        const metadata = { correlationId: 'c-1', causationId: 'e-0', user: 'damon' };
        const result = await store.append('account-1', [
          event('Opened', data, { id: SOME_UUID.toUpperCase(), metadata }),
          event('Note', 'just a string'),
          event('Nothing', null),
          event('Numbers', [1, 2, 3]),
        ]);
        expect(result.events[0]!.id).toBe(SOME_UUID);
        const [first, second, third, fourth] = await readWholeStream(store, 'account-1');
        expect(first!.id).toBe(SOME_UUID);
        expect(first!.type).toBe('Opened');
        expect(first!.data).toEqual(data);
        expect(first!.metadata).toEqual(metadata);
        expect(second!.data).toBe('just a string');
        expect(second!.metadata).toEqual({});
        expect(third!.data).toBeNull();
        expect(fourth!.data).toEqual([1, 2, 3]);
        expect(first!.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(Date.parse(first!.recordedAt)).toBeGreaterThanOrEqual(before - 1000);
        expect(Date.parse(first!.recordedAt)).toBeLessThanOrEqual(Date.now() + 1000);
      });
    });

    it('generates distinct time-ordered UUIDs for events without ids', async () => {
      await withStore(harness, async (store) => {
        const result = await store.append('account-1', Array.from({ length: 50 }, () => event('E')));
        const ids = result.events.map((e) => e.id);
        expect(ids.every(isEventId)).toBe(true);
        expect(new Set(ids).size).toBe(50);
        expect([...ids].sort()).toEqual(ids);
        expect(ids.every((id) => id[14] === '7')).toBe(true);
      });
    });

    describe('expected revision', () => {
      type Setup = 'missing' | 'at revision 2' | 'soft-deleted at 2';
      const setups: Record<Setup, (store: EventStore) => Promise<void>> = {
        missing: async () => {},
        'at revision 2': async (store) => {
          await store.append('account-1', [event('A'), event('B'), event('C')]);
        },
        'soft-deleted at 2': async (store) => {
          await store.append('account-1', [event('A'), event('B'), event('C')]);
          await store.deleteStream('account-1');
        },
      };
      const cases: [Setup, ExpectedRevision, boolean, unknown][] = [
        ['missing', 'any', true, null],
        ['missing', 'no_stream', true, null],
        ['missing', 'stream_exists', false, 'no_stream'],
        ['missing', 0, false, 'no_stream'],
        ['at revision 2', 'any', true, null],
        ['at revision 2', 'no_stream', false, 2],
        ['at revision 2', 'stream_exists', true, null],
        ['at revision 2', 2, true, null],
        ['at revision 2', 1, false, 2],
        ['at revision 2', 3, false, 2],
        ['soft-deleted at 2', 'any', true, null],
        ['soft-deleted at 2', 'no_stream', true, null],
        ['soft-deleted at 2', 'stream_exists', false, 2],
        ['soft-deleted at 2', 2, true, null],
        ['soft-deleted at 2', 0, false, 2],
      ];
      for (const [setup, expected, succeeds, actual] of cases) {
        it(`stream ${setup}, expecting ${String(expected)}: ${succeeds ? 'appends' : 'WRONG_EXPECTED_REVISION'}`, async () => {
          await withStore(harness, async (store) => {
            await setups[setup](store);
            const head = await store.headPosition();
            const attempt = store.append('account-1', [event('X')], { expectedRevision: expected });
            if (succeeds) {
              const result = await attempt;
              const startsAt = setup === 'missing' ? 0 : 3;
              expect(result.events[0]!.revision).toBe(startsAt);
              expect(result.position).toBe(head + 1);
            } else {
              const error = await expectCode(attempt, 'WRONG_EXPECTED_REVISION');
              expect(error.details).toMatchObject({ stream: 'account-1', expected, actual });
              expect(await store.headPosition()).toBe(head);
            }
          });
        });
      }
    });

    describe('refuses bad input with a coded error and writes nothing', () => {
      const badNames: unknown[] = [
        ...['', 'a'.repeat(257), 'tab\there', 'nul\u0000', 'bell\u0007', 'c1\u0085', '-leading', 42, null],
        // invisible format characters (bidi override, zero-width space, byte order mark, soft hyphen) and lone surrogates
        ...['order-1\u202e2', 'order\u200b-1', '\ufefforder-1', 'or\u00adder-1', 'order-\ud800', 'order-\udc00x'],
      ];
      for (const name of badNames) {
        it(`stream name ${JSON.stringify(name)}`, async () => {
          await withStore(harness, async (store) => {
            await expectCode(store.append(name as string, [event('E')]), 'INVALID_STREAM_NAME');
            expect(await store.headPosition()).toBe(0);
          });
        });
      }

      it('accepts a name of exactly 256 characters and unicode names', async () => {
        await withStore(harness, async (store) => {
          await store.append('a'.repeat(256), [event('E')]);
          await store.append('café-☕ 1', [event('E')]);
          await store.append('emoji-😀𝄞', [event('E')]);
          expect((await store.readStream('café-☕ 1')).events).toHaveLength(1);
          expect((await store.readStream('emoji-😀𝄞')).events).toHaveLength(1);
        });
      });

      const badBatches: [string, unknown][] = [
        ['an empty batch', []],
        ['not an array', { type: 'E', data: {} }],
        ['an event without type', [{ data: {} }]],
        ['an empty type', [{ type: '', data: {} }]],
        ['a type with a newline', [{ type: 'A\nB', data: {} }]],
        ['an event without data', [{ type: 'E' }]],
        ['data that is not JSON', [{ type: 'E', data: () => 1 }]],
        ['data with a bigint', [{ type: 'E', data: { n: 1n } }]],
        ['an id that is not a UUID', [{ type: 'E', data: {}, id: 'order-1' }]],
        ['an id nested far too deep to print', [{ type: 'E', data: {}, id: deeplyNested(100_000) }]],
        ['the same id twice', [{ type: 'E', data: {}, id: SOME_UUID }, { type: 'F', data: {}, id: SOME_UUID }]],
        ['metadata that is an array', [{ type: 'E', data: {}, metadata: [] }]],
        ['a correlationId that is a number', [{ type: 'E', data: {}, metadata: { correlationId: 7 } }]],
        ['a good event followed by a bad one', [{ type: 'E', data: {} }, { type: 'F' }]],
        ['a type that is a number', [{ type: 12345, data: {} }]],
        ['a type that is a boolean', [{ type: true, data: {} }]],
        ['a type that is null', [{ type: null, data: {} }]],
        ['a type with a lone surrogate', [{ type: 'Placed\ud800', data: {} }]],
        ['a type with NUL', [{ type: 'Pla\u0000ced', data: {} }]],
        ['a metadata key with NUL', [{ type: 'E', data: {}, metadata: { 'a\u0000b': 1 } }]],
        ['a metadata key with a lone surrogate', [{ type: 'E', data: {}, metadata: { '\udc00': 1 } }]],
        ['an unknown field', [{ type: 'E', data: {}, metdata: {} }]],
        ['data nested 65 deep', [{ type: 'E', data: nested(65) }]],
        ['data nested 100,000 deep', [{ type: 'E', data: nested(100_000) }]],
        ['metadata nested 65 deep', [{ type: 'E', data: {}, metadata: { deep: nested(64) } }]],
        ['circular data', [{ type: 'E', data: circular() }]],
      ];
      for (const [label, batch] of badBatches) {
        it(label, async () => {
          await withStore(harness, async (store) => {
            await expectCode(store.append('account-1', batch as never), 'INVALID_EVENT');
            expect(await store.headPosition()).toBe(0);
            expect((await store.streamInfo('account-1')).lastRevision).toBe(-1);
          });
        });
      }

      it('accepts data and metadata nested exactly 64 deep, and any string in data values', async () => {
        await withStore(harness, async (store) => {
          const data = { deep: nested(63), text: 'lone \ud800 and nul \u0000 and \u202e' };
          await store.append('account-1', [event('E', data, { metadata: { deep: nested(63), note: '\udfff' } })]);
          const [stored] = await readWholeStream(store, 'account-1');
          expect(stored!.data).toEqual(data);
          expect(stored!.metadata).toEqual({ deep: nested(63), note: '\udfff' });
        });
      });

      for (const expected of [-1, 1.5, 'latest', null, '3', '0x1', '1', Number.MAX_SAFE_INTEGER + 1]) {
        it(`expected revision ${JSON.stringify(expected)}`, async () => {
          await withStore(harness, async (store) => {
            await expectCode(
              store.append('account-1', [event('E')], { expectedRevision: expected as never }),
              'INVALID_EXPECTED_REVISION',
            );
            expect(await store.headPosition()).toBe(0);
          });
        });
      }
    });
  });
}

/** Arrays nested `depth` deep: `nested(2)` is `[[]]`. */
function nested(depth: number): unknown {
  let value: unknown[] = [];
  for (let level = 1; level < depth; level++) value = [value];
  return value;
}

function circular(): unknown {
  const value: Record<string, unknown> = { a: 1 };
  value['self'] = value;
  return value;
}

/** An array nested `depth` deep, built without recursion. */
function deeplyNested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}
