import { createHash } from 'node:crypto';
import { TributaryError } from '../core/errors.js';
import type { AppendResult, EventData, RecordedEvent } from '../core/event.js';
import { isEventId } from '../core/event-id.js';
import { EVENT_REDACTED, REDACTIONS_STREAM, eventTag, streamTag } from './audit.js';
import { EVENT_ROW, toRecordedEvents, type EventRow } from './sql-rows.js';
import { eventNotFound } from './event-lookup.js';

/**
 * What a redacted event's `data` and `metadata` both hold instead of what was
 * appended: the event's id, type, stream, revision, position, recorded time and
 * tags stay, so no reader's position ever moves.
 */
export interface RedactionMarker {
  redacted: true;
  /** Why the event was redacted; never empty. */
  reason: string;
  /** When, as ISO 8601 UTC. */
  at: string;
  /** Who asked (a token's name), or null when nobody is named (the library, open mode). */
  by: string | null;
}

/** The outcome of a redaction: the event as it now reads, and whether it had been redacted before (then its marker is the first one). */
export interface RedactedEvent {
  event: RecordedEvent;
  alreadyRedacted: boolean;
}

/**
 * A store that can redact its events in place. Present on the SQLite,
 * PostgreSQL and remote stores; absent on a branch (a branch's own events are
 * hypothetical, and its view of the real log follows the real log's redactions).
 * Use `redact` (src/time/corrections/redact.ts), which checks the input and
 * tells the lakes, rather than this capability directly.
 *
 * ```ts
 * const { event, alreadyRedacted } = await store.redaction!.redact(eventId, marker);
 * ```
 */
export interface Redaction {
  /**
   * Replaces the event's `data` and `metadata` by `marker` in one transaction
   * (and drops the snapshots of its stream, which were folded from what it
   * held), then appends the audit event `EventRedacted` to `$audit-redactions`
   * with an id derived from the event's, so that a retry or a second redaction
   * appends it at most once. An event already redacted keeps its first marker.
   * `authorize` sees the stored event first, inside the transaction, and
   * throws to refuse (the server checks the token's scope on its category there).
   * Errors: EVENT_NOT_FOUND, INVALID_CORRECTION (a `$` stream's event, an empty reason).
   */
  redact(eventId: string, marker: RedactionMarker, authorize?: AuthorizeRedaction): Promise<RedactedEvent>;
}

/** What a redaction's check learns of the event before anything is written. */
export interface RedactionCandidate {
  id: string;
  stream: string;
  type: string;
}

/** A check of the event about to be redacted; it throws to refuse, and nothing is written. */
export type AuthorizeRedaction = (event: RedactionCandidate) => void;

/** True when `value` is a redaction marker, as a redacted event's `data` holds it. */
export function isRedactionMarker(value: unknown): value is RedactionMarker {
  return typeof value === 'object' && value !== null && (value as { redacted?: unknown }).redacted === true && typeof (value as { reason?: unknown }).reason === 'string';
}

const MARKER_START = '{"redacted":true,';

/** The marker's JSON text, as both backends store it in `data` and `metadata`. */
export function markerJson(marker: RedactionMarker): string {
  return JSON.stringify({ redacted: true, reason: marker.reason, at: marker.at, by: marker.by });
}

/** The stored marker of an event whose `data` text is `dataJson`, or undefined when the event is not redacted. */
export function storedMarker(dataJson: string): RedactionMarker | undefined {
  // a cheap look before parsing: most events are not redacted
  if (!dataJson.startsWith(MARKER_START)) return undefined;
  const parsed: unknown = JSON.parse(dataJson);
  return isRedactionMarker(parsed) ? parsed : undefined;
}

/**
 * True when `event` reads as redacted: both its data and its metadata hold a
 * marker. Two string comparisons, no parsing: upcasting asks it of every event.
 */
export function isRedacted(event: Pick<RecordedEvent, 'dataJson' | 'metadataJson'>): boolean {
  return event.dataJson.startsWith(MARKER_START) && event.metadataJson !== null && event.metadataJson.startsWith(MARKER_START);
}

/** Throws INVALID_CORRECTION for a malformed marker: an empty reason, a time that is not ISO 8601, a `by` that is not a string or null. */
export function checkMarker(eventId: string, marker: RedactionMarker): void {
  if (typeof marker.reason !== 'string' || marker.reason.trim() === '') throw invalidRedaction(eventId, 'reason', 'a redaction needs a reason');
  if (typeof marker.at !== 'string' || Number.isNaN(Date.parse(marker.at))) throw invalidRedaction(eventId, 'at', 'must be an ISO 8601 time');
  if (marker.by !== null && typeof marker.by !== 'string') throw invalidRedaction(eventId, 'by', 'must be a string or null');
}

