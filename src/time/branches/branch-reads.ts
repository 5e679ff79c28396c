import { streamDeleted, streamNotFound } from '../../core/errors.js';
import type { RecordedEvent } from '../../core/event.js';
import type { SqlTransaction } from '../../store/consumer-store.js';
import type { AllPage, EventStore, ReadAllOptions, StreamPage } from '../../store/event-store.js';
import { FILTER_SCAN_WINDOW, filterMatches, planAllRead, planStreamRead, type AllReadPlan, type NormalizedFilter, type StreamReadPlan } from '../../store/options.js';
import { STREAM_TOMBSTONED, isAbsent } from '../../store/write-rules.js';
import { rowsAfter, streamRows, streamTail } from './branch-events.js';
import { recordedOf, type BranchHead } from './branch-rows.js';
import { realHeadAt, realStreamPage } from './real-at-fork.js';

type Reader = Pick<SqlTransaction, 'dialect' | 'query'>;

/** What a branch read needs: the real store, the branch's tables and head, and the last position to read (the head, or an `asOf`). */
export interface BranchReadContext {
  real: EventStore;
  db: Reader;
  branch: BranchHead;
  until: number;
}

/**
 * A page of a stream on a branch: its real events up to the fork, then the
 * branch's own, whose revisions continue the real ones. STREAM_NOT_FOUND when
 * neither has an event; STREAM_DELETED for a tombstoned real stream.
 */
export async function readBranchStream(context: BranchReadContext, stream: string, options: Parameters<EventStore['readStream']>[1]): Promise<StreamPage> {
  const plan = planStreamRead(options);
  const { real, db, branch, until } = context;
  const fork = Math.min(branch.fork, until);
  const maxSeq = Math.max(0, until - branch.fork);
  const realHead = await realHeadAt(real, stream, fork);
  const tail = maxSeq === 0 ? undefined : await streamTail(db, branch.name, stream, maxSeq);
  if (realHead?.state === STREAM_TOMBSTONED) throw streamDeleted(stream);
  if (tail === undefined && isAbsent(realHead)) throw streamNotFound(stream);
  // a soft-deleted real stream shows none of its events, and its revisions still count
  const realLast = realHead === undefined || isAbsent(realHead) ? -1 : realHead.lastRevision;
  const part: StreamPart = {
    real,
    db,
    stream,
    branch: branch.name,
    fork,
    maxSeq,
    realLast,
    branchFirst: (realHead?.lastRevision ?? -1) + 1,
    raw: options?.raw === true,
  };
  const lastRevision = tail?.revision ?? realHead!.lastRevision;
  return plan.backward ? backwardPage(part, plan, lastRevision) : forwardPage(part, plan, lastRevision);
}

interface StreamPart {
  real: EventStore;
  db: Reader;
  stream: string;
  branch: string;
  fork: number;
  maxSeq: number;
  /** The last real revision readable on the branch; -1 when none is. */
  realLast: number;
  /** The revision of the stream's first event on the branch. */
  branchFirst: number;
  raw: boolean;
}

async function forwardPage(part: StreamPart, plan: StreamReadPlan, lastRevision: number): Promise<StreamPage> {
  const from = plan.from ?? 0;
  const events: RecordedEvent[] = [];
  if (from <= part.realLast) {
    const page = await realStreamPage(part.real, part.stream, part.fork, { from, limit: plan.limit, raw: part.raw });
    events.push(...page.events);
  }
  const remaining = plan.limit - events.length;
  if (remaining > 0 && lastRevision >= part.branchFirst) {
    const page = { from: Math.max(from, part.branchFirst), backward: false, limit: remaining, maxSeq: part.maxSeq };
    events.push(...(await streamRows(part.db, part.branch, part.stream, page)).map((row) => recordedOf(row, part.fork)));
  }
  const last = events[events.length - 1];
  const next = events.length === plan.limit && last !== undefined && last.revision < lastRevision ? last.revision + 1 : null;
  return { events, next };
}

