import type pg from 'pg';
import type { SqlTransaction } from '../../store/consumer-store.js';
import { storeClosed } from '../../store/store-closed.js';
import { postgresDialect } from './postgres-dialect.js';
import { translatePgError } from './postgres-errors.js';

/** Runs `work` in a transaction on a pooled connection of its own; a throw rolls it back. */
export async function inTransaction<T>(pool: pg.Pool, isClosed: () => boolean, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (isClosed()) throw storeClosed();
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw translatePgError(error);
  }
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    const value = await work(client);
    await client.query('COMMIT');
    return value;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw translatePgError(error);
  } finally {
    client.off('error', ignore);
    client.release();
  }
}

/** SQL on a transaction's own connection: a consumer's `transact`, `sql.transaction`, an inline append. */
export class PostgresTransaction implements SqlTransaction {
  readonly dialect = postgresDialect;
  readonly #client: pg.PoolClient;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#client.query(sql, params as unknown[])).rows as Row[];
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.#client.query(sql, params as unknown[])).rowCount ?? 0 };
  }
}
