import type { AppendResult, EventData } from './event.js';
import { TributaryError, isTributaryError } from './errors.js';
import { assertExpectedRevision, type ExpectedRevision } from './expected-revision.js';
import { prepareEvents, type ProposedEvent } from './proposed-event.js';
import { assertStreamName } from './stream-name.js';

/** The most streams one multi-stream append may write. */
export const MAX_APPEND_STREAMS = 100;
/** The most events one multi-stream append may write, over all its streams. */
export const MAX_APPEND_EVENTS = 1000;

/**
 * One stream's part of a multi-stream append.
 *
 * ```ts
 * const debit: StreamAppend = { stream: 'account-1', expectedRevision: 4, events: [{ type: 'Debited', data: { amount: 50 } }] };
 * ```
 */
export interface StreamAppend {
  stream: string;
  events: readonly EventData[];
  /** Defaults to `'any'`. */
  expectedRevision?: ExpectedRevision;
}

/** The outcome of a multi-stream append: one result per stream, in the order given. */
export interface AppendManyResult {
  /** The position of the last event the call wrote (or, for a retry, had written). */
  position: number;
  streams: AppendResult[];
}

/** A multi-stream append's outcome from its streams' results. */
export function appendManyResult(streams: AppendResult[]): AppendManyResult {
  return { position: Math.max(...streams.map((result) => result.position)), streams };
}

/** One stream's part checked and serialised, ready for a backend. */
export interface PreparedAppend {
  readonly stream: string;
  readonly events: readonly ProposedEvent[];
  readonly expected: ExpectedRevision;
}

const FIELDS = new Set(['stream', 'events', 'expectedRevision']);

/**
 * Checks and serialises a multi-stream append, so nothing of a bad call is
 * written: at least one and at most 100 streams, each named once, at most
 * 1,000 events in all. Throws `INVALID_APPENDS`, or the code of the first bad
 * stream name, expected revision or event (its details name the part as `append`).
 */
export function prepareAppends(appends: readonly StreamAppend[]): PreparedAppend[] {
  if (!Array.isArray(appends)) throw invalidAppends('appends must be an array of {stream, events, expectedRevision?}', {});
  if (appends.length === 0) throw invalidAppends('a multi-stream append needs at least one stream', {});
  if (appends.length > MAX_APPEND_STREAMS) {
    throw invalidAppends(`a multi-stream append writes at most ${MAX_APPEND_STREAMS} streams, got ${appends.length}`, { streams: appends.length });
  }
  const streams = new Set<string>();
  let total = 0;
  const prepared = appends.map((part: StreamAppend | undefined, index) => {
    if (typeof part !== 'object' || part === null || Array.isArray(part)) throw invalidAppends(`append ${index} must be an object`, { append: index });
    const unknown = Object.keys(part).find((key) => !FIELDS.has(key) && (part as unknown as Record<string, unknown>)[key] !== undefined);
    if (unknown !== undefined) throw invalidAppends(`append ${index} has an unknown field ${JSON.stringify(unknown)}`, { append: index });
    const { stream, events } = part;
    const expected = part.expectedRevision === undefined ? 'any' : part.expectedRevision;
    try {
      assertStreamName(stream);
      assertExpectedRevision(expected);
    } catch (error) {
      throw namingPart(error, index);
    }
    if (streams.has(stream)) throw invalidAppends(`stream ${JSON.stringify(stream)} appears twice; give all its events in one append`, { append: index, stream });
    streams.add(stream);
    total += Array.isArray(events) ? events.length : 0;
    if (total > MAX_APPEND_EVENTS) {
      throw invalidAppends(`a multi-stream append writes at most ${MAX_APPEND_EVENTS} events in all`, { append: index, stream });
    }
    try {
      return { stream, events: prepareEvents(events), expected };
    } catch (error) {
      throw namingPart(error, index);
    }
  });
  assertDistinctIds(prepared);
  return prepared;
}

/** Checks that no event id is given twice across the parts: one id names one event. */
function assertDistinctIds(parts: readonly PreparedAppend[]): void {
  const seen = new Set<string>();
  parts.forEach((part, append) => {
    part.events.forEach((event, index) => {
      if (!event.idGiven) return;
      if (seen.has(event.id)) {
        throw new TributaryError('INVALID_EVENT', `append ${append}, event ${index}: id ${event.id} appears twice in the call`, {
          append,
          index,
          reason: 'id appears twice in the call',
        });
      }
      seen.add(event.id);
    });
  });
}

/** A part's refusal, naming the part: its code and details stay, with `append` added. */
export function namingPart(error: unknown, append: number): unknown {
  if (!isTributaryError(error)) return error;
  return new TributaryError(error.code, `append ${append}: ${error.message}`, { ...error.details, append });
}

function invalidAppends(reason: string, details: Record<string, unknown>): TributaryError {
  return new TributaryError('INVALID_APPENDS', reason, { ...details, reason });
}
