import { describe } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { conditionsContract } from '../contract/conditions.contract.js';
import type { StoreHarness } from '../contract/harness.js';
import { waitContract } from '../contract/wait.contract.js';
import { backends } from '../support/backends.js';

/**
 * The store contract's suites that a branch passes whole, run against a
 * branch forked at 0 of a fresh store: waits and conditional appends (with
 * their property under concurrent handles). The other suites each hold cases
 * that delete, tombstone, set metadata, scavenge or list streams, which a
 * branch refuses with BRANCH_UNSUPPORTED (test/time/branches.test.ts); their
 * other cases pass on a branch too.
 */

/** The real store behind each branch view and where it lives, so a second handle reaches the same branch. */
const realOf = new Map<EventStore, { store: EventStore; location: string }>();
const BRANCH = 'contract';

/** The branch of `store` as a store whose close closes `store` too. */
function owningView(store: EventStore, location: string): EventStore {
  const view = store.branch!(BRANCH);
  const owning = new Proxy(view, {
    get(target, property) {
      if (property === 'close') return async () => {
        await view.close();
        await store.close();
      };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  realOf.set(owning, { store, location });
  return owning;
}

let stores = 0;
for (const { name, location } of backends) {
  const harness: StoreHarness = {
    name: `a branch on ${name}`,
    async open() {
      const where = location(`branch_contract_${stores++}`);
      const store = await openStore(where);
      await store.branches!.create(BRANCH, { at: 0 });
      return owningView(store, where);
    },
    async openAnother(view) {
      const real = realOf.get(view)!;
      // two SQLite handles in one process wait on each other's write lock with the event loop blocked: a process shares one handle
      if (name === 'sqlite') return real.store.branch!(BRANCH);
      return owningView(await openStore(real.location), real.location);
    },
  };
  describe(`the store contract on ${harness.name}`, () => {
    waitContract(harness);
    conditionsContract(harness);
  });
}
