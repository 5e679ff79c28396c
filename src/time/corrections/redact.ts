import { TributaryError } from '../../core/errors.js';
import type { RecordedEvent } from '../../core/event.js';
import type { EventStore } from '../../store/event-store.js';
import { MAX_REASON_LENGTH } from '../../store/audit.js';
import { checkMarker, storedMarker, type AuthorizeRedaction, type RedactionMarker } from '../../store/redaction.js';

export interface RedactOptions {
  /** Why the event must go (a court order, a secret pasted by mistake); required, never empty, at most MAX_REASON_LENGTH characters. */
  reason: string;
  /** Who asks: a token's or a person's name; null (the default) names nobody. */
  by?: string | null;
  /** Sees the stored event before anything is written and throws to refuse it: how a server checks a token's scope on the event's category. */
  authorize?: AuthorizeRedaction;
}

/** What a redaction did: the event as it now reads, its marker, and whether an earlier redaction had put that marker there. */
export interface RedactOutcome {
  event: RecordedEvent;
  marker: RedactionMarker;
  alreadyRedacted: boolean;
}

/**
 * Redacts one event: its `data` and `metadata` become the marker
 * `{ redacted: true, reason, at, by }` on every later read, while its id, type,
 * stream, revision, position, recorded time and tags stay. Appends the audit
 * event `EventRedacted` to `$audit-redactions`, once however often it is
 * called: redacting twice answers the first marker with `alreadyRedacted: true`.
 * Errors: EVENT_NOT_FOUND, INVALID_CORRECTION (an event of a `$` stream, an empty
 * reason), INVALID_ARGUMENT (a store that cannot redact, such as a branch).
 *
 * ```ts
 * const { marker } = await redact(store, '0190f1c2-…', { reason: 'card number pasted into a comment', by: 'dpo' });
 * ```
 */
export async function redact(store: EventStore, eventId: string, options: RedactOptions): Promise<RedactOutcome> {
  const marker: RedactionMarker = { redacted: true, reason: options?.reason, at: new Date().toISOString(), by: options?.by ?? null };
  checkMarker(String(eventId), marker);
  if (marker.reason.length > MAX_REASON_LENGTH) {
    throw new TributaryError('INVALID_CORRECTION', `a redaction's reason must be at most ${MAX_REASON_LENGTH} characters, got ${marker.reason.length}`, { eventId, field: 'reason', reason: 'too long' });
  }
  const redaction = store.redaction;
  if (redaction === undefined) throw new TributaryError('INVALID_ARGUMENT', `the store at ${store.location} cannot redact events (a branch, or a bare handle)`, { argument: 'store' });
  const { event, alreadyRedacted } = await redaction.redact(eventId, marker, options.authorize);
  return { event, marker: storedMarker(event.dataJson) ?? marker, alreadyRedacted };
}
