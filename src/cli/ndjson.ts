import { TributaryError } from '../core/errors.js';
import type { EventData } from '../core/event.js';
import { prepareEvents } from '../core/proposed-event.js';

/**
 * Parses NDJSON events (`{"type","data","metadata"?,"id"?}` per line; blank
 * lines skipped), naming the 1-based line of the first bad one, before
 * anything is written. A line that is not a JSON object is `INVALID_NDJSON`;
 * an object the event rules refuse is `INVALID_EVENT`, the code the library
 * and HTTP give for the same event.
 */
export function parseEventLines(text: string): EventData[] {
  const events: EventData[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '') continue;
    const lineNumber = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw badLine(lineNumber, `not JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badLine(lineNumber, 'must be a JSON object with "type" and "data"');
    }
    try {
      prepareEvents([value as EventData]);
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
      const reason = typeof error.details['reason'] === 'string' ? error.details['reason'] : error.message;
      throw new TributaryError(error.code, `line ${lineNumber}: ${reason}`, { ...error.details, index: events.length, line: lineNumber });
    }
    events.push(value as EventData);
  }
  if (events.length === 0) throw new TributaryError('INVALID_EVENT', 'no events on standard input: an append needs at least one', { index: null, line: null });
  return events;
}

function badLine(line: number, reason: string): TributaryError {
  return new TributaryError('INVALID_NDJSON', `line ${line}: ${reason}`, { line, reason });
}
