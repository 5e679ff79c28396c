/** Takes a SQLite file back to the schema version 11 left: no correlation index, subject keys or gateway recordings. */
export const SQLITE_UNDO_12 = 'DROP INDEX events_by_correlation; DROP TABLE tributary_subject_keys; DROP TABLE tributary_gateway_recordings;';

/** Takes a SQLite file back to the schema version 10 left (every later version undone): migration 11 stored nothing (its writer rule and lookup are code). */
export const SQLITE_UNDO_11 = SQLITE_UNDO_12;

/** Takes a SQLite file back to the schema version 9 left (every later version undone): no branch tables. */
export const SQLITE_UNDO_10 = `${SQLITE_UNDO_11} DROP TABLE tributary_branch_events; DROP TABLE tributary_branches;`;

/** Takes a SQLite file back to the schema version 8 left (every later version undone): no store identity, no copy state, no stream change columns. */
export const SQLITE_UNDO_9 = `${SQLITE_UNDO_10} DROP TABLE store_identity; DROP TABLE copy_state; DROP INDEX streams_by_change;
  ALTER TABLE streams DROP COLUMN changed; ALTER TABLE streams DROP COLUMN changed_at; ALTER TABLE streams DROP COLUMN scavenged_revision;
  ALTER TABLE streams DROP COLUMN scavenged_recorded_at; ALTER TABLE streams DROP COLUMN scavenged_until;`;
