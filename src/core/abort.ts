/**
 * Whether `signal` has aborted. A function, not an inline `signal?.aborted`
 * test: after one such test the compiler assumes the flag cannot change, though
 * it can across any await.
 */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
