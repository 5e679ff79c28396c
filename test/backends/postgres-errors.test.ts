import { expect, it } from 'vitest';
import { translatePgError } from '../../src/backends/postgres/postgres-errors.js';
import type { TributaryError } from '../../src/core/errors.js';

/** An error as pg raises it: a message and a SQLSTATE code. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
const translated = (code: string, message: string) => translatePgError(pgError(code, message), 'postgres://app:***@db/events') as TributaryError;

it('SQLSTATEs that no retry cures are coded as such, never as the retriable STORE_UNAVAILABLE', () => {
  expect(translated('3D000', 'database "events" does not exist')).toMatchObject({ code: 'DATABASE_NOT_FOUND', retriable: false, details: { database: 'events' } });
  expect(translated('28000', 'role "app" does not exist')).toMatchObject({ code: 'AUTHENTICATION_FAILED', retriable: false, details: { user: 'app', postgres: '28000' } });
  expect(translated('28P01', 'password authentication failed for user "app"')).toMatchObject({ code: 'AUTHENTICATION_FAILED', retriable: false, details: { user: 'app', postgres: '28P01' } });
});

it('resource failures are STORE_UNAVAILABLE with the storage reason health reports; a dropped connection has none', () => {
  expect(translated('53100', 'could not extend file: No space left on device')).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { postgres: '53100', storage: 'disk full' } });
  expect(translated('53200', 'out of memory')).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { storage: 'out of memory' } });
  expect(translated('58030', 'could not write block')).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { storage: 'I/O error' } });
  const dropped = translated('57P01', 'terminating connection due to administrator command');
  expect(dropped.code).toBe('STORE_UNAVAILABLE');
  expect(dropped.details['storage']).toBeUndefined();
});
