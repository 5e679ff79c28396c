import { TributaryError } from '../../core/errors.js';
import { storeClosed } from '../../store/store-closed.js';

// SQLSTATE classes that mean "the server or the connection went away", not "the request was wrong"
const UNAVAILABLE_STATES = /^(08|53|57P|58)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// the server's resources ran out: the connection is fine, writes fail until an operator acts
const STORAGE_FAILURES: Record<string, string> = { '53100': 'disk full', '53200': 'out of memory', '53300': 'too many connections', '58030': 'I/O error' };

/**
 * Translates a pg error into a coded TributaryError at the backend boundary.
 * A lost connection or a server shutting down is STORE_UNAVAILABLE (retriable);
 * a deadlock or serialization failure STORE_BUSY; a database that does not exist
 * or credentials it refuses are DATABASE_NOT_FOUND and AUTHENTICATION_FAILED,
 * which no retry cures; anything else passes through unchanged, because it is a bug.
 * `location` (the URL without its password) names the database in those messages.
 */
export function translatePgError(error: unknown, location?: string): unknown {
  if (error instanceof TributaryError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === '3D000') return databaseNotFound(message, location, error);
  if (code === '28000' || code === '28P01') return authenticationFailed(code, message, location, error);
  if (typeof code === 'string' && (UNAVAILABLE_STATES.test(code) || NETWORK_CODES.has(code))) {
    return unavailable(message, code, error);
  }
  if (code === '40001' || code === '40P01' || code === '55P03') {
    return new TributaryError('STORE_BUSY', `the database refused the transaction: ${message}`, { postgres: code }, { cause: error });
  }
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Query read timeout/i.test(message)) {
    return unavailable(message, code ?? null, error);
  }
  return error;
}

function unavailable(message: string, code: unknown, cause: unknown): TributaryError {
  const storage = typeof code === 'string' ? STORAGE_FAILURES[code] : undefined;
  if (storage !== undefined) {
    return new TributaryError('STORE_UNAVAILABLE', `the database failed (${storage}): ${message}`, { postgres: code, storage }, { cause });
  }
  return new TributaryError('STORE_UNAVAILABLE', `the database is unreachable: ${message}`, { postgres: code }, { cause });
}

function databaseNotFound(message: string, location: string | undefined, cause: unknown): TributaryError {
  const database = /"([^"]+)"/.exec(message)?.[1] ?? 'the database';
  const where = location === undefined ? '' : ` at ${location}`;
  return new TributaryError(
    'DATABASE_NOT_FOUND',
    `PostgreSQL has no database ${JSON.stringify(database)}${where}: create it (createdb ${database}) or fix the database name in the URL`,
    { location, database, postgres: '3D000' },
    { cause },
  );
}

function authenticationFailed(code: string, message: string, location: string | undefined, cause: unknown): TributaryError {
  const user = /(?:user|role) "([^"]+)"/.exec(message)?.[1];
  const where = location === undefined ? '' : ` at ${location}`;
  return new TributaryError(
    'AUTHENTICATION_FAILED',
    `PostgreSQL${where} refused to sign in: ${message}. Check the user and password in the URL, and that the role exists (createuser) and pg_hba.conf admits it`,
    { location, user, postgres: code },
    { cause },
  );
}

/**
 * Runs a database call for a store handle: refused with STORE_CLOSED once the
 * handle is closed, and with the driver's errors translated to coded ones.
 */
export async function guarded<T>(isClosed: () => boolean, work: () => Promise<T>): Promise<T> {
  if (isClosed()) throw storeClosed();
  try {
    return await work();
  } catch (error) {
    throw translatePgError(error);
  }
}
