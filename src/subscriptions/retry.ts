import { nonNegativeInteger } from '../store/options.js';

/** How a failing handler is retried before its event is parked. */
export interface RetryPolicy {
  /** Calls in all, the first included; default 5. */
  attempts?: number;
  /** Wait before the second call; default 100 ms, doubling each time. */
  initialDelayMs?: number;
  /** Longest wait between calls; default 5,000 ms. */
  maxDelayMs?: number;
}

export type SettledRetryPolicy = Required<RetryPolicy>;

export function settleRetryPolicy(policy: RetryPolicy = {}): SettledRetryPolicy {
  const attempts = nonNegativeInteger('retry.attempts', policy.attempts ?? 5);
  return {
    attempts: Math.max(1, attempts),
    initialDelayMs: nonNegativeInteger('retry.initialDelayMs', policy.initialDelayMs ?? 100),
    maxDelayMs: nonNegativeInteger('retry.maxDelayMs', policy.maxDelayMs ?? 5_000),
  };
}

/** The wait after failed call number `attempt` (1-based). */
export function retryDelay(policy: SettledRetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}

/** Resolves after `ms`, or at once (false) when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
