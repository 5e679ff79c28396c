/** How deep event data and metadata may nest objects and arrays: `[[1]]` is 2 deep, a scalar 0. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` nests objects or arrays more than `limit` deep. Walks with
 * an explicit stack instead of recursion, so a value nested far deeper than the
 * call stack (JSON.parse builds those happily) is measured without overflowing;
 * a circular value counts as too deep.
 *
 * ```ts
 * exceedsJsonDepth({ a: [1] }, 1) // true: the array is at depth 2
 * ```
 */
export function exceedsJsonDepth(value: unknown, limit: number = MAX_JSON_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const pending: object[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    if (Array.isArray(current)) {
      for (const child of current as unknown[]) {
        if (typeof child === 'object' && child !== null) {
          pending.push(child);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    // for-in without Object.values' array per object: a third of the cost; own keys only, as JSON.stringify reads them
    for (const key in current) {
      const child: unknown = (current as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null && Object.hasOwn(current, key)) {
        pending.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
