import type { EventData } from './event.js';
import { newEventId, isEventId } from './event-id.js';
import { TributaryError } from './errors.js';

/** An event checked and serialised, ready for a backend to store as is. */
export interface ProposedEvent {
  readonly id: string;
  /** True when the caller chose the id, so it may already be stored (an idempotent retry). */
  readonly idGiven: boolean;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string | null;
}

export const MAX_EVENT_TYPE_LENGTH = 256;

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Validates and serialises a batch of proposed events. Throws `INVALID_EVENT`
 * naming the index of the first bad event, so nothing of a bad batch is written.
 */
export function prepareEvents(events: readonly EventData[]): ProposedEvent[] {
  if (!isNonEmptyArray(events)) {
    throw new TributaryError('INVALID_EVENT', 'an append needs a non-empty array of events', { index: null });
  }
  const prepared = new Array<ProposedEvent>(events.length);
  let givenIds: Set<string> | undefined;
  for (let index = 0; index < events.length; index++) {
    const event = prepareEvent(events[index], index);
    if (event.idGiven) {
      givenIds ??= new Set();
      if (givenIds.has(event.id)) throw invalidEvent(index, `id ${event.id} appears twice in the batch`);
      givenIds.add(event.id);
    }
    prepared[index] = event;
  }
  return prepared;
}

// a separate check: Array.isArray would narrow `events` to any[] for the rest of the caller
function isNonEmptyArray(events: unknown): boolean {
  return Array.isArray(events) && events.length > 0;
}

function prepareEvent(event: EventData | undefined, index: number): ProposedEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw invalidEvent(index, 'must be an object with type and data');
  }
  const { id, type, data, metadata } = event;
  if (typeof type !== 'string' || type.length === 0) throw invalidEvent(index, 'type must be a non-empty string');
  if (type.length > MAX_EVENT_TYPE_LENGTH) throw invalidEvent(index, `type must be at most ${MAX_EVENT_TYPE_LENGTH} characters`);
  if (CONTROL_CHARACTER.test(type)) throw invalidEvent(index, 'type must not contain control characters');
  if (id !== undefined && !isEventId(id)) throw invalidEvent(index, `id must be a UUID, got ${JSON.stringify(id)}`);
  const dataJson = toJson(data, index, 'data');
  let metadataJson: string | null = null;
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalidEvent(index, 'metadata must be an object');
    for (const key of ['correlationId', 'causationId'] as const) {
      const value = metadata[key];
      if (value !== undefined && typeof value !== 'string') throw invalidEvent(index, `metadata.${key} must be a string`);
    }
    metadataJson = toJson(metadata, index, 'metadata');
  }
  return {
    id: id === undefined ? newEventId() : id.toLowerCase(),
    idGiven: id !== undefined,
    type,
    dataJson,
    metadataJson,
  };
}

function toJson(value: unknown, index: number, field: string): string {
  if (value === undefined) throw invalidEvent(index, `${field} is required (any JSON value)`);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw invalidEvent(index, `${field} is not serialisable as JSON: ${(error as Error).message}`);
  }
  if (json === undefined) throw invalidEvent(index, `${field} is not serialisable as JSON`);
  return json;
}

function invalidEvent(index: number, reason: string): TributaryError {
  return new TributaryError('INVALID_EVENT', `event ${index}: ${reason}`, { index, reason });
}
