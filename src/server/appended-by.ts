import { APPENDED_BY_KEY } from '../core/appended-by.js';
import { TributaryError } from '../core/errors.js';
import type { EventData } from '../core/event.js';
import { namingPart } from '../core/stream-appends.js';
import type { EventsPart } from './append-checks.js';

/**
 * Refuses a body whose event sets `metadata.appendedBy` itself: the key names
 * the appending token, so a caller may not choose it. INVALID_EVENT names the
 * event (and the part, in a multi-stream body); nothing of the call is stored.
 */
export function refuseClaimedProducer(parts: readonly EventsPart[]): void {
  for (const { events, append } of parts) {
    const index = events.findIndex((event) => isPlainObject(event) && isPlainObject(event.metadata) && Object.hasOwn(event.metadata, APPENDED_BY_KEY));
    if (index === -1) continue;
    const error = new TributaryError('INVALID_EVENT', `event ${index}: metadata.${APPENDED_BY_KEY} is set by the server to the appending token's name`, {
      index,
      reason: `metadata.${APPENDED_BY_KEY} is the server's`,
    });
    throw append === undefined ? error : namingPart(error, append);
  }
}

/**
 * The events with the appending token's name under `metadata.appendedBy`;
 * unchanged without a name (open mode). Metadata that is not an object is
 * left for the store to refuse.
 */
export function withProducer(events: readonly EventData[], producer: string | undefined): readonly EventData[] {
  if (producer === undefined) return events;
  return events.map((event) => {
    if (!isPlainObject(event)) return event;
    const { metadata } = event;
    if (metadata !== undefined && metadata !== null && !isPlainObject(metadata)) return event;
    return { ...event, metadata: { ...metadata, [APPENDED_BY_KEY]: producer } };
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
