import { branchUnsupported } from './branches.js';
import type { CategorySummary, ListStreamsOptions, StreamList } from './event-store.js';

/**
 * The store calls a branch view refuses, whichever store keeps the branch: those
 * that change the real log or its streams, and the listings of the real log,
 * which a branch cannot answer as it stood at the fork. Each with BRANCH_UNSUPPORTED.
 */
export abstract class BranchRefusals {
  readonly #branch: string;

  protected constructor(branch: string) {
    this.#branch = branch;
  }

  listStreams(_options?: ListStreamsOptions): Promise<StreamList> {
    return Promise.reject(branchUnsupported(this.#branch, 'listing streams', 'lists the real log'));
  }

  listCategories(): Promise<CategorySummary[]> {
    return Promise.reject(branchUnsupported(this.#branch, 'listing categories', 'lists the real log'));
  }

  async setStreamMetadata(): Promise<void> {
    throw branchUnsupported(this.#branch, 'setting stream metadata');
  }

  async deleteStream(): Promise<void> {
    throw branchUnsupported(this.#branch, 'deleting a stream');
  }

  async tombstoneStream(): Promise<void> {
    throw branchUnsupported(this.#branch, 'tombstoning a stream');
  }

  async scavenge(): Promise<{ removed: number }> {
    throw branchUnsupported(this.#branch, 'scavenging');
  }
}
