import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { TributaryError } from '../../src/core/errors.js';
import { ADMIN_URL, throwawayDatabase } from '../support/postgres.js';

const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');
// only to learn whether PostgreSQL answers (CI=true fails instead of skipping)
const database = await throwawayDatabase();
afterAll(async () => database?.drop());

/** ADMIN_URL with another database, user or password. */
function urlWith(change: { database?: string; user?: string; password?: string }): string {
  const url = new URL(ADMIN_URL);
  if (change.database !== undefined) url.pathname = `/${change.database}`;
  if (change.user !== undefined) url.username = change.user;
  if (change.password !== undefined) url.password = change.password;
  return url.toString();
}

async function openError(location: string): Promise<TributaryError> {
  const error = await openStore(location).then(
    async (store) => {
      await store.close();
      throw new Error(`${location} opened`);
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(TributaryError);
  return error as TributaryError;
}

describe.skipIf(database === undefined)('opening PostgreSQL with a database or role that does not exist', () => {
  const missing = `tributary_missing_${randomBytes(4).toString('hex')}`;

  it('a missing database is DATABASE_NOT_FOUND, not retriable, with createdb as the hint and the password redacted', async () => {
    const error = await openError(urlWith({ database: missing, password: 'hunter2' }));
    expect(error.code).toBe('DATABASE_NOT_FOUND');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`createdb ${missing}`);
    expect(error.details).toMatchObject({ database: missing, postgres: '3D000' });
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
    expect(String(error.details['location'])).toContain(':***@');
  });

  it('an unknown role is AUTHENTICATION_FAILED, not retriable, naming the user to check', async () => {
    const user = `tributary_nobody_${randomBytes(4).toString('hex')}`;
    const error = await openError(urlWith({ user, password: 'hunter2' }));
    expect(error.code).toBe('AUTHENTICATION_FAILED');
    expect(error.retriable).toBe(false);
    expect(error.details).toMatchObject({ user, postgres: '28000' });
    expect(error.message).toContain('Check the user and password in the URL');
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
  });

  it('the CLI says the same, with exit code 1 and no password', () => {
    const result = spawnSync(process.execPath, [BIN, 'read', 'order-1', '--db', `${urlWith({ database: missing, password: 'hunter2' })}?schema=cli`], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^tributary: DATABASE_NOT_FOUND: PostgreSQL has no database "${missing}" at postgres://.*createdb ${missing}`));
    expect(result.stderr).not.toContain('hunter2');
  });
});
