/** `tributary/postgres`: the PostgreSQL store. Importing it loads pg. */
export { openPostgresStore, PostgresEventStore } from '../backends/postgres/postgres-store.js';
export type { PostgresStoreConfig } from '../backends/postgres/postgres-config.js';
