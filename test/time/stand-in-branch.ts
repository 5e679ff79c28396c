import type { Branches } from '../../src/store/branches.js';
import { branchNotFound } from '../../src/store/branches.js';
import type { EventStore } from '../../src/store/event-store.js';

/** `live` with one branch, `name`, standing in for the branches until `store.branch` is there: reads of the branch are `branch`'s. */
export function withStandInBranch(live: EventStore, name: string, branch: EventStore): EventStore {
  const branches: Pick<Branches, 'describe'> = {
    describe: async (asked) => {
      if (asked !== name) throw branchNotFound(asked);
      return { name, forkPosition: 0, createdAt: 0, createdBy: null, events: 0, categories: [] };
    },
  };
  return new Proxy(live, {
    get(target, property) {
      if (property === 'branches') return branches;
      if (property === 'branch') return (asked: string) => (asked === name ? branch : undefined);
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
