import { TributaryError } from '../core/errors.js';
import type { EventData } from '../core/event.js';
import { prepareEvents } from '../core/proposed-event.js';

/**
 * Parses NDJSON events (`{"type","data","metadata"?,"id"?}` per line; blank
 * lines skipped). Any bad line fails the whole batch with `INVALID_NDJSON`
 * naming its 1-based line number, before anything is written.
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
    const unknownKey = Object.keys(value).find((key) => !['id', 'type', 'data', 'metadata'].includes(key));
    if (unknownKey !== undefined) throw badLine(lineNumber, `unknown field ${JSON.stringify(unknownKey)}`);
    try {
      prepareEvents([value as EventData]);
    } catch (error) {
      const detail = error instanceof TributaryError ? error.details['reason'] : undefined;
      const reason = typeof detail === 'string' ? detail : (error as Error).message;
      throw badLine(lineNumber, reason);
    }
    events.push(value as EventData);
  }
  if (events.length === 0) throw new TributaryError('INVALID_NDJSON', 'no events on standard input', { line: null });
  return events;
}

function badLine(line: number, reason: string): TributaryError {
  return new TributaryError('INVALID_NDJSON', `line ${line}: ${reason}`, { line, reason });
}
