import { TributaryError } from '../core/errors.js';
import type { EventData } from '../core/event.js';
import { prepareEvents } from '../core/proposed-event.js';
import type { StreamAppend } from '../core/stream-appends.js';
import { assertStreamName } from '../core/stream-name.js';

/**
 * Parses NDJSON events (`{"type","data","metadata"?,"id"?,"tags"?}` per line;
 * blank lines skipped), naming the 1-based line of the first bad one, before
 * anything is written. A line that is not a JSON object is `INVALID_NDJSON`;
 * an object the event rules refuse gets the code the library and HTTP give
 * for the same event (`INVALID_EVENT`, `INVALID_TAG`).
 */
export function parseEventLines(text: string): EventData[] {
  const events: EventData[] = [];
  for (const { value, line } of objectLines(text, 'must be a JSON object with "type" and "data"')) {
    checkEvent(value as EventData, line, events.length);
    events.push(value as EventData);
  }
  if (events.length === 0) throw new TributaryError('INVALID_EVENT', 'no events on standard input: an append needs at least one', { index: null, line: null });
  return events;
}

/**
 * Parses NDJSON lines `{"stream","event"}` into a multi-stream append: each
 * stream's events in line order, the streams in the order they first appear.
 * Bad lines are refused as `parseEventLines` refuses them, naming the line;
 * a bad stream name is `INVALID_STREAM_NAME`.
 *
 * ```ts
 * parseAppendLines('{"stream":"account-1","event":{"type":"Debited","data":{"amount":5}}}\n');
 * ```
 */
export function parseAppendLines(text: string): StreamAppend[] {
  const byStream = new Map<string, EventData[]>();
  for (const { value, line } of objectLines(text, 'must be a JSON object {"stream", "event"}')) {
    const { stream, event, ...rest } = value as { stream?: unknown; event?: unknown };
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw badLine(line, `has an unknown field ${JSON.stringify(extra)}; a line is {"stream", "event"}`);
    if (stream === undefined || event === undefined) throw badLine(line, 'must have "stream" and "event"');
    try {
      assertStreamName(stream);
    } catch (error) {
      throw onLine(error, line, {});
    }
    const events = byStream.get(stream) ?? [];
    checkEvent(event as EventData, line, events.length);
    events.push(event as EventData);
    byStream.set(stream, events);
  }
  if (byStream.size === 0) throw new TributaryError('INVALID_APPENDS', 'no lines on standard input: a multi-stream append needs at least one stream', { line: null });
  return [...byStream].map(([stream, events]) => ({ stream, events }));
}

function* objectLines(text: string, shape: string): Generator<{ value: object; line: number }> {
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const content = lines[index]!.trim();
    if (content === '') continue;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      throw badLine(line, `not JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badLine(line, shape);
    yield { value, line };
  }
}

/** The library's check of one event, its refusal naming the line. */
function checkEvent(event: EventData, line: number, index: number): void {
  try {
    prepareEvents([event]);
  } catch (error) {
    throw onLine(error, line, { index });
  }
}

function onLine(error: unknown, line: number, details: Record<string, unknown>): unknown {
  if (!(error instanceof TributaryError)) return error;
  const reason = typeof error.details['reason'] === 'string' ? error.details['reason'] : error.message;
  return new TributaryError(error.code, `line ${line}: ${reason}`, { ...error.details, ...details, line });
}

function badLine(line: number, reason: string): TributaryError {
  return new TributaryError('INVALID_NDJSON', `line ${line}: ${reason}`, { line, reason });
}
