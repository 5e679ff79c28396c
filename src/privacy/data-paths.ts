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

/**
 * `data` with the values at these paths replaced, copying each object on the
 * way once however many paths pass through it (the caller's object is never
 * changed); every path must exist and have at least one segment.
 */
export function withValuesAt(data: unknown, changes: readonly (readonly [segments: readonly string[], value: unknown])[]): unknown {
  const copies = new Set<object>();
  const root = copyInto(copies, data);
  for (const [segments, value] of changes) {
    let object = root;
    for (let step = 0; step < segments.length - 1; step++) {
      const key = segments[step]!;
      let child = object[key] as Record<string, unknown>;
      if (!copies.has(child)) setOwn(object, key, (child = copyInto(copies, child)));
      object = child;
    }
    setOwn(object, segments[segments.length - 1]!, value);
  }
  return root;
}

/** A shallow copy of `object`, remembered in `copies` so that it is copied once. */
function copyInto(copies: Set<object>, object: unknown): Record<string, unknown> {
  const copied = { ...(object as Record<string, unknown>) };
  copies.add(copied);
  return copied;
}

/** Sets an own property, `__proto__` included (a plain assignment would set the prototype instead). */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}
