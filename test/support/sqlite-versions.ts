/** Takes a SQLite file back to the schema version 8 left: no store identity, no copy state, no stream change columns. */
export const SQLITE_UNDO_9 = `DROP TABLE store_identity; DROP TABLE copy_state; DROP INDEX streams_by_change;
  ALTER TABLE streams DROP COLUMN changed; ALTER TABLE streams DROP COLUMN changed_at; ALTER TABLE streams DROP COLUMN scavenged_revision;
  ALTER TABLE streams DROP COLUMN scavenged_recorded_at; ALTER TABLE streams DROP COLUMN scavenged_until;`;
