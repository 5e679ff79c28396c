import type { DuckDBConnection } from '@duckdb/node-api';
import { TributaryError } from '../../core/errors.js';

const REPEAT_INTERRUPT_MS = 20;

/**
 * Ends a lake query at its time limit, or when its caller's signal aborts: DuckDB is interrupted, and `stopped`
 * rejects at once with LAKE_QUERY_TIMEOUT or the signal's reason, though DuckDB may take a moment to let go.
 */
export class LakeQueryStop {
  readonly stopped: Promise<never>;
  #why: { reason: unknown } | undefined;
  #connection: DuckDBConnection | undefined;
  #reject: (reason: unknown) => void = () => undefined;
  #repeat: NodeJS.Timeout | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#stop(this.#signal?.reason);

  constructor(timeoutMs: number, signal: AbortSignal | undefined) {
    this.stopped = new Promise<never>((_resolve, reject) => (this.#reject = reject));
    // a stop nobody races (the answer was already complete) is nobody's error
    this.stopped.catch(() => undefined);
    this.#timer = setTimeout(() => this.#stop(timedOut(timeoutMs)), timeoutMs);
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (signal?.aborted === true) this.#stop(signal.reason);
  }

  /** The connection to interrupt when the query is stopped. */
  watch(connection: DuckDBConnection): void {
    this.#connection = connection;
    if (this.#why !== undefined) connection.interrupt();
  }

  /** Throws why the query was stopped, if it was. */
  check(): void {
    if (this.#why !== undefined) throw this.#why.reason;
  }

  /** Why the query was stopped, or undefined while it may go on. */
  get why(): { reason: unknown } | undefined {
    return this.#why;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#repeat);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #stop(reason: unknown): void {
    if (this.#why !== undefined) return;
    this.#why = { reason };
    this.#reject(reason);
    this.#connection?.interrupt();
    // a statement that had not begun when interrupted clears the flag as it begins: interrupt until the query has ended
    this.#repeat = setInterval(() => this.#connection?.interrupt(), REPEAT_INTERRUPT_MS);
  }
}

function timedOut(timeoutMs: number): TributaryError {
  return new TributaryError('LAKE_QUERY_TIMEOUT', `the lake query ran longer than ${timeoutMs} ms and was stopped`, { timeoutMs });
}
