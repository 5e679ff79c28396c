/** The value at `segments` inside `data`, or undefined when a step is missing or not an object. */
export function valueAt(data: unknown, segments: readonly string[]): unknown {
  let value = data;
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * `data` with the value at `segments` replaced, copying only the objects on
 * the way (the caller's object is never changed); the path must exist.
 */
export function withValueAt(data: unknown, segments: readonly string[], value: unknown): unknown {
  if (segments.length === 0) return value;
  const [head, ...rest] = segments as [string, ...string[]];
  const object = data as Record<string, unknown>;
  return { ...object, [head]: withValueAt(object[head], rest, value) };
}
