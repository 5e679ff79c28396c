import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEventId, newEventId } from '../../src/core/event-id.js';
import { parseExpectedRevision } from '../../src/core/expected-revision.js';
import { causedBy } from '../../src/core/causation.js';
import { assertStreamName, categoryOf } from '../../src/core/stream-name.js';
import { retentionOf } from '../../src/store/retention.js';

describe('stream names', () => {
  it('takes the category from before the first dash, or the whole name', () => {
    expect(categoryOf('account-12345')).toBe('account');
    expect(categoryOf('order-2026-11-26')).toBe('order');
    expect(categoryOf('account')).toBe('account');
    expect(categoryOf('account-')).toBe('account');
  });

  it('accepts any printable name up to 256 characters that does not start with a dash', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme-ascii' }), (name) => {
        fc.pre(!name.startsWith('-') && !/[\u0000-\u001f\u007f]/.test(name));
        assertStreamName(name);
      }),
    );
  });
});

describe('event ids', () => {
  it('are version 7 UUIDs that sort in the order they were made', () => {
    const ids = Array.from({ length: 20_000 }, () => newEventId());
    expect(ids.every(isEventId)).toBe(true);
    expect(ids.every((id) => id[14] === '7' && '89ab'.includes(id[19]!))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carry the current time in their first 48 bits', () => {
    const before = Date.now();
    const id = newEventId();
    const millis = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(Date.now() + 5);
  });
});

describe('expected revisions in text', () => {
  it('parses the names and whole numbers, and refuses the rest', () => {
    expect(parseExpectedRevision('any')).toBe('any');
    expect(parseExpectedRevision('no_stream')).toBe('no_stream');
    expect(parseExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(parseExpectedRevision('42')).toBe(42);
    for (const bad of ['-1', '1.5', 'ANY', '', 'latest']) {
      expect(() => parseExpectedRevision(bad)).toThrow(expect.objectContaining({ code: 'INVALID_EXPECTED_REVISION' }) as Error);
    }
  });
});

describe('causation', () => {
  it('keeps the correlation id of the cause, or starts one from its id', () => {
    expect(causedBy({ id: 'e-1', metadata: {} }, { user: 'd' })).toEqual({ user: 'd', correlationId: 'e-1', causationId: 'e-1' });
    expect(causedBy({ id: 'e-2', metadata: { correlationId: 'c-9' } })).toEqual({ correlationId: 'c-9', causationId: 'e-2' });
  });
});

describe('retention', () => {
  it('takes the highest floor of deletion, truncate-before and max count', () => {
    expect(retentionOf(9, 0, {}, 0)).toEqual({ minRevision: 0, minRecordedAt: 0 });
    expect(retentionOf(9, 0, { maxCount: 3 }, 0)).toEqual({ minRevision: 7, minRecordedAt: 0 });
    expect(retentionOf(9, 8, { maxCount: 3, truncateBefore: 2 }, 0)).toEqual({ minRevision: 8, minRecordedAt: 0 });
    expect(retentionOf(9, 0, { maxAge: 10 }, 100_000)).toEqual({ minRevision: 0, minRecordedAt: 90_000 });
  });
});
