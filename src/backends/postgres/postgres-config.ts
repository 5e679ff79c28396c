/** How to open the PostgreSQL store. */
export interface PostgresStoreConfig {
  /** A `postgres://user:password@host:port/database` URL. */
  url: string;
  /** The schema holding Tributary's tables; created when missing. Default `tributary`. */
  schema?: string;
  /** Connections for reads and writes; default 10. */
  poolSize?: number;
  /** How long to wait for a connection before failing with STORE_UNAVAILABLE; default 5000 ms. */
  connectTimeoutMs?: number;
  /** The clock stamped on events as `recordedAt` and used for max-age retention. Default `Date.now`. */
  clock?: () => number;
  /** Receives the progress lines of a migration that takes long (a log above a million events); default stderr, `() => {}` for none. */
  onMigrationProgress?: (line: string) => void;
}

export const DEFAULT_SCHEMA = 'tributary';
export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

// lower case and plain, so quoting it is enough, and short enough for a notification channel name
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,49}$/;

/** The schema as SQL names it: quoted, so a name such as `group` or `user` is no keyword. */
export function schemaIdentifier(schema: string): string {
  return `"${schema}"`;
}
