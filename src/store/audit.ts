import { createHash } from 'node:crypto';

/**
 * The audit trail of corrections: every redaction and every forgotten subject
 * appends one event to a stream of the store's own `$audit` category, which
 * ordinary tokens cannot write and no correction may touch. Each audit event
 * carries tags (below) so that the history of a record finds it by index.
 *
 * ```ts
 * const trail = await store.readStream(REDACTIONS_STREAM);
 * ```
 */
export const AUDIT_CATEGORY = '$audit';

/** One `EventRedacted` event per redacted event: `{ eventId, stream, type, revision, position, reason, at, by }`. */
export const REDACTIONS_STREAM = '$audit-redactions';
export const EVENT_REDACTED = 'EventRedacted';

/** One `SubjectForgotten` event per `forget`: `{ subject, outcome: 'FORGOTTEN' | 'NO_KEY', reason?, at, by }`. */
export const FORGETS_STREAM = '$audit-forgets';
export const SUBJECT_FORGOTTEN = 'SubjectForgotten';

/** The longest reason a correction (a reversal, a redaction, a forget) accepts, in UTF-16 code units. */
export const MAX_REASON_LENGTH = 1_000;

/** The metadata key naming the event a reversing event reverses (beside `causationId`, which names it too). */
export const REVERSES_KEY = 'reverses';

/** The tag of an audit event about event `id`. */
export function eventTag(id: string): string {
  return `event:${id}`;
}

// a tag is at most 256 characters and a stream name may be 256 already: a long name is tagged by its digest
const STREAM_TAG_ROOM = 256 - 'stream:'.length;

/** The tag of an audit event about an event of `stream` (and of a subject's events, `subjectTag`): what history looks up. */
export function streamTag(stream: string): string {
  return stream.length <= STREAM_TAG_ROOM ? `stream:${stream}` : `stream#${createHash('sha256').update(stream).digest('hex')}`;
}

/** The tag every event about personal-data subject `subject` carries (added at append), and its forget's audit event. */
export function subjectTag(subject: string): string {
  return subject.length <= 256 - 'subject:'.length ? `subject:${subject}` : `subject#${createHash('sha256').update(subject).digest('hex')}`;
}
