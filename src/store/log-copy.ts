import type { EventRow } from './sql-rows.js';

/**
 * What an exact copy of a store moves (a mirror, a backup, a restore). Events
 * travel as their stored rows (`EventRow`: data, metadata and tags as their
 * stored JSON text), so nothing is re-encoded. A stream's row follows its
 * events (an append sets its last revision and position and makes a
 * soft-deleted stream live again, on the copy as on the source); everything
 * else about a stream — metadata, soft delete, tombstone, what a scavenge
 * removed — travels as the stream's whole row whenever it changes, numbered by
 * a store-wide change counter and placed in the log at the head it was made at.
 */
export interface CopiedStream {
  name: string;
  category: string;
  lastRevision: number;
  lastPosition: number;
  /** 0 live, 1 soft-deleted, 2 tombstoned (write-rules.ts). */
  state: number;
  deletedBefore: number;
  truncateBefore: number | null;
  maxCount: number | null;
  maxAge: number | null;
  /** The custom metadata as its stored JSON text. */
  customMetadata: string | null;
  /** The store-wide number of the stream's last change other than an append; never 0 for a row a copy carries. */
  changed: number;
  /** The log's head when that change was made: a copy applies the row after the events up to there, before the rest. */
  changedAt: number;
  /**
   * What scavenges removed of the stream: every event at a position up to
   * `scavengedUntil` with a revision below `scavengedRevision` or recorded
   * before `scavengedRecordedAt` (ms). All 0 when it was never scavenged.
   */
  scavengedRevision: number;
  scavengedRecordedAt: number;
  scavengedUntil: number;
}

/** Where a store's log stands, as a copy of it needs to know. */
export interface CopyHead {
  /** The last position the store handed out (scavenged or not); a copy continues after it. */
  head: number;
  /** The store's last stream change number (CopiedStream.changed), 0 when none. */
  lastChange: number;
}

/** How far a copy has come: every event up to `position` and every stream change up to `change` are in it. */
export interface CopyCheckpoint {
  position: number;
  change: number;
}

/** Rows of one of the store's other tables (consumers, tokens, …): named columns, values as JS numbers, strings or null. */
export interface CopiedTable {
  table: string;
  columns: string[];
  rows: unknown[][];
}

/**
 * The tables a move brings across besides the log, in the order they are
 * written. Consumer members and their leases are left behind: the processes
 * join again on the new store. Projections that keep their tables in the
 * store's own database are rebuilt there (their registry rows stay behind);
 * lake projections come across with their checkpoints (docs/operations.md).
 */
export const COPIED_TABLES = ['consumers', 'consumer_partitions', 'parked_events', 'tokens', 'tributary_projections', 'tributary_snapshots'] as const;

/** The reads a copy makes of its source. */
export interface LogCopyReads {
  copyHead(): Promise<CopyHead>;
  /** Events at positions in `(after, until]`, in position order, at most `limit`. */
  readCopyEvents(after: number, until: number, limit: number): Promise<EventRow[]>;
  /** Streams whose last change is after `afterChange`, in change order, at most `limit`. */
  readStreamChanges(afterChange: number, limit: number): Promise<CopiedStream[]>;
  /** The rows of COPIED_TABLES, as they are now. */
  readTables(): Promise<CopiedTable[]>;
}

/** A store a copy reads from. */
export interface LogCopySource extends LogCopyReads {
  /** The store's id: made once, when its schema is created, and never copied (docs/operations.md). */
  storeId(): Promise<string>;
  /**
   * Runs `read` on one consistent view of the store: every read through `view`
   * sees the store as it stood at the first, whatever is written meanwhile (a
   * backup). SQLite: a read transaction on a connection of its own; PostgreSQL:
   * a REPEATABLE READ READ ONLY transaction. Writes go on beside it.
   */
  snapshot<T>(read: (view: LogCopyReads) => Promise<T>): Promise<T>;
}

