import { TributaryError, wrongExpectedRevision } from './errors.js';

/**
 * What an append (or delete) expects of its stream, for optimistic concurrency:
 * - `'any'`: no check;
 * - `'no_stream'`: the stream has no events (never written, or soft-deleted);
 * - `'stream_exists'`: the stream has at least one event;
 * - a revision `n >= 0`: the stream's last event is at revision `n`.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** Where a stream stands when an expectation is checked. */
export interface StreamState {
  /** Last revision ever written, or -1 when never written. */
  readonly lastRevision: number;
  /** True when the stream has no readable head: never written or soft-deleted. */
  readonly absent: boolean;
}

const NAMED = new Set(['any', 'no_stream', 'stream_exists']);

/** Throws `INVALID_EXPECTED_REVISION` unless `value` is an ExpectedRevision. */
export function assertExpectedRevision(value: unknown): asserts value is ExpectedRevision {
  if (typeof value === 'string' && NAMED.has(value)) return;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return;
  throw new TributaryError(
    'INVALID_EXPECTED_REVISION',
    `expected revision must be "any", "no_stream", "stream_exists" or an integer >= 0, got ${JSON.stringify(value)}`,
    { expected: value ?? null },
  );
}

/**
 * Parses an expected revision written as text (CLI flags, query strings):
 * the three names, or a decimal revision.
 */
export function parseExpectedRevision(text: string): ExpectedRevision {
  const value: unknown = /^\d+$/.test(text) ? Number(text) : text;
  assertExpectedRevision(value);
  return value;
}

/**
 * Throws `WRONG_EXPECTED_REVISION` when `state` does not meet `expected`.
 * A soft-deleted stream meets `no_stream` (it reads as absent) and its last
 * revision (appends continue its numbering); it never meets `stream_exists`.
 */
export function checkExpectedRevision(stream: string, expected: ExpectedRevision, state: StreamState): void {
  let ok: boolean;
  if (expected === 'any') ok = true;
  else if (expected === 'no_stream') ok = state.absent;
  else if (expected === 'stream_exists') ok = !state.absent;
  else ok = expected === state.lastRevision;
  if (!ok) throw wrongExpectedRevision(stream, expected, state.lastRevision < 0 ? 'no_stream' : state.lastRevision);
}
