import { TributaryError } from '../core/errors.js';

/** The error of every call on a store that was closed. */
export function storeClosed(): TributaryError {
  return new TributaryError('STORE_CLOSED', 'the store is closed');
}