async function backwardPage(part: StreamPart, plan: StreamReadPlan, lastRevision: number): Promise<StreamPage> {
  const from = Math.min(plan.from ?? lastRevision, lastRevision);
  const events: RecordedEvent[] = [];
  if (from >= part.branchFirst) {
    const page = { from, backward: true, limit: plan.limit, maxSeq: part.maxSeq };
    events.push(...(await streamRows(part.db, part.branch, part.stream, page)).map((row) => recordedOf(row, part.fork)));
  }
  const remaining = plan.limit - events.length;
  if (remaining === 0) {
    const earliest = events[events.length - 1]!.revision;
    return { events, next: earliest > part.branchFirst || part.realLast >= 0 ? earliest - 1 : null };
  }
  if (part.realLast < 0) return { events, next: null };
  const page = await realStreamPage(part.real, part.stream, part.fork, { from: Math.min(from, part.realLast), direction: 'backward', limit: remaining, raw: part.raw });
  events.push(...page.events);
  return { events, next: page.next };
}

/**
 * A page of the log on a branch: the real log up to the fork, then the
 * branch's own events at `fork + seq`, filtered alike. A filtered read scans
 * a bounded window of the branch's events, as a backend's does of the log.
 */
export async function readBranchLog(context: BranchReadContext, options: ReadAllOptions = {}, asOf: boolean): Promise<AllPage> {
  const plan = planAllRead(options);
  const { real, branch, until } = context;
  const realUntil = Math.min(branch.fork, until);
  const events: RecordedEvent[] = [];
  if (plan.after < realUntil) {
    const page = await real.readAll({ ...options, asOf: realUntil });
    const kept = page.events.filter((event) => event.position <= realUntil);
    const done = kept.length < page.events.length || page.next === null || page.next >= realUntil;
    if (!done) return { events: kept, next: page.next };
    events.push(...kept);
  }
  return branchLogPage(context, plan, events, asOf);
}

async function branchLogPage({ db, branch, until }: BranchReadContext, plan: AllReadPlan, events: RecordedEvent[], asOf: boolean): Promise<AllPage> {
  const fullPage = (): AllPage => {
    const last = events[events.length - 1]!.position;
    return { events, next: asOf && last >= until ? null : last };
  };
  const remaining = plan.limit - events.length;
  if (remaining === 0) return fullPage();
  const afterSeq = Math.max(plan.after, branch.fork) - branch.fork;
  const untilSeq = until - branch.fork;
  if (untilSeq <= afterSeq) return { events, next: null };
  const { filter } = plan;
  const only = indexedColumn(filter);
  if (only !== undefined || filter === undefined) {
    // read through the branch's columns (or unfiltered): no scan window, as the log's index answers such a read
    const rows = await rowsAfter(db, branch.name, { afterSeq, untilSeq, limit: remaining }, only);
    events.push(...rows.map((row) => recordedOf(row, branch.fork)));
    return rows.length === remaining ? fullPage() : { events, next: null };
  }
  const window = Math.max(FILTER_SCAN_WINDOW, remaining);
  const rows = await rowsAfter(db, branch.name, { afterSeq, untilSeq, limit: window });
  for (const row of rows) {
    const event = recordedOf(row, branch.fork);
    if (!filterMatches(filter, event.stream, event.type, event.tags)) continue;
    events.push(event);
    if (events.length === plan.limit) return fullPage();
  }
  const scannedTo = rows.length === window ? Number(rows[rows.length - 1]!.seq) : untilSeq;
  return { events, next: scannedTo < untilSeq ? branch.fork + scannedTo : null };
}

/** The column that answers a filter of categories alone or types alone, as the log's indexes do; undefined for any other filter. */
function indexedColumn(filter: NormalizedFilter | undefined): { column: 'category' | 'type'; values: readonly string[] } | undefined {
  if (filter === undefined || filter.query !== undefined || filter.streamPrefix !== undefined) return undefined;
  if (filter.categories !== undefined && filter.types === undefined) return { column: 'category', values: filter.categories };
  if (filter.types !== undefined && filter.categories === undefined) return { column: 'type', values: filter.types };
  return undefined;
}
