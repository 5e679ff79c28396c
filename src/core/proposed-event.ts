import type { EventData } from './event.js';
import { newEventId, isEventId } from './event-id.js';
import { TributaryError } from './errors.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from './json-depth.js';
import { checkTags } from './tags.js';

/** An event checked and serialised, ready for a backend to store as is. */
export interface ProposedEvent {
  readonly id: string;
  /** True when the caller chose the id, so it may already be stored (an idempotent retry). */
  readonly idGiven: boolean;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string | null;
  /** The event's tags, as given; empty when it has none. */
  readonly tags: readonly string[];
  /** The stored JSON text of `tags`, or null when there are none. */
  readonly tagsJson: string | null;
}

export const MAX_EVENT_TYPE_LENGTH = 256;

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
// with the u flag a surrogate class matches only a half without its partner: text no UTF-8 database or client can hold
const LONE_SURROGATE = /\p{Cs}/u;
const NUL_OR_LONE_SURROGATE = /[\u0000\p{Cs}]/u;
const FIELDS = new Set(['id', 'type', 'data', 'metadata', 'tags']);
const NO_TAGS: readonly string[] = Object.freeze([]);

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
  // a misspelt field ("metdata") would otherwise be dropped without a word
  const unknown = Object.keys(event).find((key) => !FIELDS.has(key) && (event as unknown as Record<string, unknown>)[key] !== undefined);
  if (unknown !== undefined) throw invalidEvent(index, `unknown field ${JSON.stringify(unknown)}`);
  const { id, type, data, metadata, tags } = event;
  if (typeof type !== 'string' || type.length === 0) throw invalidEvent(index, 'type must be a non-empty string');
  if (type.length > MAX_EVENT_TYPE_LENGTH) throw invalidEvent(index, `type must be at most ${MAX_EVENT_TYPE_LENGTH} characters`);
  if (CONTROL_CHARACTER.test(type)) throw invalidEvent(index, 'type must not contain control characters');
  if (LONE_SURROGATE.test(type)) throw invalidEvent(index, 'type must not contain lone surrogates');
  // only a string is quoted back: stringifying a deeply nested value would overflow the stack
  if (id !== undefined && !isEventId(id)) throw invalidEvent(index, `id must be a UUID, got ${typeof id === 'string' ? JSON.stringify(id) : typeof id}`);
  checkDepth(data, index, 'data');
  const dataJson = toJson(data, index, 'data');
  let metadataJson: string | null = null;
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalidEvent(index, 'metadata must be an object');
    const badKey = Object.keys(metadata).find((key) => NUL_OR_LONE_SURROGATE.test(key));
    if (badKey !== undefined) throw invalidEvent(index, `metadata key ${JSON.stringify(badKey)} must not contain NUL or lone surrogates`);
    for (const key of ['correlationId', 'causationId'] as const) {
      const value = metadata[key];
      if (value !== undefined && typeof value !== 'string') throw invalidEvent(index, `metadata.${key} must be a string`);
    }
    checkDepth(metadata, index, 'metadata');
    metadataJson = toJson(metadata, index, 'metadata');
  }
  const checkedTags = tags === undefined ? NO_TAGS : checkTags(tags, `event ${index}`, { index });
  return {
    id: id === undefined ? newEventId() : id.toLowerCase(),
    idGiven: id !== undefined,
    type,
    dataJson,
    metadataJson,
    tags: checkedTags.length === 0 ? NO_TAGS : [...checkedTags],
    tagsJson: checkedTags.length === 0 ? null : JSON.stringify(checkedTags),
  };
}

/**
 * Throws `INVALID_EVENT` for the first event whose data or metadata nests
 * deeper than {@link MAX_JSON_DEPTH}, without recursing: the check a caller
 * runs before anything that recurses over event data (serialising it to
 * measure its size, say). `prepareEvents` makes it too.
 */
export function assertEventDepths(events: readonly EventData[]): void {
  events.forEach((event, index) => {
    if (typeof event !== 'object' || event === null) return;
    checkDepth(event.data, index, 'data');
    checkDepth(event.metadata, index, 'metadata');
  });
}

function checkDepth(value: unknown, index: number, field: string): void {
  if (exceedsJsonDepth(value)) throw invalidEvent(index, `${field} nests objects and arrays more than ${MAX_JSON_DEPTH} deep`);
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
