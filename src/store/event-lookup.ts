import { TributaryError, invalidArgument } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import { nonNegativeInteger, pageLimit } from './options.js';
import { STREAM_TOMBSTONED } from './write-rules.js';

/**
 * Events found by what they are rather than where they sit: by id through the
 * `events_by_id` index, and by correlation id through `events_by_correlation`.
 * An event that no stream read could return (its stream deleted, or retention
 * hiding it) is not found here either.
 *
 * ```ts
 * const deposit = await store.lookup!.event('0193a5c2-7d1e-7c3a-9f00-1b2c3d4e5f60');
 * const transfer = await store.lookup!.correlated('transfer-7731', { limit: 100 });
 * ```
 */
export interface EventLookup {
  /** The event with this id, or undefined when none is stored or readable. */
  event(id: string): Promise<RecordedEvent | undefined>;
  /**
   * The readable events whose `metadata.correlationId` is `correlationId`, in
   * position order, after position `after` (default 0), at most `limit`
   * (default 100, at most 10,000). Errors: INVALID_ARGUMENT.
   */
  correlated(correlationId: string, options?: CorrelatedOptions): Promise<RecordedEvent[]>;
}

export interface CorrelatedOptions {
  /** Events after this position; 0 (the default) reads from the first. */
  after?: number;
  /** Default 100, at most 10,000. */
  limit?: number;
}

/** The checked options of a correlated read. */
export interface CorrelatedPlan {
  correlationId: string;
  after: number;
  limit: number;
}

/** Checks a correlated read's arguments; throws INVALID_ARGUMENT. */
export function planCorrelated(correlationId: unknown, options: CorrelatedOptions = {}): CorrelatedPlan {
  if (typeof correlationId !== 'string' || correlationId.length === 0) {
    throw invalidArgument('correlationId', `must be a non-empty string, got ${JSON.stringify(correlationId)}`);
  }
  return { correlationId, after: nonNegativeInteger('after', options.after ?? 0), limit: pageLimit(options.limit) };
}

/**
 * The SQL test, over events `e` joined to their stream `s`, that a stream read
 * applies: the stream is neither tombstoned nor soft-deleted past the event,
 * and its retention (truncateBefore, maxCount, maxAge at `now`) keeps it.
 * `now` is the placeholder of the current time in milliseconds.
 */
export function readableEventSql(now: string): string {
  // a soft delete moves deleted_before past the stream's last revision: the one test covers both
  return `s.state <> ${STREAM_TOMBSTONED} AND e.revision >= s.deleted_before AND (s.truncate_before IS NULL OR e.revision >= s.truncate_before)
    AND (s.max_count IS NULL OR e.revision > s.last_revision - s.max_count)
    AND (s.max_age IS NULL OR e.recorded_at >= ${now} - s.max_age * 1000)`;
}

/** EVENT_NOT_FOUND: also the answer to a caller that may not learn whether the event exists. */
export function eventNotFound(eventId: string): TributaryError {
  return new TributaryError('EVENT_NOT_FOUND', `no event with id ${JSON.stringify(eventId)} is stored`, { eventId });
}
