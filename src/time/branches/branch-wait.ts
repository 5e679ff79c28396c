import { nonNegativeInteger } from '../../store/options.js';
import type { WaitOptions } from '../../store/event-store.js';

const DEFAULT_WAIT_MS = 60_000;
// appends by other processes have no signal here: a modest poll finds them
const POLL_MS = 250;

/**
 * Resolves with the branch's head once it is beyond `after`: woken at once by
 * appends through this process (`subscribe`), and by a poll for those of
 * other processes. After `timeoutMs` it resolves with the head as it is then;
 * aborting `signal` rejects with its reason; `closing` (the store closes)
 * resolves it at once with the last head seen.
 */
export async function waitForBranch(
  after: number,
  options: WaitOptions,
  branch: { head: () => Promise<number>; subscribe: (wake: () => void) => () => void; closing: AbortSignal },
): Promise<number> {
  const timeoutMs = options.timeoutMs === undefined ? DEFAULT_WAIT_MS : nonNegativeInteger('timeoutMs', options.timeoutMs);
  const { signal } = options;
  const deadline = Date.now() + timeoutMs;
  let current = 0;
  for (;;) {
    signal?.throwIfAborted();
    if (branch.closing.aborted) return current;
    current = await branch.head();
    const left = deadline - Date.now();
    if (current > after || left <= 0) return current;
    await pause(Math.min(POLL_MS, left), branch.subscribe, signal, branch.closing);
  }
}

/** Waits `ms`, or less when the branch is appended to or the store closes; rejects when `signal` aborts. */
function pause(ms: number, subscribe: (wake: () => void) => () => void, signal: AbortSignal | undefined, closing: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      closing.removeEventListener('abort', wake);
    };
    const wake = () => {
      done();
      resolve();
    };
    const onAbort = () => {
      done();
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(wake, ms);
    const unsubscribe = subscribe(wake);
    signal?.addEventListener('abort', onAbort, { once: true });
    closing.addEventListener('abort', wake, { once: true });
  });
}
