import { streamDeleted, streamNotFound } from '../core/errors.js';
import type { AllPage, StreamPage } from './event-store.js';
import { FILTER_SCAN_WINDOW, type AllReadPlan, type NormalizedFilter, type StreamReadPlan } from './options.js';
import { retentionOf } from './retention.js';
import { EVENT_ROW, STREAM_ROW, headOf, metadataOf, toRecordedEvents, type EventRow, type StreamRow } from './sql-rows.js';
import { STREAM_TOMBSTONED, isAbsent } from './write-rules.js';

/**
 * One page of a stream, as a backend must query it: revisions `from` down to
 * `minRevision` (backward) or from `from` up to `to` (forward), recorded at or
 * after `minRecordedAt`, at most `limit`. `page` turns the rows read into the answer.
 */
export interface StreamPageQuery {
  streamId: number;
  backward: boolean;
  from: number;
  /** The highest revision a forward page may hold: the stream's last, or its last as of the point read. */
  to: number;
  minRevision: number;
  minRecordedAt: number;
  limit: number;
  /** True when no row can match: skip the query. */
  empty: boolean;
  page(rows: EventRow[]): StreamPage;
}

/**
 * The stream's last revision as of `position` when its row tells it (the
 * stream has no event after it); undefined when the backend must look it up
 * among the stream's events. A missing row needs no lookup: the read fails.
 */
export function revisionAsOfRow(row: StreamRow | undefined, position: number): number | undefined {
  if (row === undefined || row[STREAM_ROW.lastPosition] <= position) return row?.[STREAM_ROW.lastRevision] ?? -1;
  return undefined;
}

/**
 * Plans a stream read from the stream's row; throws STREAM_NOT_FOUND or
 * STREAM_DELETED. `lastAsOf`, for a read as of a point, is the stream's last
 * revision at that point (-1 when it had none yet: STREAM_NOT_FOUND). Retention
 * and deletion hide what they hide today, whatever the point.
 */
export function streamPageQuery(stream: string, row: StreamRow | undefined, plan: StreamReadPlan, now: number, lastAsOf?: number): StreamPageQuery {
  if (row?.[STREAM_ROW.state] === STREAM_TOMBSTONED) throw streamDeleted(stream);
  if (row === undefined || isAbsent(headOf(row))) throw streamNotFound(stream);
  if (lastAsOf !== undefined && lastAsOf < 0) throw streamNotFound(stream);
  const streamId = row[STREAM_ROW.streamId];
  const lastRevision = row[STREAM_ROW.lastRevision];
  const { minRevision, minRecordedAt } = retentionOf(lastRevision, row[STREAM_ROW.deletedBefore], metadataOf(row), now);
  const to = lastAsOf ?? lastRevision;
  const { limit, backward } = plan;
  const from = backward ? Math.min(plan.from ?? to, to) : Math.max(plan.from ?? 0, minRevision);
  return {
    streamId,
    backward,
    from,
    to,
    minRevision,
    minRecordedAt,
    limit,
    empty: backward ? from < minRevision : from > to,
    page(rows) {
      const last = rows[rows.length - 1];
      let next: number | null = null;
      if (rows.length === limit && last !== undefined) {
        const revision = last[EVENT_ROW.revision];
        if (backward && revision > minRevision) next = revision - 1;
        if (!backward && revision < to) next = revision + 1;
      }
      return { events: toRecordedEvents(rows), next };
    },
  };
}

/**
 * One page of the global log, as a backend must query it: positions in
 * `(after, until]` matching `filter`, at most `limit`. A filtered read that
 * tests rows one by one scans a bounded window up to the head, so a sparse
 * filter answers promptly; one an index answers reads up to the head.
 */
export interface LogPageQuery {
  after: number;
  until: number;
  limit: number;
  filter: NormalizedFilter | undefined;
  page(rows: EventRow[]): AllPage;
}

/**
 * True for a filter an index answers alone (categories, or types, and nothing
 * else): its read walks only its matches, so it needs no scan window.
 */
export function answeredByIndex(filter: NormalizedFilter): boolean {
  if (filter.streamPrefix !== undefined) return false;
  if (filter.query !== undefined) return filter.categories === undefined;
  return (filter.categories === undefined) !== (filter.types === undefined);
}

/**
 * Plans a read of the log; `head` is needed only when the read is filtered.
 * `end`, for a read as of a point, is its position: nothing past it is read,
 * and `next` is null once the page reaches it.
 */
export function logPageQuery({ after, limit, filter }: AllReadPlan, head: number, end = Number.MAX_SAFE_INTEGER): LogPageQuery {
  const last = Math.min(head, end);
  let until = end;
  if (filter !== undefined) until = answeredByIndex(filter) ? last : Math.min(last, after + Math.max(FILTER_SCAN_WINDOW, limit));
  return {
    after,
    until,
    limit,
    filter,
    page(rows) {
      const final = rows[rows.length - 1];
      if (rows.length === limit && final !== undefined) return { events: toRecordedEvents(rows), next: final[EVENT_ROW.position] < end ? final[EVENT_ROW.position] : null };
      return { events: toRecordedEvents(rows), next: filter !== undefined && until < last ? until : null };
    },
  };
}
