import { TributaryError } from '../../core/errors.js';

/**
 * Translates a better-sqlite3 error into a coded TributaryError at the backend
 * boundary; errors that are already coded, or are bugs, pass through unchanged.
 */
export function translateSqliteError(error: unknown): unknown {
  if (error instanceof TributaryError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  const message = (error as Error).message;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new TributaryError('STORE_BUSY', `the database is locked by another writer: ${message}`, { sqlite: code }, { cause: error });
  }
  if (/^SQLITE_(IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PERM)/.test(code)) {
    return new TributaryError('STORE_UNAVAILABLE', `the database failed: ${message}`, { sqlite: code, storage: storageFailure(code) }, { cause: error });
  }
  return error;
}

/** What went wrong with the storage, in words every backend uses (health reports it as the reason). */
function storageFailure(code: string): string {
  if (code.startsWith('SQLITE_FULL')) return 'disk full';
  if (code.startsWith('SQLITE_IOERR')) return 'I/O error';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) return 'database file corrupt';
  if (code.startsWith('SQLITE_PERM')) return 'permission denied';
  return 'cannot open the database file';
}

/** The error for a database file that a caller wanted to exist (`mustExist`) and does not. */
export function databaseNotFound(path: string): TributaryError {
  return new TributaryError(
    'DATABASE_NOT_FOUND',
    `no database at ${path}: commands that only read create none; append, migrate or serve creates it, or fix the path`,
    { location: path },
  );
}
