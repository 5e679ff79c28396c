import type { SqlAccess } from '../../store/sql-access.js';

/** A projection this process runs, as a removal in this process sees it. */
export interface LocalRunner {
  /** Stops feeding for good because the projection was removed: a roll under way ends first, nothing more is written. */
  halt(): Promise<void>;
}

// by store handle, then projection name: a removal halts what runs on the handle it was given
const runners = new WeakMap<SqlAccess, Map<string, Set<LocalRunner>>>();

/** Records that `runner` runs projection `name` on `sql`; returns the way to forget it. */
export function trackRunner(sql: SqlAccess, name: string, runner: LocalRunner): () => void {
  let byName = runners.get(sql);
  if (byName === undefined) runners.set(sql, (byName = new Map<string, Set<LocalRunner>>()));
  let set = byName.get(name);
  if (set === undefined) byName.set(name, (set = new Set<LocalRunner>()));
  set.add(runner);
  return () => {
    set.delete(runner);
    if (set.size === 0 && byName.get(name) === set) byName.delete(name);
  };
}

/** Halts every runner of projection `name` on `sql` in this process, and waits until they wrote their last. */
export async function haltLocalRunners(sql: SqlAccess, name: string): Promise<void> {
  const set = runners.get(sql)?.get(name);
  if (set !== undefined) await Promise.all([...set].map((runner) => runner.halt()));
}
