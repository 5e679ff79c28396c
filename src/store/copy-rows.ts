import type { CopiedStream } from './log-copy.js';

/** The stream columns a copy carries, both SQL backends select them in this order. */
export const COPIED_STREAM_COLUMNS =
  'name, category, last_revision, last_position, state, deleted_before, truncate_before, max_count, max_age, custom_metadata, ' +
  'changed, changed_at, scavenged_revision, scavenged_recorded_at, scavenged_until';

/** A stream row in the column order of {@link COPIED_STREAM_COLUMNS}. */
export type CopiedStreamRow = [
  name: string,
  category: string,
  lastRevision: number,
  lastPosition: number,
  state: number,
  deletedBefore: number,
  truncateBefore: number | null,
  maxCount: number | null,
  maxAge: number | null,
  customMetadata: string | null,
  changed: number,
  changedAt: number,
  scavengedRevision: number,
  scavengedRecordedAt: number,
  scavengedUntil: number,
];

/** A stream row as a copy carries it. */
export function copiedStreamOf(row: CopiedStreamRow): CopiedStream {
  const [name, category, lastRevision, lastPosition, state, deletedBefore, truncateBefore, maxCount, maxAge, customMetadata, changed, changedAt] = row;
  const [scavengedRevision, scavengedRecordedAt, scavengedUntil] = [row[12], row[13], row[14]];
  return {
    name,
    category,
    lastRevision,
    lastPosition,
    state,
    deletedBefore,
    truncateBefore,
    maxCount,
    maxAge,
    customMetadata,
    changed,
    changedAt,
    scavengedRevision,
    scavengedRecordedAt,
    scavengedUntil,
  };
}

/** A copied table's value as it travels: booleans as 0 or 1, everything else as the driver gave it. */
export function copiedValue(value: unknown): unknown {
  return typeof value === 'boolean' ? Number(value) : value;
}