/** INVALID_CORRECTION for an event of the store's own `$` streams: the audit trail is never redacted. */
export function refuseReservedRedaction(eventId: string, stream: string): void {
  if (stream.startsWith('$')) throw invalidRedaction(eventId, 'eventId', `the event is in ${JSON.stringify(stream)}, one of the store's own streams, which are never redacted`);
}


function invalidRedaction(eventId: string, field: string, reason: string): TributaryError {
  return new TributaryError('INVALID_CORRECTION', `cannot redact event ${JSON.stringify(eventId)}: ${reason}`, { eventId, field, reason });
}

/** The id of the audit event of redacting event `eventId`: a UUID from sha-256 of `redaction:<id>`, the same on every retry. */
export function redactionAuditId(eventId: string): string {
  const hex = createHash('sha256').update(`redaction:${eventId}`).digest('hex');
  // version 8 (custom) and the RFC 9562 variant bits
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The data of an `EventRedacted` audit event. */
export interface EventRedactedData {
  eventId: string;
  stream: string;
  type: string;
  revision: number;
  position: number;
  reason: string;
  at: string;
  by: string | null;
}

/**
 * The audit event of a redaction, built from the event and its stored marker
 * only, so that every retry proposes the same content and the idempotent
 * append writes it once.
 */
export function redactionAuditEvent(event: RecordedEvent, marker: RedactionMarker): EventData<typeof EVENT_REDACTED, EventRedactedData> {
  const { id, stream, type, revision, position } = event;
  return {
    id: redactionAuditId(id),
    type: EVENT_REDACTED,
    data: { eventId: id, stream, type, revision, position, reason: marker.reason, at: marker.at, by: marker.by },
    tags: [eventTag(id), streamTag(stream)],
  };
}

/** What a backend's redaction transaction decided for the stored row: the marker text to write (none when already redacted) and the outcome. */
export interface RowRedaction {
  /** The marker's JSON text to store in data and metadata; undefined when the event was redacted before. */
  write: string | undefined;
  redacted: RedactedEvent;
  marker: RedactionMarker;
}

/**
 * Decides a redaction from the event's stored row, inside the backend's
 * transaction. Errors: EVENT_NOT_FOUND (no row), INVALID_CORRECTION (a `$` stream).
 */
export function redactRow(eventId: string, row: EventRow | undefined, marker: RedactionMarker, authorize?: AuthorizeRedaction): RowRedaction {
  if (row === undefined) throw eventNotFound(eventId);
  // before the reserved check: a caller refused the category learns nothing of what the event is
  authorize?.({ id: row[EVENT_ROW.id], stream: row[EVENT_ROW.stream], type: row[EVENT_ROW.type] });
  refuseReservedRedaction(eventId, row[EVENT_ROW.stream]);
  const stored = row[EVENT_ROW.metadata]?.startsWith(MARKER_START) === true ? storedMarker(row[EVENT_ROW.data]) : undefined;
  if (stored !== undefined) return { write: undefined, redacted: { event: toRecordedEvents([row])[0]!, alreadyRedacted: true }, marker: stored };
  const text = markerJson(marker);
  const redactedRow: EventRow = [...row];
  redactedRow[EVENT_ROW.data] = text;
  redactedRow[EVENT_ROW.metadata] = text;
  return { write: text, redacted: { event: toRecordedEvents([redactedRow])[0]!, alreadyRedacted: false }, marker };
}

/**
 * A backend's redaction: checks the input, runs `inPlace` (the backend's one
 * transaction over the event's row), then appends the audit event with the
 * backend's own append, past the door that keeps `$` streams from everyone else.
 * A crash between the two leaves the event redacted and unaudited: the retry
 * finds it redacted and appends the same audit event, once.
 */
export async function redactAndAudit(
  eventId: string,
  marker: RedactionMarker,
  inPlace: (eventId: string, marker: RedactionMarker) => Promise<RowRedaction>,
  append: (stream: string, events: readonly EventData[]) => Promise<AppendResult>,
): Promise<RedactedEvent> {
  checkMarker(eventId, marker);
  // no other id can be stored, and PostgreSQL would refuse to compare it with its uuid column
  if (!isEventId(eventId)) throw eventNotFound(String(eventId));
  const done = await inPlace(eventId, marker);
  await append(REDACTIONS_STREAM, [redactionAuditEvent(done.redacted.event, done.marker)]);
  return done.redacted;
}
