import { TributaryError } from '../core/errors.js';
import { MAIN_TIMELINE, assertBranchName } from '../store/branches.js';
import type { EventStore } from '../store/event-store.js';

/** What `branch diff` calls the live log, to its head. */
export const MAIN = MAIN_TIMELINE;

/**
 * The source a name stands for: `main`, the store's live log, or a branch of
 * it. Errors: INVALID_BRANCH_NAME, BRANCH_NOT_FOUND, BRANCH_UNSUPPORTED when
 * the store keeps no branches.
 */
export async function namedSource(store: EventStore, name: string): Promise<EventStore> {
  if (name === MAIN) return store;
  assertBranchName(name);
  if (store.branches === undefined || store.branch === undefined) {
    throw new TributaryError('BRANCH_UNSUPPORTED', `${store.location} keeps no branches, so there is no branch ${JSON.stringify(name)}`, { branch: name, operation: 'branch' });
  }
  await store.branches.describe(name);
  return store.branch(name);
}
