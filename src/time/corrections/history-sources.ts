import { isTributaryError } from '../../core/errors.js';
import type { RecordedEvent } from '../../core/event.js';
import { isEventId } from '../../core/event-id.js';
import { streamNameProblem } from '../../core/stream-name.js';
import { tagProblem } from '../../core/tags.js';
import { eventTag, streamTag, subjectTag } from '../../store/audit.js';
import type { EventStore } from '../../store/event-store.js';
import { MAX_PAGE_SIZE } from '../../store/options.js';
import { lookupOf } from './find-event.js';

/** Why an event is in a record's history. */
export type HistoryMatch = 'stream' | 'event' | 'correlation' | 'subject' | 'audit';

/** Events one index found for a record, in position order, after `after`, at most `want`. */
export interface SourceEvents {
  match: HistoryMatch;
  events: RecordedEvent[];
}

type Page = { events: RecordedEvent[]; next: number | null };

/**
 * Every index read the history of `id` makes, each up to `want` events after
 * `after`: the stream named `id` and the audit events tagged with it, the
 * events correlated by `id`, the events of subject `id`, and for an event id
 * that event, what it caused and the audit events about it. No read scans the log.
 */
export async function historySources(store: EventStore, id: string, after: number, want: number): Promise<SourceEvents[]> {
  const lookup = lookupOf(store);
  const reads: Promise<SourceEvents>[] = [
    source('correlation', collect((from, limit) => lookup.correlated(id, { after: from, limit }).then(pageOf(limit)), after, want)),
    source('subject', byTag(store, subjectTag(id), after, want)),
  ];
  if (streamNameProblem(id) === undefined) {
    reads.push(source('stream', streamEvents(store, id, after, want)), source('audit', byTag(store, streamTag(id), after, want)));
  }
  if (isEventId(id)) reads.push(source('event', causedBy(store, id, after, want)), source('audit', byTag(store, eventTag(id), after, want)));
  return Promise.all(reads);
}

async function source(match: HistoryMatch, events: Promise<RecordedEvent[]>): Promise<SourceEvents> {
  return { match, events: await events };
}

/** Reads pages until `want` events after `after` are found or the source ends. */
async function collect(read: (after: number, limit: number) => Promise<Page>, after: number, want: number): Promise<RecordedEvent[]> {
  const found: RecordedEvent[] = [];
  let from = after;
  for (;;) {
    const page = await read(from, Math.min(MAX_PAGE_SIZE, want - found.length));
    found.push(...page.events);
    if (found.length >= want || page.next === null) return found;
    from = page.next;
  }
}

function pageOf(limit: number): (events: RecordedEvent[]) => Page {
  return (events) => ({ events, next: events.length === limit ? events[events.length - 1]!.position : null });
}

/** The events carrying `tag`, through the tag index; none for a tag no event could carry. */
function byTag(store: EventStore, tag: string, after: number, want: number): Promise<RecordedEvent[]> {
  if (tagProblem(tag) !== undefined) return Promise.resolve([]);
  return collect((from, limit) => store.readAll({ tags: [tag], after: from, limit }), after, want);
}

/** The stream's readable events after position `after`: its revisions grow with positions, so the read walks forward from the first. */
async function streamEvents(store: EventStore, stream: string, after: number, want: number): Promise<RecordedEvent[]> {
  const found: RecordedEvent[] = [];
  let from = 0;
  try {
    for (;;) {
      const page = await store.readStream(stream, { from, limit: MAX_PAGE_SIZE });
      for (const event of page.events) if (event.position > after && found.length < want) found.push(event);
      if (found.length >= want || page.next === null) return found;
      from = page.next;
    }
  } catch (error) {
    // a name that is no stream may still be a correlation id or a subject
    if (isTributaryError(error, 'STREAM_NOT_FOUND') || isTributaryError(error, 'STREAM_DELETED')) return found;
    throw error;
  }
}

/** The event `id` and every event of its correlation that descends from it by causation. */
async function causedBy(store: EventStore, id: string, after: number, want: number): Promise<RecordedEvent[]> {
  const lookup = lookupOf(store);
  const root = await lookup.event(id);
  if (root === undefined) return [];
  const correlation = root.metadata.correlationId ?? root.id;
  const group = await collect((from, limit) => lookup.correlated(correlation, { after: from, limit }).then(pageOf(limit)), root.position, MAX_PAGE_SIZE);
  const descendants = new Set([root.id]);
  const found = root.position > after ? [root] : [];
  for (const event of group) {
    const cause = event.metadata.causationId;
    if (typeof cause !== 'string' || !descendants.has(cause)) continue;
    descendants.add(event.id);
    if (event.position > after && found.length < want) found.push(event);
  }
  return found;
}
