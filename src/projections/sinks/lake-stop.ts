import { TributaryError } from '../../core/errors.js';

/**
 * Ends a lake query at its time limit, once `startClock` has started it, or when its caller's signal aborts:
 * `stopped` rejects at once with LAKE_QUERY_TIMEOUT or the signal's reason, and what `onStop` registered runs to stop
 * the work, which may take a moment to let go.
 */
export class LakeQueryStop {
  readonly stopped: Promise<never>;
  #why: { reason: unknown } | undefined;
  #reject: (reason: unknown) => void = () => undefined;
  #acts: (() => void)[] = [];
  #disposed = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#stop(this.#signal?.reason);

  constructor(signal: AbortSignal | undefined) {
    this.stopped = new Promise<never>((_resolve, reject) => (this.#reject = reject));
    // a stop nobody races (the answer was already complete) is nobody's error
    this.stopped.catch(() => undefined);
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (signal?.aborted === true) this.#stop(signal.reason);
  }

  /** Stops the query with LAKE_QUERY_TIMEOUT `timeoutMs` from now, unless it has ended (or started its clock) before. */
  startClock(timeoutMs: number): void {
    if (this.#timer !== undefined || this.#disposed) return;
    this.#timer = setTimeout(() => this.#stop(timedOut(timeoutMs)), timeoutMs);
  }

  /** Runs `act` when the query is stopped, at once if it already is. */
  onStop(act: () => void): void {
    if (this.#why === undefined) this.#acts.push(act);
    else act();
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
    this.#disposed = true;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#acts = [];
  }

  #stop(reason: unknown): void {
    if (this.#why !== undefined) return;
    this.#why = { reason };
    this.#reject(reason);
    for (const act of this.#acts.splice(0)) act();
  }
}

function timedOut(timeoutMs: number): TributaryError {
  return new TributaryError('LAKE_QUERY_TIMEOUT', `the lake query ran longer than ${timeoutMs} ms and was stopped`, { timeoutMs });
}
