import { streamDeleted, streamNotFound } from '../core/errors.js';
import type { AllPage, StreamPage } from './event-store.js';
import { FILTER_SCAN_WINDOW, type AllReadPlan, type NormalizedFilter, type StreamReadPlan } from './options.js';
import { retentionOf } from './retention.js';
import { EVENT_ROW, STREAM_ROW, headOf, metadataOf, toRecordedEvents, type EventRow, type StreamRow } from './sql-rows.js';
import { STREAM_TOMBSTONED, isAbsent } from './write-rules.js';

/**
 * One page of a stream, as a backend must query it: revisions `from` down to
 * `minRevision` (backward) or from `from` up (forward), recorded at or after
 * `minRecordedAt`, at most `limit`. `page` turns the rows read into the answer.
 */
export interface StreamPageQuery {
  streamId: number;
  backward: boolean;
  from: number;
  minRevision: number;
  minRecordedAt: number;
  limit: number;
  /** True when no row can match: skip the query. */
  empty: boolean;
  page(rows: EventRow[]): StreamPage;
}

/** Plans a stream read from the stream's row; throws STREAM_NOT_FOUND or STREAM_DELETED. */
export function streamPageQuery(stream: string, row: StreamRow | undefined, plan: StreamReadPlan, now: number): StreamPageQuery {
  if (row?.[STREAM_ROW.state] === STREAM_TOMBSTONED) throw streamDeleted(stream);
  if (row === undefined || isAbsent(headOf(row))) throw streamNotFound(stream);
  const streamId = row[STREAM_ROW.streamId];
  const lastRevision = row[STREAM_ROW.lastRevision];
  const { minRevision, minRecordedAt } = retentionOf(lastRevision, row[STREAM_ROW.deletedBefore], metadataOf(row), now);
  const { limit, backward } = plan;
  const from = backward ? Math.min(plan.from ?? lastRevision, lastRevision) : Math.max(plan.from ?? 0, minRevision);
  return {
    streamId,
    backward,
    from,
    minRevision,
    minRecordedAt,
    limit,
    empty: backward && from < minRevision,
    page(rows) {
      const last = rows[rows.length - 1];
      let next: number | null = null;
      if (rows.length === limit && last !== undefined) {
        const revision = last[EVENT_ROW.revision];
        if (backward && revision > minRevision) next = revision - 1;
        if (!backward && revision < lastRevision) next = revision + 1;
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

/** Plans a read of the log; `head` is needed only when the read is filtered. */
export function logPageQuery({ after, limit, filter }: AllReadPlan, head: number): LogPageQuery {
  let until = Number.MAX_SAFE_INTEGER;
  if (filter !== undefined) until = answeredByIndex(filter) ? head : Math.min(head, after + Math.max(FILTER_SCAN_WINDOW, limit));
  return {
    after,
    until,
    limit,
    filter,
    page(rows) {
      const last = rows[rows.length - 1];
      if (rows.length === limit && last !== undefined) return { events: toRecordedEvents(rows), next: last[EVENT_ROW.position] };
      return { events: toRecordedEvents(rows), next: filter !== undefined && until < head ? until : null };
    },
  };
}
