import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAsOf } from '../../src/core/as-of.js';
import { isTributaryError } from '../../src/core/errors.js';
import { searchPositionAt } from '../../src/store/position-at.js';

describe('parseAsOf', () => {
  it('reads positions and ISO 8601 times, zone-less times as UTC', () => {
    expect(parseAsOf(3)).toEqual({ position: 3 });
    expect(parseAsOf('12')).toEqual({ position: 12 });
    expect(parseAsOf('2026-03-01')).toEqual({ time: Date.UTC(2026, 2, 1) });
    expect(parseAsOf('2026-03-01T12:00')).toEqual({ time: Date.UTC(2026, 2, 1, 12) });
    expect(parseAsOf('2026-03-01 12:00:00.5')).toEqual({ time: Date.UTC(2026, 2, 1, 12, 0, 0, 500) });
    expect(parseAsOf('2026-03-01T12:00:00+02:00')).toEqual({ time: Date.UTC(2026, 2, 1, 10) });
    expect(parseAsOf(new Date(5))).toEqual({ time: 5 });
  });

  it.each([0, -1, 1.5, '0', 'yesterday', '2026-13-01', '2026-02-30', '2026-04-31T00:00:00Z', '2026-03-01T25:00Z', 'March 3', '', null, true, new Date(Number.NaN)])(
    'refuses %s with INVALID_AS_OF',
    (value) => {
      expect(() => parseAsOf(value)).toThrow(expect.objectContaining({ code: 'INVALID_AS_OF' }));
      try {
        parseAsOf(value);
      } catch (error) {
        expect(isTributaryError(error, 'INVALID_AS_OF')).toBe(true);
      }
    },
  );
});

describe('searchPositionAt', () => {
  it('finds the last position recorded at or before a time, over gaps, in about log2(head) lookups', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.integer({ min: 1, max: 3 }), step: fc.integer({ min: 0, max: 5 }) }), { maxLength: 200 }),
        fc.integer({ min: -5, max: 1_100 }),
        async (steps, time) => {
          const log: { position: number; recordedAt: number }[] = [];
          let position = 0;
          let recordedAt = 0;
          for (const { gap, step } of steps) log.push({ position: (position += gap), recordedAt: (recordedAt += step) });
          let lookups = 0;
          const found = await searchPositionAt(time, position, async (at) => {
            lookups++;
            return log.find((event) => event.position >= at);
          });
          const expected = log.filter((event) => event.recordedAt <= time).at(-1)?.position ?? 0;
          expect(found).toBe(expected);
          expect(lookups).toBeLessThanOrEqual(Math.ceil(Math.log2(position + 2)) + 1);
        },
      ),
    );
  });
});
