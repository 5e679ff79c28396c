import { TributaryError } from '../core/errors.js';
import type { COPIED_TABLES, CopiedStream, CopyCheckpoint, CopyState } from './log-copy.js';
import { EVENT_ROW, type EventRow } from './sql-rows.js';

/** The stream columns an exact copy carries, in the order of {@link CopiedStreamRow}; both SQL backends select and insert these. */
export const COPIED_STREAM_COLUMNS =
  'name, category, last_revision, last_position, state, deleted_before, truncate_before, max_count, max_age, custom_metadata, ' +
  'changed, changed_at, scavenged_revision, scavenged_recorded_at, scavenged_until';

/** A stream row in the column order of {@link COPIED_STREAM_COLUMNS}; numbers may come as bigint text from PostgreSQL. */
export type CopiedStreamRow = [
  name: string,
  category: string,
  lastRevision: number | string,
  lastPosition: number | string,
  state: number | string,
  deletedBefore: number | string,
  truncateBefore: number | string | null,
  maxCount: number | string | null,
  maxAge: number | string | null,
  customMetadata: string | null,
  changed: number | string,
  changedAt: number | string,
  scavengedRevision: number | string,
  scavengedRecordedAt: number | string,
  scavengedUntil: number | string,
];

const orNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

export function copiedStreamOf(row: CopiedStreamRow): CopiedStream {
  return {
    name: row[0],
    category: row[1],
    lastRevision: Number(row[2]),
    lastPosition: Number(row[3]),
    state: Number(row[4]),
    deletedBefore: Number(row[5]),
    truncateBefore: orNull(row[6]),
    maxCount: orNull(row[7]),
    maxAge: orNull(row[8]),
    customMetadata: row[9],
    changed: Number(row[10]),
    changedAt: Number(row[11]),
    scavengedRevision: Number(row[12]),
    scavengedRecordedAt: Number(row[13]),
    scavengedUntil: Number(row[14]),
  };
}

/** A copied stream's values in the column order of {@link COPIED_STREAM_COLUMNS}, for an insert. */
export function copiedStreamValues(stream: CopiedStream): CopiedStreamRow {
  return [
    stream.name,
    stream.category,
    stream.lastRevision,
    stream.lastPosition,
    stream.state,
    stream.deletedBefore,
    stream.truncateBefore,
    stream.maxCount,
    stream.maxAge,
    stream.customMetadata,
    stream.changed,
    stream.changedAt,
    stream.scavengedRevision,
    stream.scavengedRecordedAt,
    stream.scavengedUntil,
  ];
}

/** The tags of a copied event row, from its stored JSON text (none when null). */
export function copiedEventTags(row: EventRow): string[] {
  const tags = row[EVENT_ROW.tags];
  return tags === null ? [] : (JSON.parse(tags) as string[]);
}

/**
 * The revision floor a scavenge records for a stream: no higher than the
 * revision its next event will have, so a later event is never taken for one
 * the scavenge removed (truncateBefore may point past the stream's end).
 */
export function recordedRevisionFloor(minRevision: number, lastRevision: number): number {
  return Math.min(minRevision, lastRevision + 1);
}

/** A lake projection's consumers (`projection:<name>:g<n>`, see consumerNameOf), which a copy carries with it. */
function lakeProjectionConsumer(column: string, tables: string): string {
  return `(${column} NOT LIKE 'projection:%' OR EXISTS (SELECT 1 FROM ${tables}tributary_projections p WHERE p.location IS NOT NULL AND p.removed_at IS NULL
    AND substr(${column}, 1, length(p.name) + 13) = 'projection:' || p.name || ':g'))`;
}

/**
 * The rows of each copied table a copy carries, as a SQL condition (none: all
 * of them); `tables` is the schema prefix of the store's tables (`"s".`, or
 * empty). Projections that keep their tables in the store's own database are
 * rebuilt on the target, so neither their registry rows nor their consumers'
 * checkpoints and parked events come across; lake projections come across whole.
 */
export function carriedRows(table: (typeof COPIED_TABLES)[number], tables = ''): string | undefined {
  switch (table) {
    case 'tributary_projections':
      return 'location IS NOT NULL AND removed_at IS NULL';
    case 'consumers':
      return lakeProjectionConsumer('name', tables);
    case 'consumer_partitions':
    case 'parked_events':
      return lakeProjectionConsumer('consumer', tables);
    default:
      return undefined;
  }
}

/**
 * The key each copied table is read in, as `[column, isText]` pairs: two copies
 * of one store read their rows in the same order. Text compares by its bytes,
 * as SQLite compares it (PostgreSQL's `COLLATE "C"`).
 */
export const COPIED_TABLE_KEYS: Record<(typeof COPIED_TABLES)[number], readonly (readonly [column: string, isText: boolean])[]> = {
  consumers: [['name', true]],
  consumer_partitions: [['consumer', true], ['partition', false]],
  parked_events: [['consumer', true], ['position', false]],
  tokens: [['id', true]],
  tributary_projections: [['name', true]],
  tributary_snapshots: [['stream', true], ['name', true]],
};

/** The ORDER BY list of a copied table; `byteOrder` is how the database compares text byte by byte (empty where it does already). */
export function copiedTableOrder(table: (typeof COPIED_TABLES)[number], byteOrder = ''): string {
  return COPIED_TABLE_KEYS[table].map(([column, isText]) => (isText && byteOrder !== '' ? `${column} ${byteOrder}` : column)).join(', ');
}

/** A `copy_state` row, as both SQL backends keep it. */
export interface CopyStateRow {
  source_id: string;
  source_location: string;
  role: CopyState['role'];
  position: number;
  change: number;
  source_head: number;
  promote_requested_at: number | null;
  updated_at: number;
}

export function copyStateOf(row: CopyStateRow): CopyState {
  return {
    sourceId: row.source_id,
    sourceLocation: row.source_location,
    role: row.role,
    checkpoint: { position: Number(row.position), change: Number(row.change) },
    sourceHead: Number(row.source_head),
    promoteRequestedAt: row.promote_requested_at === null ? null : Number(row.promote_requested_at),
    updatedAt: Number(row.updated_at),
  };
}

/** MIRROR_TARGET_REFUSED: a copy cannot begin, or go on, in this target. */
export function copyTargetRefused(reason: 'same-store' | 'not-empty' | 'promoted', message: string): TributaryError {
  return new TributaryError('MIRROR_TARGET_REFUSED', `${message}; nothing was written`, { reason });
}

/** MIRROR_DIVERGED: the target is not where the batch starts (`found` null: it holds no copy), or holds a position the batch brings. */
export function copyDiverged(expected: CopyCheckpoint, found: CopyCheckpoint | null, extra: { position?: number; cause?: unknown } = {}): TributaryError {
  const where = extra.position === undefined ? '' : `: it holds position ${extra.position} already`;
  return new TributaryError(
    'MIRROR_DIVERGED',
    `the copy expected its target at ${JSON.stringify(expected)} and found ${JSON.stringify(found)}${where}: another writer or copy moved it; nothing of the batch was written`,
    { expected, found, ...(extra.position === undefined ? {} : { position: extra.position }) },
    extra.cause === undefined ? undefined : { cause: extra.cause },
  );
}
