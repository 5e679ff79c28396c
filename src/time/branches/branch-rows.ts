import { RecordedEvent } from '../../core/event.js';
import type { BranchInfo } from '../../store/branches.js';
import type { StoredEvent } from '../../store/write-rules.js';

/** The branches table and the table of their events (migration 10 of both SQL backends). */
export const BRANCHES = 'tributary_branches';
export const BRANCH_EVENTS = 'tributary_branch_events';

/** A row of the branches table; PostgreSQL answers bigint columns as text. */
export interface BranchRow {
  name: string;
  fork_position: number | string;
  created_at: number | string;
  created_by: string | null;
  last_seq: number | string;
}

/** A row of a branch's events; `seq` counts from 1 in the branch. */
export interface BranchEventRow {
  seq: number | string;
  stream: string;
  revision: number | string;
  id: string;
  type: string;
  recorded_at: number | string;
  metadata: string | null;
  data: string;
  tags: string | null;
}

/** The columns of a branch event, in the order of {@link BranchEventRow}. */
export const EVENT_COLUMNS = 'seq, stream, revision, id, type, recorded_at, metadata, data, tags';

/** Where a branch forks and how far its own events reach. */
export interface BranchHead {
  name: string;
  /** The last real position the branch sees. */
  fork: number;
  /** The seq of the branch's last event; 0 when it has none. */
  lastSeq: number;
  createdAt: number;
  createdBy: string | null;
}

export function headOf(row: BranchRow): BranchHead {
  return {
    name: row.name,
    fork: Number(row.fork_position),
    lastSeq: Number(row.last_seq),
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
  };
}

export function infoOf(head: BranchHead, categories: readonly string[]): BranchInfo {
  return {
    name: head.name,
    forkPosition: head.fork,
    createdAt: head.createdAt,
    createdBy: head.createdBy,
    events: head.lastSeq,
    categories: [...categories],
  };
}

/** A branch event as readers see it: at position `fork + seq`. */
export function recordedOf(row: BranchEventRow, fork: number): RecordedEvent {
  return new RecordedEvent(
    row.id,
    row.stream,
    row.type,
    Number(row.revision),
    fork + Number(row.seq),
    row.data,
    row.metadata,
    Number(row.recorded_at),
    row.tags,
  );
}

/** A branch event as the idempotency check of `planAppend` compares it. */
export function storedOf(row: BranchEventRow, fork: number): StoredEvent {
  return {
    id: row.id,
    stream: row.stream,
    revision: Number(row.revision),
    position: fork + Number(row.seq),
    type: row.type,
    dataJson: row.data,
    metadataJson: row.metadata,
    tagsJson: row.tags,
  };
}
