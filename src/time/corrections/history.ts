import { APPENDED_BY_KEY } from '../../core/appended-by.js';
import { invalidArgument } from '../../core/errors.js';
import type { RecordedEvent } from '../../core/event.js';
import { categoryOf } from '../../core/stream-name.js';
import { AUDIT_CATEGORY, EVENT_REDACTED, REVERSES_KEY, SUBJECT_FORGOTTEN } from '../../store/audit.js';
import type { EventStore } from '../../store/event-store.js';
import { MAX_PAGE_SIZE, nonNegativeInteger } from '../../store/options.js';
import { historySources, type HistoryMatch } from './history-sources.js';

/** Entries a history answers when no limit is given. */
export const DEFAULT_HISTORY_LIMIT = 1_000;

/** What an event of a history is: an ordinary event, a reversal, a redacted event, or an audit event of a redaction or a forget. */
export type HistoryKind = 'event' | 'reversal' | 'redacted' | 'redaction' | 'forget';

/** One event of a record's history, with why it is there and where it sits in the causation tree. */
export interface HistoryEntry {
  event: RecordedEvent;
  /** The name of the token that appended it over HTTP; null for a library append (or a redacted event). */
  appendedBy: string | null;
  recordedAt: string;
  matched: HistoryMatch;
  kind: HistoryKind;
  /** For a reversal, the id of the event it reverses. */
  reverses?: string;
  /** The id of the event that caused this one (its causationId), when that event is in this history; else null. */
  parent: string | null;
  /** 0 for an event without a parent here, else its parent's depth + 1. */
  depth: number;
}

/** A page of a record's history. */
export interface History {
  id: string;
  entries: HistoryEntry[];
  /** True when more entries follow: pass `next` as `after` for them. */
  truncated: boolean;
  next: number | null;
}

export interface HistoryOptions {
  /** Entries after this position; 0 (the default) from the first. */
  after?: number;
  /** Most entries; default 1,000, at most 10,000. */
  limit?: number;
}

/**
 * Every event that touched the record `id`, across streams, in position
 * order: `id` may be a stream name (its events and the audit events about
 * it), a correlation id (every event carrying it), a personal-data subject
 * (the events tagged with it and its forgets), or an event id (the event,
 * what it caused within its correlation, and the audit events about it). Each
 * read goes through an index: the stream, the tag index, the correlation index.
 * Errors: INVALID_ARGUMENT.
 *
 * ```ts
 * const { entries } = await history(store, 'account-12345');
 * for (const entry of entries) console.log('  '.repeat(entry.depth), entry.event.type, entry.kind);
 * ```
 */
export async function history(store: EventStore, id: string, options: HistoryOptions = {}): Promise<History> {
  if (typeof id !== 'string' || id.length === 0) throw invalidArgument('id', `must be a non-empty string, got ${JSON.stringify(id)}`);
  const after = nonNegativeInteger('after', options.after ?? 0);
  const limit = historyLimit(options.limit);
  const sources = await historySources(store, id, after, limit + 1);
  const byPosition = new Map<number, { event: RecordedEvent; matched: HistoryMatch }>();
  for (const { match, events } of sources) {
    for (const event of events) if (!byPosition.has(event.position)) byPosition.set(event.position, { event, matched: matchOf(event, match) });
  }
  const found = [...byPosition.values()].sort((a, b) => a.event.position - b.event.position);
  const page = found.slice(0, limit);
  const entries = withCausation(page.map(({ event, matched }) => entryOf(event, matched)));
  const truncated = found.length > limit;
  return { id, entries, truncated, next: truncated ? page[page.length - 1]!.event.position : null };
}

function historyLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_HISTORY_LIMIT;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw invalidArgument('limit', `must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(limit)}`);
  }
  return limit;
}

// the store's own audit events are audit whatever index found them
function matchOf(event: RecordedEvent, match: HistoryMatch): HistoryMatch {
  return categoryOf(event.stream) === AUDIT_CATEGORY ? 'audit' : match;
}

function entryOf(event: RecordedEvent, matched: HistoryMatch): HistoryEntry {
  const producer = event.metadata[APPENDED_BY_KEY];
  const reverses = event.metadata[REVERSES_KEY];
  const entry: HistoryEntry = {
    event,
    appendedBy: typeof producer === 'string' ? producer : null,
    recordedAt: event.recordedAt,
    matched,
    kind: kindOf(event),
    parent: null,
    depth: 0,
  };
  if (typeof reverses === 'string') entry.reverses = reverses;
  return entry;
}

function kindOf(event: RecordedEvent): HistoryKind {
  if (categoryOf(event.stream) === AUDIT_CATEGORY) {
    if (event.type === EVENT_REDACTED) return 'redaction';
    if (event.type === SUBJECT_FORGOTTEN) return 'forget';
  }
  if (typeof event.metadata[REVERSES_KEY] === 'string') return 'reversal';
  const data = event.data as { redacted?: unknown } | null;
  if (typeof data === 'object' && data !== null && data.redacted === true && event.metadata.redacted !== undefined) return 'redacted';
  return 'event';
}

/**
 * Links each entry to its cause when the cause came before it among `entries`,
 * and sets its depth; what a door calls again after leaving entries out.
 */
export function withCausation(entries: HistoryEntry[]): HistoryEntry[] {
  const depthOf = new Map<string, number>();
  for (const entry of entries) {
    const cause = entry.event.metadata.causationId;
    const parentDepth = typeof cause === 'string' ? depthOf.get(cause) : undefined;
    entry.parent = parentDepth === undefined ? null : cause!;
    entry.depth = parentDepth === undefined ? 0 : parentDepth + 1;
    depthOf.set(entry.event.id, entry.depth);
  }
  return entries;
}

/**
 * The category whose read scope shows an entry: its stream's, except for the
 * audit event of a redaction, which belongs to the stream it redacted in.
 */
export function categoryShowing(entry: HistoryEntry): string {
  const { event } = entry;
  if (entry.kind === 'redaction') {
    const stream = (event.data as { stream?: unknown } | null)?.stream;
    if (typeof stream === 'string') return categoryOf(stream);
  }
  return categoryOf(event.stream);
}
