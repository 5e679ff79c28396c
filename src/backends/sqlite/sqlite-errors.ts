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

/**
 * The error for a commit whose WAL could not be synced. What the disk holds is
 * then unknown (a failed fsync may have dropped the pages it could not write),
 * so the store refuses later writes; a retry with the same event ids on a
 * reopened store is idempotent.
 */
export function syncFailed(error: unknown): TributaryError {
  const code = (error as { code?: unknown } | null)?.code;
  return new TributaryError(
    'STORE_UNAVAILABLE',
    `the write-ahead log could not be synced to disk (${(error as Error).message}); reopen the store, then retry with the same event ids`,
    { storage: code === 'ENOSPC' ? 'disk full' : 'I/O error', ...(typeof code === 'string' ? { errno: code } : {}) },
    { cause: error },
  );
}
