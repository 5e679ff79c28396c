import { AsyncLocalStorage } from 'node:async_hooks';
import { TributaryError } from '../core/errors.js';

interface OpenTransaction {
  readonly scope: TransactionScope;
  /** Cleared when the transaction ends: work it left running is outside it from then on. */
  open: boolean;
  readonly outer: OpenTransaction | undefined;
}

const running = new AsyncLocalStorage<OpenTransaction>();
// the storage's async hooks cost every promise of the process: they are on only while a transaction is open
let openAnywhere = 0;

/**
 * Knows whether the code running now was started inside one of a store
 * handle's open transactions (a `sql.transaction`, a consumer's transaction
 * handler, an inline hook), so the handle can refuse a write that would wait
 * for that transaction to end. Costs one field read while none is open.
 */
export class TransactionScope {
  #open = 0;

  /** Runs `work` as inside a transaction of this scope until it settles. */
  async enter<T>(work: () => Promise<T>): Promise<T> {
    const entry: OpenTransaction = { scope: this, open: true, outer: running.getStore() };
    this.#open++;
    openAnywhere++;
    try {
      return await running.run(entry, work);
    } finally {
      entry.open = false;
      this.#open--;
      if (--openAnywhere === 0) running.disable();
    }
  }

  /** True when the running code was started inside a transaction of this scope that is still open. */
  inside(): boolean {
    if (this.#open === 0) return false;
    for (let entry = running.getStore(); entry !== undefined; entry = entry.outer) {
      if (entry.open && entry.scope === this) return true;
    }
    return false;
  }

  /** Throws TRANSACTION_REENTRY when `operation` was called inside a transaction of this scope. */
  refuse(operation: string): void {
    if (this.inside()) throw transactionReentry(operation);
  }
}

export function transactionReentry(operation: string): TributaryError {
  return new TributaryError(
    'TRANSACTION_REENTRY',
    `${operation} was called inside a transaction of the same store, which it would have to wait for: ` +
      `write through that transaction's tx, or call ${operation} after the transaction returns`,
    { operation },
  );
}
