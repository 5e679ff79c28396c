import { TributaryError, invalidArgument } from '../core/errors.js';
import type { EventStore } from '../store/event-store.js';
import { nonNegativeInteger } from '../store/options.js';
import { assertSnapshotName, type SnapshotStore } from '../store/snapshot-store.js';

/**
 * When a decider keeps snapshots of its state, and under which name and
 * version. Bump `version` whenever `evolve` or the shape of the state changes:
 * snapshots of another version are ignored, and replaced by the next one written.
 *
 * ```ts
 * const account = { initialState, evolve, decide, snapshot: { name: 'account', version: 1, every: 20 } };
 * ```
 */
export interface SnapshotPolicy {
  /** Whose state it is: one snapshot per stream and name. */
  name: string;
  /** The version of the code that folds the state (an integer >= 0). */
  version: number;
  /** Write a new snapshot once a load has folded this many events past the last one (an integer >= 1). */
  every: number;
}

/** The policy, checked, so a mistake fails the first load instead of every snapshot write. */
export function checkSnapshotPolicy(policy: unknown): SnapshotPolicy {
  if (typeof policy !== 'object' || policy === null) throw invalidArgument('snapshot', `must be {name, version, every}, got ${JSON.stringify(policy)}`);
  const { name, version, every } = policy as Record<string, unknown>;
  const checked = { name: assertSnapshotName(name), version: nonNegativeInteger('snapshot version', version), every: nonNegativeInteger('snapshot every', every) };
  if (checked.every < 1) throw invalidArgument('snapshot every', 'must be an integer >= 1, got 0');
  return checked;
}

/** The store's snapshots, or SNAPSHOT_UNSUPPORTED: a store without them refuses rather than folding every event in silence. */
export function snapshotsOf(store: EventStore, policy: SnapshotPolicy): SnapshotStore {
  if (store.snapshots !== undefined) return store.snapshots;
  throw new TributaryError('SNAPSHOT_UNSUPPORTED', `the store at ${store.location} keeps no snapshots; the decider's snapshot ${JSON.stringify(policy.name)} needs a SQLite or PostgreSQL store`, {
    snapshot: policy.name,
  });
}

/** `state` as JSON text, or SNAPSHOT_NOT_JSON when parsing the text would not give the same state back. */
export function snapshotText(state: unknown, policy: SnapshotPolicy): string {
  const path = notJsonAt(state, '$', new Set());
  if (path !== undefined) {
    throw new TributaryError('SNAPSHOT_NOT_JSON', `the state of snapshot ${JSON.stringify(policy.name)} is not plain JSON at ${path}`, {
      snapshot: policy.name,
      path,
    });
  }
  return JSON.stringify(state);
}

/** Where `value` holds something JSON would not give back as it is, or undefined when nothing. */
function notJsonAt(value: unknown, path: string, seen: Set<object>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (typeof value !== 'object') return path;
  if (seen.has(value)) return path;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const inner = i in value ? notJsonAt(value[i], `${path}[${i}]`, seen) : `${path}[${i}]`;
        if (inner !== undefined) return inner;
      }
      return undefined;
    }
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return path;
    for (const [key, child] of Object.entries(value)) {
      const inner = notJsonAt(child, `${path}.${key}`, seen);
      if (inner !== undefined) return inner;
    }
    return undefined;
  } finally {
    // a value met twice on different branches is fine; only a cycle is not
    seen.delete(value);
  }
}
