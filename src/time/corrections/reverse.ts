import { causedBy } from '../../core/causation.js';
import { TributaryError } from '../../core/errors.js';
import type { AppendResult, EventMetadata, RecordedEvent } from '../../core/event.js';
import { isEventId, newEventId } from '../../core/event-id.js';
import type { ExpectedRevision } from '../../core/expected-revision.js';
import { MAX_REASON_LENGTH, REVERSES_KEY } from '../../store/audit.js';
import type { EventStore } from '../../store/event-store.js';
import { findEvent } from './find-event.js';


/** The metadata key holding why an event was reversed, on the reversing event. */
export const REASON_KEY = 'reason';

export interface ReverseOptions {
  /** Why the original was wrong: a non-empty string of at most 1,000 characters. */
  reason: string;
  /** The reversing event's type; default `<original type>Reversed`. */
  type?: string;
  /** The reversing event's data; default {@link ReversalData}. */
  data?: unknown;
  /** More metadata; the reversal's links (causationId, correlationId, reverses, reason) win over keys of the same name. */
  metadata?: EventMetadata;
  /** The reversing event's id, for an idempotent retry; generated when absent. */
  id?: string;
  /** Defaults to `'any'`: a reversal is a fact about the past, not a decision on the stream's state. */
  expectedRevision?: ExpectedRevision;
}

/** The default data of a reversing event: enough for a consumer to find and undo the original. */
export interface ReversalData {
  reversedEventId: string;
  reversedType: string;
  reversedRevision: number;
  reason: string;
}

/** An append's result, with the id of the reversing event. */
export interface ReverseResult extends AppendResult {
  id: string;
}

/**
 * Appends to the original event's stream one event that reverses it: type
 * `<Type>Reversed` unless given, data {@link ReversalData} unless given,
 * metadata linking it to the original (`causationId` and `reverses` name it,
 * `correlationId` is the original's or its id) and the reason. The original
 * stays as it is; consumers receive the reversal like any event. Reversing an
 * event again appends another reversal: compensating events are just events.
 * Errors: EVENT_NOT_FOUND, INVALID_CORRECTION, and those of `append`.
 *
 * ```ts
 * await reverse(store, depositId, { reason: 'deposit keyed twice by the teller' });
 * ```
 */
export async function reverse(store: EventStore, eventId: string, options: ReverseOptions): Promise<ReverseResult> {
  const checked = checkReverseOptions(options);
  const original = await findEvent(store, eventId);
  if (original.stream.startsWith('$')) {
    throw invalidCorrection(`event ${eventId} belongs to the store's own stream ${JSON.stringify(original.stream)} and cannot be reversed`, { eventId, stream: original.stream });
  }
  const id = checked.id ?? newEventId();
  const result = await store.append(original.stream, [reversalOf(original, checked, id)], { expectedRevision: checked.expectedRevision ?? 'any' });
  return { ...result, id };
}

/** The reversing event of `original`, as `reverse` appends it. */
export function reversalOf(original: RecordedEvent, options: ReverseOptions, id: string) {
  const { reason } = options;
  const data: unknown = options.data ?? ({
    reversedEventId: original.id,
    reversedType: original.type,
    reversedRevision: original.revision,
    reason,
  } satisfies ReversalData);
  const metadata = causedBy(original, { ...options.metadata, [REVERSES_KEY]: original.id, [REASON_KEY]: reason });
  const event = { id, type: options.type ?? `${original.type}Reversed`, data, metadata };
  // the original's tags: the reversal is about the same things, and reads by tag must see both
  return original.tags.length === 0 ? event : { ...event, tags: [...original.tags] };
}

/** Checks what every door passes to `reverse`; throws INVALID_CORRECTION. */
export function checkReverseOptions(options: unknown): ReverseOptions {
  if (!isPlainObject(options)) throw invalidCorrection('the options of a reversal must be an object with a reason', { reason: 'no options' });
  const { reason, type, metadata, id } = options;
  if (typeof reason !== 'string' || reason.trim().length === 0) {
    throw invalidCorrection('a reversal needs a reason: a non-empty string', { field: 'reason' });
  }
  if (reason.length > MAX_REASON_LENGTH) {
    throw invalidCorrection(`a reversal's reason must be at most ${MAX_REASON_LENGTH} characters, got ${reason.length}`, { field: 'reason' });
  }
  if (type !== undefined && (typeof type !== 'string' || type.trim().length === 0)) {
    throw invalidCorrection(`a reversal's type must be a non-empty string, got ${JSON.stringify(type)}`, { field: 'type' });
  }
  if (metadata !== undefined && !isPlainObject(metadata)) {
    throw invalidCorrection("a reversal's metadata must be an object", { field: 'metadata' });
  }
  if (id !== undefined && !isEventId(id)) throw invalidCorrection("a reversal's id must be a UUID string", { field: 'id' });
  return options as unknown as ReverseOptions;
}

/** INVALID_CORRECTION: nothing was written. */
export function invalidCorrection(message: string, details: Record<string, unknown>): TributaryError {
  return new TributaryError('INVALID_CORRECTION', message, details);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
