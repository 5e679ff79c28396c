import type { AsOf } from '../core/as-of.js';
import { TributaryError } from '../core/errors.js';

/**
 * The what-if branches of a store. A branch forks the real log at a position;
 * its own events are stored apart from the log (see `EventStore.branch`), so
 * they never reach the real log, its positions or its consumers. Deleting a
 * branch removes every event of it.
 *
 * ```ts
 * const info = await store.branches!.create('late-supplier', { at: '2026-03-01T00:00:00Z' });
 * for (const branch of await store.branches!.list()) console.log(branch.name, branch.forkPosition);
 * await store.branches!.delete('late-supplier');
 * ```
 */
export interface Branches {
  /**
   * Forks a branch at `at` (a position from 0 up to the head, or a time; the
   * head when omitted). Errors: INVALID_BRANCH_NAME, BRANCH_EXISTS, INVALID_AS_OF.
   */
  create(name: string, options?: CreateBranchOptions): Promise<BranchInfo>;
  /** Every branch, in name order. */
  list(): Promise<BranchInfo[]>;
  /** One branch. Errors: INVALID_BRANCH_NAME, BRANCH_NOT_FOUND. */
  describe(name: string): Promise<BranchInfo>;
  /** Removes the branch and all its events. Errors: INVALID_BRANCH_NAME, BRANCH_NOT_FOUND. */
  delete(name: string): Promise<void>;
}

export interface CreateBranchOptions {
  /** The fork point: the branch sees the real log up to this position (a time stands for the last position recorded at or before it). */
  at?: AsOf;
  /** Who asked for it (a token's name), kept for people and for access rules. */
  createdBy?: string;
}

export interface BranchInfo {
  name: string;
  /** The last real position the branch sees; its own events come after it, at `forkPosition + 1` on. */
  forkPosition: number;
  /** When the branch was created, ms since the epoch. */
  createdAt: number;
  /** The token that created it, or null in open mode and in the library. */
  createdBy: string | null;
  /** How many events the branch holds of its own. */
  events: number;
  /** The categories of the streams the branch's own events are in, sorted. */
  categories: string[];
}

/** Branch names: short, lower-case, safe in a URL path and a file name. */
export const BRANCH_NAME = /^[a-z0-9_-]{1,64}$/;

/** What a diff of timelines calls the real log; no branch may take the name. */
export const MAIN_TIMELINE = 'main';

/** Throws INVALID_BRANCH_NAME unless `name` is 1-64 characters of [a-z0-9_-] and not `main`. */
export function assertBranchName(name: unknown): string {
  if (name === MAIN_TIMELINE) {
    throw new TributaryError('INVALID_BRANCH_NAME', 'a branch cannot be named "main": that name stands for the real log', { branch: name });
  }
  if (typeof name !== 'string' || !BRANCH_NAME.test(name)) {
    throw new TributaryError('INVALID_BRANCH_NAME', `branch name ${JSON.stringify(name)} must be 1 to 64 characters of a-z, 0-9, _ and -`, {
      branch: name,
    });
  }
  return name;
}

export function branchNotFound(name: string): TributaryError {
  return new TributaryError('BRANCH_NOT_FOUND', `no branch named ${JSON.stringify(name)}`, { branch: name });
}

/** BRANCH_UNSUPPORTED for `operation`; `why` says what makes it the real log's alone. */
export function branchUnsupported(name: string, operation: string, why = 'changes the real log'): TributaryError {
  return new TributaryError('BRANCH_UNSUPPORTED', `${operation} ${why} and has no meaning on branch ${JSON.stringify(name)}`, {
    branch: name,
    operation,
  });
}
