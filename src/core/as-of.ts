import { TributaryError } from './errors.js';

/**
 * A point in the log to read as of: a position (from 1), or a time — a `Date`
 * or ISO 8601 text with a date — that stands for the last position recorded
 * at or before it.
 *
 * ```ts
 * await store.readStream('account-12345', { asOf: '2026-03-01T00:00:00Z' });
 * await store.readAll({ asOf: 1_204 });
 * ```
 */
export type AsOf = number | string | Date;

/** A checked `AsOf`: a position still to be compared with the head, or a time in milliseconds since the epoch. */
export type ParsedAsOf = { position: number } | { time: number };

// a date, optionally a time with seconds and fractions, optionally a zone; Date.parse alone accepts too much ("1", "March 3")
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Checks an `AsOf` without looking at the store: a whole number from 1 (or
 * decimal digits, as a query string carries it) is a position, ISO 8601 text
 * or a valid `Date` a time. Throws INVALID_AS_OF naming what is wrong.
 */
export function parseAsOf(value: unknown): ParsedAsOf {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 1) throw invalidAsOf(value, 'a position is a whole number from 1');
    return { position: value };
  }
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) throw invalidAsOf(String(value), 'the Date is invalid');
    return { time };
  }
  if (typeof value !== 'string') throw invalidAsOf(value, 'must be a position or an ISO 8601 time');
  if (/^\d+$/.test(value)) return parseAsOf(Number(value));
  const time = ISO_8601.test(value) && isCalendarDate(value) ? Date.parse(utcUnlessZoned(value)) : Number.NaN;
  if (Number.isNaN(time)) throw invalidAsOf(value, 'is neither a position nor an ISO 8601 time such as 2026-03-01T12:00:00Z');
  return { time };
}

/** True when the text's date exists: Date.parse rolls 2026-02-30 over to March 2 instead of refusing it. */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A time without a zone is UTC, the store's clock, whatever the zone of the machine that reads it. */
function utcUnlessZoned(text: string): string {
  const iso = text.replace(' ', 'T');
  if (iso.length === 10) return `${iso}T00:00:00Z`;
  return /(?:Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`;
}

/** The error for a position past the head of the log. */
export function asOfBeyondHead(position: number, head: number): TributaryError {
  return new TributaryError('INVALID_AS_OF', `position ${position} is beyond the head of the log (${head})`, {
    asOf: position,
    reason: 'beyond the head',
    head,
  });
}

export function invalidAsOf(value: unknown, reason: string): TributaryError {
  return new TributaryError('INVALID_AS_OF', `as of ${JSON.stringify(value)}: ${reason}`, { asOf: value, reason });
}
