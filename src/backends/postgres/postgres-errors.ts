import { TributaryError } from '../../core/errors.js';
import { storeClosed } from '../../store/store-closed.js';

// SQLSTATE classes that mean "the server or the connection went away", not "the request was wrong"
const UNAVAILABLE_STATES = /^(08|53|57P|58)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Translates a pg error into a coded TributaryError at the backend boundary.
 * A lost connection or a server shutting down is STORE_UNAVAILABLE (retriable);
 * a deadlock or serialization failure STORE_BUSY; anything else passes
 * through unchanged, because it is a bug.
 */
export function translatePgError(error: unknown): unknown {
  if (error instanceof TributaryError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
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
  return new TributaryError('STORE_UNAVAILABLE', `the database is unreachable: ${message}`, { postgres: code }, { cause });
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
