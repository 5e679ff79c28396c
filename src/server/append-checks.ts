import { TributaryError } from '../core/errors.js';
import type { EventData } from '../core/event.js';
import type { AppendCondition } from '../core/event-query.js';
import type { ExpectedRevision } from '../core/expected-revision.js';
import { assertEventDepths } from '../core/proposed-event.js';
import { namingPart, type StreamAppend } from '../core/stream-appends.js';
import { manyAppendCall, singleAppendCall } from '../store/append-calls.js';
import type { ServerLimits } from './limits.js';

/**
 * When the server refuses an append body (its schema or its limits), the
 * store's own refusal of the same body wins: `libraryCheck` runs the checks
 * the store would and throws what it would throw. So every door answers one
 * input with one code, and the checks cost nothing on the way to a write.
 */
export function refuseAsLibrary(refusal: unknown, libraryCheck: () => void): never {
  try {
    libraryCheck();
  } catch (error) {
    // an uncoded failure (a stack overflow on absurd nesting) is no refusal: the server's own stands
    if (error instanceof TributaryError) throw error;
  }
  throw refusal;
}

/** The checks `store.append` makes of its arguments, on a body as received. */
export function checkAppendAsLibrary(stream: string, body: unknown): void {
  if (!isObject(body)) return;
  singleAppendCall(stream, body['events'] as EventData[], { expectedRevision: body['expectedRevision'] as ExpectedRevision, condition: body['condition'] as AppendCondition });
}

/** The checks `store.appendMany` makes of its arguments, on a body as received. */
export function checkAppendManyAsLibrary(body: unknown): void {
  if (!isObject(body)) return;
  manyAppendCall(body['appends'] as StreamAppend[], { condition: body['condition'] as AppendCondition });
}

/** One stream's events in a body; `append` is its index in a multi-stream body. */
export interface EventsPart {
  events: readonly EventData[];
  append?: number;
}

/**
 * The server's own limits on an append (events per call, bytes per event),
 * which the library does not have: 413 with a coded error. Nesting depth is
 * checked first, since measuring an event serialises it, which recurses.
 */
export function checkEventLimits(parts: readonly EventsPart[], limits: ServerLimits, libraryCheck: () => void): void {
  try {
    for (const part of parts) {
      try {
        assertEventDepths(part.events);
      } catch (error) {
        throw part.append === undefined ? error : namingPart(error, part.append);
      }
    }
    checkSizes(parts, limits);
  } catch (error) {
    refuseAsLibrary(error, libraryCheck);
  }
}

function checkSizes(parts: readonly EventsPart[], limits: ServerLimits): void {
  const count = parts.reduce((total, part) => total + part.events.length, 0);
  if (count > limits.eventsPerAppend) {
    throw new TributaryError('TOO_MANY_EVENTS', `an append may carry at most ${limits.eventsPerAppend} events, got ${count}`, {
      limit: limits.eventsPerAppend,
      events: count,
    });
  }
  for (const { events, append } of parts) {
    events.forEach((event, index) => {
      const bytes = Buffer.byteLength(JSON.stringify(event.data) ?? '') + Buffer.byteLength(JSON.stringify(event.metadata ?? {}));
      if (bytes > limits.eventBytes) {
        const where = append === undefined ? `event ${index}` : `append ${append}, event ${index}`;
        throw new TributaryError('EVENT_TOO_LARGE', `${where} is ${bytes} bytes; at most ${limits.eventBytes} are accepted`, {
          ...(append === undefined ? {} : { append }),
          index,
          bytes,
          limit: limits.eventBytes,
        });
      }
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
