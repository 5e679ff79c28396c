/** `tributary/sqlite`: the embedded SQLite store. Importing it loads better-sqlite3. */
export { openSqliteStore, SqliteEventStore } from '../backends/sqlite/sqlite-store.js';
export type { SqliteStoreConfig } from '../backends/sqlite/sqlite-config.js';
