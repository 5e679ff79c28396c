/** How to open the embedded SQLite store. */
export interface SqliteStoreConfig {
  /** The database file; created with its folder when missing. `:memory:` for a throwaway store. */
  path: string;
  /** Fail with DATABASE_NOT_FOUND, creating nothing, when the file does not exist (for callers that only read). */
  mustExist?: boolean;
  /** How long a write waits for another process's write lock before failing with STORE_BUSY. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** The clock stamped on events as `recordedAt` and used for max-age retention. Default `Date.now`. */
  clock?: () => number;
  /** Receives the progress lines of a migration that takes long (a log above a million events); default stderr, `() => {}` for none. */
  onMigrationProgress?: (line: string) => void;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
