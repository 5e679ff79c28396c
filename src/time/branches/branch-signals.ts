/** Listeners of appends to a branch in this process, by store location and branch name: what wakes a waiting reader at once. */
const listeners = new Map<string, Set<() => void>>();

function keyOf(location: string, branch: string): string {
  return `${location}\u0000${branch}`;
}

/** Calls `listener` after every append to the branch through any handle of this process; returns its removal. */
export function onBranchAppend(location: string, branch: string, listener: () => void): () => void {
  const key = keyOf(location, branch);
  const set = listeners.get(key) ?? new Set();
  listeners.set(key, set);
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) listeners.delete(key);
  };
}

/** Tells this process's listeners that the branch has new events. */
export function signalBranchAppend(location: string, branch: string): void {
  for (const listener of [...(listeners.get(keyOf(location, branch)) ?? [])]) listener();
}
