import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../../src/core/json-depth.js';
import { assertEventDepths, prepareEvents } from '../../src/core/proposed-event.js';
import { assertStreamName, streamNameProblem } from '../../src/core/stream-name.js';
import { checkStreamMetadata } from '../../src/store/options.js';

/** Arrays nested `depth` deep: `nested(2)` is `[[]]`. */
function nested(depth: number, inner: unknown = []): unknown {
  let value: unknown = inner;
  for (let level = 1; level < depth; level++) value = [value];
  return value;
}

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded ${String(error)}`;
  }
};

describe('nesting depth', () => {
  it('counts nested objects and arrays; scalars are 0 deep', () => {
    expect(exceedsJsonDepth(5, 0)).toBe(false);
    expect(exceedsJsonDepth('deep', 0)).toBe(false);
    expect(exceedsJsonDepth(null, 0)).toBe(false);
    expect(exceedsJsonDepth({}, 0)).toBe(true);
    expect(exceedsJsonDepth({}, 1)).toBe(false);
    expect(exceedsJsonDepth({ a: [1, { b: 2 }] }, 2)).toBe(true);
    expect(exceedsJsonDepth({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(exceedsJsonDepth([1, 2, [3, [4]], 'x'], 2)).toBe(true);
  });

  it('agrees with a recursive measure on random JSON', () => {
    const depthOf = (value: unknown): number =>
      typeof value !== 'object' || value === null ? 0 : 1 + Math.max(0, ...(Array.isArray(value) ? value : Object.values(value)).map(depthOf));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (value, limit) => {
        expect(exceedsJsonDepth(value, limit)).toBe(depthOf(value) > limit);
      }),
    );
  });

  it('measures 300,000 levels without overflowing the stack, and stops on a cycle', () => {
    expect(exceedsJsonDepth(nested(300_000))).toBe(true);
    expect(exceedsJsonDepth(JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)))).toBe(true);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = { back: cycle, other: [cycle, cycle] };
    expect(exceedsJsonDepth(cycle)).toBe(true);
  });

  it(`refuses event data and metadata deeper than ${MAX_JSON_DEPTH} with INVALID_EVENT, naming the event`, () => {
    expect(prepareEvents([{ type: 'E', data: nested(64) }])).toHaveLength(1);
    expect(prepareEvents([{ type: 'E', data: { a: nested(63) }, metadata: { a: nested(63) } }])).toHaveLength(1);
    expect(codeOf(() => prepareEvents([{ type: 'E', data: nested(65) }]))).toBe('INVALID_EVENT');
    expect(codeOf(() => prepareEvents([{ type: 'E', data: {}, metadata: { a: nested(64) } }]))).toBe('INVALID_EVENT');
    expect(codeOf(() => prepareEvents([{ type: 'E', data: nested(100_000) }]))).toBe('INVALID_EVENT');
    expect(() => assertEventDepths([{ type: 'E', data: 1 }, { type: 'E', data: nested(65) }])).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT', details: expect.objectContaining({ index: 1 }) as unknown }) as Error,
    );
    expect(() => assertEventDepths([{ type: 'E', data: nested(64) }])).not.toThrow();
  });

  it('refuses stream metadata whose custom part nests too deep with INVALID_STREAM_METADATA', () => {
    expect(checkStreamMetadata({ custom: { a: nested(63) } })).toEqual({ custom: { a: nested(63) } });
    expect(codeOf(() => checkStreamMetadata({ custom: { a: nested(64) } }))).toBe('INVALID_STREAM_METADATA');
    expect(codeOf(() => checkStreamMetadata({ custom: { a: nested(100_000) } }))).toBe('INVALID_STREAM_METADATA');
  });
});

describe('text the core refuses', () => {
  it('refuses stream names with invisible format characters, controls or lone surrogates', () => {
    const bad = ['order-1\u202e', 'order-\u200b1', '\ufeffx', 'a\u00adb', 'a\u2066b', 'tag\u{e0041}', 'x\ud800', 'x\udc00y', 'x\u0000', 'x\u0085'];
    for (const name of bad) {
      expect(streamNameProblem(name), JSON.stringify(name)).toBeDefined();
      expect(codeOf(() => assertStreamName(name))).toBe('INVALID_STREAM_NAME');
    }
    for (const name of ['order-😀', 'naïve-☕', 'ελληνικά-1', '注文-1', 'a b-c', 'x\u{1d11e}']) {
      expect(streamNameProblem(name), JSON.stringify(name)).toBeUndefined();
    }
  });

  it('refuses types with lone surrogates or NUL, metadata keys with either, and unknown fields; data strings may hold anything', () => {
    const refused = [
      { type: 'A\ud800', data: {} },
      { type: 'A\u0000', data: {} },
      { type: 'A', data: {}, metadata: { '\u0000': 1 } },
      { type: 'A', data: {}, metadata: { 'k\udbff': 1 } },
      { type: 'A', data: {}, extra: 1 },
      { type: 12345, data: {} },
      { type: true, data: {} },
    ];
    for (const event of refused) expect(codeOf(() => prepareEvents([event as never])), JSON.stringify(event)).toBe('INVALID_EVENT');
    const [event] = prepareEvents([{ type: 'A', data: { s: '\ud800\u0000\u202e' }, metadata: { note: '\udc00', [`k😀`]: 1 } }]);
    expect(JSON.parse(event!.dataJson)).toEqual({ s: '\ud800\u0000\u202e' });
    expect(prepareEvents([{ type: 'A', data: {}, id: undefined, metadata: undefined }])).toHaveLength(1);
  });
});
