import type { Branches } from '../../store/branches.js';
import type { EventStore } from '../../store/event-store.js';
import { BranchStore } from './branch-store.js';
import { SqlBranches } from './sql-branches.js';

/**
 * Puts what-if branches in front of a store that has SQL access: the same
 * store, with `branches` (create, list, describe, delete) and `branch(name)`
 * (a store over one branch). A store that has branches already (a remote one,
 * or one wrapped before) or has no SQL access is returned as it is. Put the
 * registry's door in front of it (`withSchemas`): that door covers the
 * branches too, checking their appends and upcasting their events.
 *
 * ```ts
 * const store = withSchemas(withBranches(openSqliteStore({ path: './data/tributary.db' })));
 * await store.branches!.create('late-supplier', { at: '2026-03-01T00:00:00Z' });
 * const late = store.branch!('late-supplier');
 * ```
 */
export function withBranches(store: EventStore): EventStore {
  const { sql } = store;
  if (store.branches !== undefined || sql === undefined) return store;
  const branches = new SqlBranches(store, sql);
  const branch = (name: string): EventStore => new BranchStore(store, sql, branches, name);
  return new Proxy(store, {
    get(target, property) {
      if (property === 'branches') return branches satisfies Branches;
      if (property === 'branch') return branch;
      // the target as receiver: class stores keep their state in private fields, which a proxy does not carry
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
