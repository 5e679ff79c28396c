/**
 * Every name the store itself keeps a table, index or sequence under, on any
 * backend: what its schema files create, and what PostgreSQL names for them
 * (`_pkey`, `_key`, `_seq`). One list for both backends, so that a definition
 * refused on PostgreSQL (`log_head`) is refused on SQLite as well.
 * test/store/reserved-names.test.ts reads both schema files and both
 * catalogues, and fails when a name is missing here.
 */
export const STORE_NAMES: readonly string[] = [
  // the log
  'streams',
  'streams_pkey',
  'streams_name_key',
  'streams_stream_id_seq',
  'streams_by_category',
  'events',
  'events_pkey',
  'events_by_stream',
  'events_by_id',
  'events_by_correlation',
  'log_head',
  'log_head_pkey',
  // the category and type indexes of the log
  'event_categories',
  'event_categories_pkey',
  'events_by_type',
  // the tag index of the log
  'event_tags',
  'event_tags_pkey',
  // consumers: checkpoints, group members, parked events
  'consumers',
  'consumers_pkey',
  'consumer_partitions',
  'consumer_partitions_pkey',
  'consumer_members',
  'consumer_members_pkey',
  'parked_events',
  'parked_events_pkey',
  // access
  'tokens',
  'tokens_pkey',
  // the store's id, the copy it holds, and the stream change counter (mirrors, backups)
  'store_identity',
  'store_identity_pkey',
  'copy_state',
  'copy_state_pkey',
  'streams_by_change',
  'stream_changes',
  // schema versions (PostgreSQL; SQLite keeps its version in a pragma)
  'migrations',
  'migrations_pkey',
];

/**
 * Prefixes of names nobody else may take: `tributary_` for the store's own
 * tables beside the log (the projection registry, and any added later),
 * `sqlite_` and `pg_` for the databases' catalogues.
 */
export const STORE_PREFIXES: readonly string[] = ['tributary_', 'sqlite_', 'pg_'];

/** Whether `name` is the store's or a database's own (compared in lower case: SQLite ignores case in names). */
export function isStoreName(name: string): boolean {
  const lower = name.toLowerCase();
  return STORE_NAMES.includes(lower) || STORE_PREFIXES.some((prefix) => lower.startsWith(prefix));
}
