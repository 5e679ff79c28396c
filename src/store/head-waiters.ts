import { nonNegativeInteger } from './options.js';
import type { WaitOptions } from './event-store.js';

const DEFAULT_WAIT_MS = 60_000;

interface Waiter {
  after: number;
  resolve: (head: number) => void;
}

/**
 * The waiting half of `waitForPosition`, shared by backends: callers wait for
 * the head to pass a position; the backend calls `advance(head)` whenever it
 * learns of new events (its own commits, a notification, a file change).
 */
export class HeadWaiters {
  readonly #waiters = new Set<Waiter>();

  get size(): number {
    return this.#waiters.size;
  }

  /** Waits for `advance` to report a head beyond `after`; `currentHead` answers on timeout. */
  wait(after: number, options: WaitOptions, currentHead: () => Promise<number>): Promise<number> {
    nonNegativeInteger('after', after);
    const timeoutMs = options.timeoutMs === undefined ? DEFAULT_WAIT_MS : nonNegativeInteger('timeoutMs', options.timeoutMs);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<number>((resolve, reject) => {
      const done = () => {
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        after,
        resolve: (head) => {
          done();
          resolve(head);
        },
      };
      const onAbort = () => {
        done();
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(() => {
        done();
        currentHead().then(resolve, reject);
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Wakes every waiter whose position `head` has passed. */
  advance(head: number): void {
    for (const waiter of this.#waiters) if (head > waiter.after) waiter.resolve(head);
  }

  /** Answers every waiter with `head` (the store is closing). */
  release(head: number): void {
    for (const waiter of this.#waiters) waiter.resolve(head);
  }
}
