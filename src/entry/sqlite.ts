/** `tributary/sqlite`: the embedded SQLite store. Importing it loads better-sqlite3. */
export { openSqliteStore, SqliteEventStore } from '../backends/sqlite/sqlite-store.js';
export type { SqliteStoreConfig } from '../backends/sqlite/sqlite-config.js';
export type { WalUpkeep } from '../backends/sqlite/sqlite-store.js';
export type { WalSync, FsyncFunction, SyncFile } from '../backends/sqlite/sqlite-wal-sync.js';
export type { WalCheckpointer } from '../backends/sqlite/sqlite-checkpointer.js';
