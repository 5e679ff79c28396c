/** Takes a PostgreSQL schema back to the version 11 left: no correlation index, subject keys or gateway recordings. */
export function postgresUndo12(schema: string): string {
  return `DROP INDEX ${schema}.events_by_correlation; DROP TABLE ${schema}.tributary_subject_keys, ${schema}.tributary_gateway_recordings;
    DROP FUNCTION ${schema}.correlation_of_escaped;`;
}

/**
 * Takes a PostgreSQL schema back to the version 10 left (every later version undone): no position_at function. append_group keeps
 * migration 11's body, which differs from 10's only in stamping times that never decrease; 11 replaces it again.
 */
export function postgresUndo11(schema: string): string {
  return `${postgresUndo12(schema)} DROP FUNCTION ${schema}.position_at;`;
}

/** Takes a PostgreSQL schema back to the version 9 left (every later version undone): no branch tables. */
export function postgresUndo10(schema: string): string {
  return `${postgresUndo11(schema)} DROP TABLE ${schema}.tributary_branch_events, ${schema}.tributary_branches;`;
}

/** Takes a PostgreSQL schema back to the version 8 left (every later version undone): no store identity, copy state, change counter, stream change columns or apply function. */
export function postgresUndo9(schema: string): string {
  return `${postgresUndo10(schema)} DROP FUNCTION ${schema}.apply_copy; DROP TABLE ${schema}.store_identity, ${schema}.copy_state; DROP SEQUENCE ${schema}.stream_changes;
    ALTER TABLE ${schema}.streams DROP COLUMN changed, DROP COLUMN changed_at, DROP COLUMN scavenged_revision,
      DROP COLUMN scavenged_recorded_at, DROP COLUMN scavenged_until;`;
}