/** What a store records of the copy it holds; absent on a store that is not one. */
export interface CopyState {
  /** The id of the store it is a copy of. */
  sourceId: string;
  /** Where that store was, for people (no credentials). */
  sourceLocation: string;
  /** `mirror`: read-only and following; `promoted`: a store of its own now; `restored`: a restore, which takes incremental backups until written to. */
  role: 'mirror' | 'promoted' | 'restored';
  checkpoint: CopyCheckpoint;
  /** The source's head when the copy last looked: the lag is `sourceHead - checkpoint.position`. */
  sourceHead: number;
  /** When a mirror asked to be promoted and has not yet been (ms), or null. */
  promoteRequestedAt: number | null;
  /** When the copy last wrote (ms): a running mirror writes at least every few seconds. */
  updatedAt: number;
}

/** One batch of a copy, written in one transaction. */
export interface CopyBatch {
  /** In position order, every one after the checkpoint the batch is applied on. */
  events: EventRow[];
  /** In change order; each applied after the batch's events up to its `changedAt`, before the rest. */
  changes: CopiedStream[];
  /** Where the copy stands after the batch. */
  checkpoint: CopyCheckpoint;
  /** The source's last handed-out position: the copy's own counter is moved up to it, so positions continue after a promote. */
  head: number;
  /** The source's head when the batch was read (CopyState.sourceHead). */
  sourceHead: number;
}

/** A store a copy writes into: its exact-copy write path and the record of what it holds. */
export interface LogCopyTarget {
  storeId(): Promise<string>;
  copyState(): Promise<CopyState | undefined>;
  /** True when the store has no event, no stream and no copy state. */
  isEmpty(): Promise<boolean>;
  /** Records that the store is a copy of `sourceId` at checkpoint 0; MIRROR_TARGET_REFUSED when it is not empty. */
  beginCopy(sourceId: string, sourceLocation: string, role: CopyState['role']): Promise<void>;
  /**
   * Writes a batch and the checkpoint in one transaction: each event at its own
   * position with its own id, stream, revision, recorded time and text; index
   * rows; stream rows. MIRROR_DIVERGED (nothing written) when the stored
   * checkpoint is not `from`.
   */
  applyCopy(from: CopyCheckpoint, batch: CopyBatch): Promise<void>;
  /** Replaces the rows of COPIED_TABLES with the source's, in one transaction. */
  replaceTables(tables: readonly CopiedTable[]): Promise<void>;
  /** Sets the role and the promote request; the heartbeat (`updatedAt`) moves too. */
  updateCopyState(change: Partial<Pick<CopyState, 'role' | 'promoteRequestedAt' | 'sourceHead'>>): Promise<void>;
}

/**
 * A batch cut into the order it is applied in: runs of events, and between
 * them the stream changes made at the head the run ends at.
 */
export type CopyStep = { events: EventRow[] } | { change: CopiedStream };

export function copySteps(batch: Pick<CopyBatch, 'events' | 'changes'>): CopyStep[] {
  const steps: CopyStep[] = [];
  let next = 0;
  for (const change of batch.changes) {
    let end = next;
    while (end < batch.events.length && batch.events[end]![0] <= change.changedAt) end++;
    if (end > next) steps.push({ events: batch.events.slice(next, end) });
    steps.push({ change });
    next = end;
  }
  if (next < batch.events.length) steps.push({ events: next === 0 ? batch.events : batch.events.slice(next) });
  return steps;
}

/** The stream rows a run of copied events moves: each stream's last revision and position in the run, in first-seen order. */
export function streamTips(events: readonly EventRow[]): Map<string, { lastRevision: number; lastPosition: number }> {
  const tips = new Map<string, { lastRevision: number; lastPosition: number }>();
  for (const [position, , stream, revision] of events) tips.set(stream, { lastRevision: revision, lastPosition: position });
  return tips;
}

export function sameCheckpoint(a: CopyCheckpoint, b: CopyCheckpoint): boolean {
  return a.position === b.position && a.change === b.change;
}

/**
 * Where a store stands by its own reads: its head and its last stream change
 * number. On a copy these equal its checkpoint until something other than the
 * copy writes to it (an append moves the head; metadata, a delete or a
 * scavenge only the change number).
 */
export async function copyStandsAt(reads: Pick<LogCopyReads, 'copyHead'>): Promise<CopyCheckpoint> {
  const { head, lastChange } = await reads.copyHead();
  return { position: head, change: lastChange };
}
