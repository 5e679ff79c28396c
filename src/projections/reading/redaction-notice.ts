import { isTributaryError } from '../../core/errors.js';
import { REDACTIONS_STREAM } from '../../store/audit.js';
import type { EventStore, LogFilter } from '../../store/event-store.js';
import { filterMatches, normalizeFilter } from '../../store/options.js';
import type { EventRedactedData } from '../../store/redaction.js';

/** What a projection's status says of the redactions that touched what its generation had built. */
export interface RedactionNotice {
  /** Redactions, since the generation began, of events it had already applied: events at or before its position that pass its filter. */
  count: number;
  /** When the last of them was made (ISO 8601), or null when none. */
  lastAt: string | null;
  /** True when `count` > 0: the generation may still hold what those events said, and a rebuild would see only their markers. */
  rebuildAdvised: boolean;
}

/** A redaction as the audit trail records it, with when it was recorded. */
export interface RecordedRedaction {
  data: EventRedactedData;
  recordedAtMillis: number;
}

const NONE: RedactionNotice = Object.freeze({ count: 0, lastAt: null, rebuildAdvised: false });

/**
 * Every redaction of the store, from `$audit-redactions`: one event per
 * redacted event, and redactions are rare, so the whole trail is read.
 */
export async function readRedactions(store: EventStore): Promise<RecordedRedaction[]> {
  const found: RecordedRedaction[] = [];
  let from: number | null = 0;
  try {
    while (from !== null) {
      const page = await store.readStream(REDACTIONS_STREAM, { from, limit: 1000, raw: true });
      for (const event of page.events) found.push({ data: event.data as EventRedactedData, recordedAtMillis: event.recordedAtMillis });
      from = page.next;
    }
  } catch (error) {
    if (isTributaryError(error, 'STREAM_NOT_FOUND')) return found;
    throw error;
  }
  return found;
}

/**
 * The notice for a generation that began at `since` (ms), has applied the log up
 * to `position` and reads `filter`. A redaction made after the generation began
 * of an event it had reached counts, even when the generation read the event
 * after the redaction (then it saw the marker): the notice errs towards a rebuild.
 * A filter by tags counts every event its categories, types and prefix pass.
 */
export function redactionNotice(redactions: readonly RecordedRedaction[], since: number, position: number, filter: LogFilter): RedactionNotice {
  const normalized = normalizeFilter(filter);
  const anyTags = normalized?.query?.flatMap((item) => item.tags ?? []) ?? [];
  let count = 0;
  let last = 0;
  for (const { data, recordedAtMillis } of redactions) {
    if (recordedAtMillis < since || data.position > position || !filterMatches(normalized, data.stream, data.type, anyTags)) continue;
    count++;
    last = Math.max(last, recordedAtMillis);
  }
  return count === 0 ? NONE : { count, lastAt: new Date(last).toISOString(), rebuildAdvised: true };
}
