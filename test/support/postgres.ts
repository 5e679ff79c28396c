import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the PostgreSQL tests use; trust auth on this machine kind. */
export const ADMIN_URL = process.env['TRIBUTARY_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A throwaway database for one test file, or undefined (with the reason printed)
 * when no PostgreSQL answers. Under CI=true a missing PostgreSQL is an error:
 * CI never skips the PostgreSQL tests.
 */
export async function throwawayDatabase(): Promise<TestDatabase | undefined> {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    const reason = `PostgreSQL is not reachable at ${ADMIN_URL}: ${(error as Error).message}`;
    if (process.env['CI'] === 'true') throw new Error(`${reason} (CI=true: the PostgreSQL tests must run)`, { cause: error });
    console.warn(`skipping the PostgreSQL tests: ${reason}`);
    return undefined;
  }
  const name = `tributary_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = new pg.Client({ connectionString: ADMIN_URL });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
